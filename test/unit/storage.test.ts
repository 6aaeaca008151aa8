import { ConfigurationError, SecretsStore, secretsStoreFromEnvironment } from '@secrets-store/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('storage.secrets', () => {
  it('names every missing variable in a ConfigurationError', () => {
    expect(() => secretsStoreFromEnvironment({ SECRETS_STORE_TABLE: 't' })).toThrow(
      'storage.secrets needs the environment variables SECRETS_STORE_KEY_ID, SECRETS_STORE_NAMESPACE',
    );
    expect(() => secretsStoreFromEnvironment({})).toThrow(ConfigurationError);
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
