/**
 * One style for client options (as Powertools' persistence layers): `client` (yours) or
 * `clientConfig` (for the client made for you), never both, and a client is checked.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  KmsKeyring,
  LocalKeyring,
  SecretsStore,
  type SecretsStoreOptions,
} from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';

const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/test';
const base = (): SecretsStoreOptions => ({
  tableName: 'secrets',
  namespace: 'app:1',
  keyring: new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
});

describe('SecretsStore client options', () => {
  it('uses the client given', async () => {
    const client = new DynamoDBClient({ region: 'eu-west-1' });
    const dynamodb = mockClient(client);
    dynamodb.on(GetItemCommand).resolves({});
    expect(await new SecretsStore({ ...base(), client }).exists('k')).toBe(false);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
  });

  it('makes its client from clientConfig', async () => {
    const table = new MemoryTable();
    const store = new SecretsStore({
      ...base(),
      clientConfig: {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        requestHandler: table.requestHandler(),
      },
    });
    await store.put('k', { v: 1 });
    expect(table.items()).toHaveLength(1);
  });

  it('refuses client with clientConfig, and a client that is no SDK client', () => {
    expect(
      () =>
        new SecretsStore({
          ...base(),
          client: new DynamoDBClient({}),
          clientConfig: { region: 'eu-west-1' },
        }),
    ).toThrow(
      new ConfigurationError(
        'SecretsStore takes client or clientConfig, not both: pass the configuration to your client',
      ),
    );
    expect(() => new SecretsStore({ ...base(), client: {} as unknown as DynamoDBClient })).toThrow(
      new ConfigurationError(
        "SecretsStore's client must be an AWS SDK v3 client (with send), received object",
      ),
    );
  });
});

describe('KmsKeyring client options', () => {
  it('makes its client from clientConfig, and refuses both', async () => {
    const noProfile = Object.assign(new Error('Profile clientconfig-test could not be found'), {
      name: 'CredentialsProviderError',
    });
    const keyring = new KmsKeyring({
      keyId,
      clientConfig: {
        region: 'eu-north-1',
        credentials: async () => {
          throw noProfile;
        },
      },
    });
    await expect(keyring.generateDataKey({ namespace: 'app:1', secret: 'k' })).rejects.toThrow(
      'KMS GenerateDataKey for secret "k" in namespace app:1 failed with CredentialsProviderError: Profile clientconfig-test could not be found: the request was not sent',
    );
    expect(
      () => new KmsKeyring({ keyId, client: new KMSClient({}), clientConfig: { region: 'x' } }),
    ).toThrow(
      new ConfigurationError(
        'KmsKeyring takes client or clientConfig, not both: pass the configuration to your client',
      ),
    );
  });
});
