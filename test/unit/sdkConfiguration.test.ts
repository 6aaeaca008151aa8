/**
 * A client that cannot send its request (no region, no credentials): the SDK's own words reach
 * the StorageError and KeyServiceError messages; any other SDK message stays out of them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { KeyServiceError, KmsKeyring, SecretsStore, StorageError } from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAwsError } from '../../packages/core/src/awsErrors.ts';

const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/test';
const saved = { ...process.env };

// This file's process only (vitest runs each file in its own worker): no region, no credentials.
beforeAll(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_') && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED')
      delete process.env[name];
  }
  process.env.AWS_CONFIG_FILE = '/nonexistent/secrets-store-test/config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/secrets-store-test/credentials';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});
afterAll(() => {
  process.env = saved;
});

function storeWith(region: string | undefined): SecretsStore {
  return new SecretsStore({
    tableName: 'secrets',
    namespace: 'my-app:1',
    keyring: new KmsKeyring({ keyId, client: new KMSClient(region ? { region } : {}) }),
    client: new DynamoDBClient(region ? { region } : {}),
  });
}

describe('a client that cannot send its request', () => {
  it('without a region, a get is a StorageError that says "Region is missing"', async () => {
    const error = await storeWith(undefined)
      .get('authToken')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      'DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): Error: Region is missing',
    );
  });

  it('without a region, a put is a KeyServiceError that says "Region is missing"', async () => {
    const error = await storeWith(undefined)
      .put('authToken', { token: 'canary-value' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as KeyServiceError).message).toBe(
      'KMS GenerateDataKey for secret "authToken" in namespace my-app:1 failed with Error: Region is missing: the request was not sent',
    );
  });

  it('without credentials, a get says "Could not load credentials from any providers"', async () => {
    const error = await storeWith('eu-west-1')
      .get('authToken')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      'DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): CredentialsProviderError: Could not load credentials from any providers',
    );
  });

  it('any other SDK message stays out: only the error name is described', () => {
    const validation = Object.assign(new Error('One or more parameter values were invalid: x'), {
      name: 'ValidationException',
    });
    expect(describeAwsError(validation)).toBe('ValidationException');
    expect(describeAwsError(new Error('Region is missing\nmore'))).toBe('Error: Region is missing');
  });
});
