/**
 * `@secrets-store/core/testing` as a user's test sees it: createTestStore round trips on the
 * in-process table, and storage.secrets pointed at a test store and back.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ConfigurationError,
  resetSecretsStore,
  SecretsStore,
  setSecretsStore,
  storage,
} from '@secrets-store/core';
import { createTestStore, MemoryTable } from '@secrets-store/core/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  resetSecretsStore();
  vi.unstubAllEnvs();
});

describe('createTestStore', () => {
  it('is a real SecretsStore: put, get, patch, keys, delete, purge', async () => {
    const secrets = createTestStore({ namespace: 'app:install-1' });
    expect(secrets).toBeInstanceOf(SecretsStore);
    await secrets.put('authToken', { token: 't', siteId: 123 });
    expect(await secrets.patch('authToken', { token: 'u' })).toEqual({ token: 't', siteId: 123 });
    expect(await secrets.get('authToken')).toEqual({ token: 'u', siteId: 123 });
    expect(await secrets.exists('authToken')).toBe(true);
    const keys: string[] = [];
    for await (const key of secrets.keys()) keys.push(key);
    expect(keys).toEqual(['authToken']);
    await secrets.delete('authToken');
    expect(await secrets.get('authToken')).toEqual({});
    await secrets.put('a', { v: 1 });
    expect(await secrets.purge()).toBe(1);
  });

  it('keeps the table at hand: encrypted items, the requests, reset', async () => {
    const secrets = createTestStore({ namespace: 'ns', tableName: 'my-table' });
    await secrets.put('k', { secret: 'plaintext-canary' });
    const [item] = secrets.table.items('my-table');
    expect(item?.pk).toEqual({ S: 'ns' });
    expect(JSON.stringify(item)).not.toContain('plaintext-canary');
    expect(secrets.table.requests.map((request) => request.operation)).toEqual(['UpdateItem']);
    secrets.table.reset();
    expect(await secrets.get('k')).toEqual({});
  });

  it('stores made by forNamespace or on a shared table see the same items, each in its namespace', async () => {
    const table = new MemoryTable();
    const masterKey = new Uint8Array(32).fill(7);
    const first = createTestStore({ table, masterKey, namespace: 'one' });
    const second = createTestStore({ table, masterKey, namespace: 'one' });
    await first.put('k', { v: 1 });
    expect(await second.get('k')).toEqual({ v: 1 });
    const other = first.forNamespace('two');
    expect(other.table).toBe(table);
    expect(await other.get('k')).toEqual({});
  });

  it('a store with another master key cannot read the items', async () => {
    const table = new MemoryTable();
    await createTestStore({ table }).put('k', { v: 1 });
    await expect(createTestStore({ table }).get('k')).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });
});

describe('storage.secrets in a test', () => {
  it('uses the store given to setSecretsStore, and the environment again after reset', async () => {
    const secrets = createTestStore();
    setSecretsStore(secrets);
    await storage.secrets.put('k', { v: 1 });
    expect(await secrets.get('k')).toEqual({ v: 1 });
    expect(storage.secrets).toBe(secrets);

    resetSecretsStore();
    vi.stubEnv('SECRETS_STORE_TABLE', '');
    expect(() => storage.secrets).toThrow(ConfigurationError);
  });

  it('refuses what is not a SecretsStore', () => {
    expect(() => setSecretsStore({} as SecretsStore)).toThrow(
      'setSecretsStore needs a SecretsStore; received object',
    );
  });
});

describe('the testing kit beside a mockClient(DynamoDBClient) of the user', () => {
  it('answers from its table even when DynamoDBClient.prototype.send is stubbed', async () => {
    const userMock = mockClient(DynamoDBClient); // as a shared setup file of the user may do
    try {
      const secrets = createTestStore({ namespace: 'app:install-1' });
      await secrets.put('authToken', { token: 't' });
      expect(await secrets.get('authToken')).toEqual({ token: 't' });
      expect(secrets.table.items()).toHaveLength(1);
      expect(userMock.calls()).toHaveLength(0);
      // Clients the user makes are still the user's mock's.
      userMock.on(GetItemCommand).resolves({});
      const own = new DynamoDBClient({ region: 'eu-west-1' });
      expect(await own.send(new GetItemCommand({ TableName: 't', Key: {} }))).toEqual({});
      expect(userMock.calls()).toHaveLength(1);
    } finally {
      userMock.restore();
    }
  });
});

describe('storage.secrets without the environment, in a test', () => {
  it('points the test at setSecretsStore(createTestStore())', () => {
    vi.stubEnv('SECRETS_STORE_TABLE', '');
    vi.stubEnv('SECRETS_STORE_KEY_ID', '');
    expect(() => storage.secrets).toThrow(
      new ConfigurationError(
        "storage.secrets needs the environment variables SECRETS_STORE_TABLE, SECRETS_STORE_KEY_ID; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')",
      ),
    );
  });

  it('setSecretsStore(createTestStore()) compiles and serves storage.secrets (its JSDoc example)', async () => {
    setSecretsStore(createTestStore());
    await storage.secrets.put('k', { v: 1 });
    expect(await storage.secrets.get('k')).toEqual({ v: 1 });
  });
});
