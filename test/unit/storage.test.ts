import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  DecryptionError,
  KmsKeyring,
  SecretsStore,
  secretsStoreFromEnvironment,
} from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeKms, KEY_ARN, PREVIOUS_KEY_ARN } from '../support/fakeKms.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('storage.secrets', () => {
  it('names every missing required variable in a ConfigurationError, with the testing kit', () => {
    expect(() => secretsStoreFromEnvironment({ SECRETS_STORE_TABLE: 't' })).toThrow(
      new ConfigurationError(
        "storage.secrets needs the environment variable SECRETS_STORE_KEY_ID; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')",
      ),
    );
    expect(() => secretsStoreFromEnvironment({})).toThrow(ConfigurationError);
  });

  it('without SECRETS_STORE_NAMESPACE serves forNamespace(ns), and names the variable for anything else', async () => {
    const dynamodb = mockClient(DynamoDBClient);
    try {
      dynamodb.on(GetItemCommand).resolves({});
      const store = secretsStoreFromEnvironment({
        SECRETS_STORE_TABLE: 'secrets',
        SECRETS_STORE_KEY_ID: KEY_ARN,
        AWS_REGION: 'eu-west-1',
      });
      const message =
        "storage.secrets needs the environment variable SECRETS_STORE_NAMESPACE, or use storage.secrets.forNamespace(namespace) in a function that serves many installations; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')";
      expect(() => store.get('k')).toThrow(new ConfigurationError(message));
      expect(() => store.put('k', {})).toThrow(new ConfigurationError(message));
      expect(() => store.keys()).toThrow(new ConfigurationError(message));
      expect(() => store.purge()).toThrow(new ConfigurationError(message));
      expect(() => store.namespace).toThrow(new ConfigurationError(message));
      expect(dynamodb.calls()).toHaveLength(0);

      const tenant = store.forNamespace('my-app:install-7');
      expect(tenant.namespace).toBe('my-app:install-7');
      expect(await tenant.exists('authToken')).toBe(false);
      expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, {
        TableName: 'secrets',
        Key: { pk: { S: 'my-app:install-7' }, sk: { S: 'authToken' } },
      });
    } finally {
      dynamodb.restore();
    }
  });

  it('reads SECRETS_STORE_PREVIOUS_KEY_IDS: a data key of a previous key is decrypted with that key', async () => {
    // A secret written while PREVIOUS_KEY_ARN was the current key.
    const { client: kmsClient, kms } = fakeKms();
    const memory = new MemoryTable();
    const old = new SecretsStore({
      tableName: 'secrets',
      namespace: 'app:1',
      keyring: new KmsKeyring({ keyId: PREVIOUS_KEY_ARN, client: kmsClient }),
      client: memory.client(),
    });
    await old.put('authToken', { token: 't' });
    const { Item: item } = await memory.client().send(
      new GetItemCommand({
        TableName: 'secrets',
        Key: { pk: { S: 'app:1' }, sk: { S: 'authToken' } },
      }),
    );
    const dynamodb = mockClient(DynamoDBClient);
    const kmsOfEnvironment = mockClient(KMSClient);
    try {
      dynamodb.on(GetItemCommand).resolves({ Item: item });
      kmsOfEnvironment
        .on(DecryptCommand)
        .callsFake((input) => kmsClient.send(new DecryptCommand(input)));
      const environment = {
        SECRETS_STORE_TABLE: 'secrets',
        SECRETS_STORE_KEY_ID: KEY_ARN,
        SECRETS_STORE_NAMESPACE: 'app:1',
        AWS_REGION: 'eu-west-1',
      };
      await expect(secretsStoreFromEnvironment(environment).get('authToken')).rejects.toThrow(
        DecryptionError,
      );
      expect(kmsOfEnvironment.calls()).toHaveLength(0);
      const store = secretsStoreFromEnvironment({
        ...environment,
        SECRETS_STORE_PREVIOUS_KEY_IDS: ` ${PREVIOUS_KEY_ARN} ,arn:aws:kms:eu-west-1:111122223333:key/other`,
      });
      expect(await store.get('authToken')).toEqual({ token: 't' });
      expect(kmsOfEnvironment).toHaveReceivedCommandWith(DecryptCommand, {
        KeyId: PREVIOUS_KEY_ARN,
      });
      expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
    } finally {
      dynamodb.restore();
      kmsOfEnvironment.restore();
    }
  });

  it('refuses an empty entry in SECRETS_STORE_PREVIOUS_KEY_IDS', () => {
    expect(() =>
      secretsStoreFromEnvironment({
        SECRETS_STORE_TABLE: 'secrets',
        SECRETS_STORE_KEY_ID: KEY_ARN,
        SECRETS_STORE_NAMESPACE: 'app:1',
        SECRETS_STORE_PREVIOUS_KEY_IDS: `${PREVIOUS_KEY_ARN},`,
      }),
    ).toThrow(
      new ConfigurationError(
        `SECRETS_STORE_PREVIOUS_KEY_IDS has an empty entry: expected key ARNs separated by commas, received "${PREVIOUS_KEY_ARN},"`,
      ),
    );
  });

  it('builds a store for the table and namespace of the environment', () => {
    const store = secretsStoreFromEnvironment({
      SECRETS_STORE_TABLE: 'secrets',
      SECRETS_STORE_KEY_ID: 'alias/secrets',
      SECRETS_STORE_NAMESPACE: 'app:1',
    });
    expect(store).toBeInstanceOf(SecretsStore);
    expect(store.tableName).toBe('secrets');
    expect(store.namespace).toBe('app:1');
  });

  it('is built lazily on first use, from process.env, and then shared', async () => {
    vi.stubEnv('SECRETS_STORE_TABLE', '');
    const { storage } = await import('../../packages/core/src/storage.ts');
    // A fresh module graph: its ConfigurationError is another class object than the one above.
    expect(() => storage.secrets).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringContaining('SECRETS_STORE_TABLE'),
      }),
    );
    vi.stubEnv('SECRETS_STORE_TABLE', 'secrets');
    vi.stubEnv('SECRETS_STORE_KEY_ID', 'alias/secrets');
    vi.stubEnv('SECRETS_STORE_NAMESPACE', 'app:1');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const first = storage.secrets;
    expect(first.namespace).toBe('app:1');
    expect(storage.secrets).toBe(first);
  });
});
