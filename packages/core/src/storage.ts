import { ConfigurationError } from './errors.ts';
import { KmsKeyring } from './keyrings/KmsKeyring.ts';
import { SecretsStore } from './SecretsStore.ts';
import { valueCacheFromEnvironment } from './valueCache.ts';

/** The environment variables `storage.secrets` is configured from. */
export const ENVIRONMENT_VARIABLES = {
  tableName: 'SECRETS_STORE_TABLE',
  keyId: 'SECRETS_STORE_KEY_ID',
  namespace: 'SECRETS_STORE_NAMESPACE',
} as const;

/**
 * A store configured from `SECRETS_STORE_TABLE`, `SECRETS_STORE_KEY_ID` and
 * `SECRETS_STORE_NAMESPACE`, with default AWS SDK clients (region and credentials from the
 * Lambda environment). Throws a {@link ConfigurationError} naming every missing variable.
 * `SECRETS_STORE_VALUE_CACHE_MS` (optional) turns the value cache on with that `maxAgeMs`.
 */
export function secretsStoreFromEnvironment(
  environment: Record<string, string | undefined> = process.env,
): SecretsStore {
  const missing = Object.values(ENVIRONMENT_VARIABLES).filter((name) => !environment[name]);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `storage.secrets needs the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  }
  const read = (name: string): string => environment[name] as string;
  return new SecretsStore({
    tableName: read(ENVIRONMENT_VARIABLES.tableName),
    namespace: read(ENVIRONMENT_VARIABLES.namespace),
    keyring: new KmsKeyring({ keyId: read(ENVIRONMENT_VARIABLES.keyId) }),
    valueCache: valueCacheFromEnvironment(environment), // SECRETS_STORE_VALUE_CACHE_MS
  });
}

let secrets: SecretsStore | undefined;

/**
 * Points `storage.secrets` at `store` (a test's store, e.g. from `createTestStore()` of
 * `@secrets-store/core/testing`) until {@link resetSecretsStore}. Code under test that reads
 * `storage.secrets` then uses it instead of building one from the environment.
 *
 * @example
 * beforeEach(() => setSecretsStore(createTestStore().store));
 * afterEach(() => resetSecretsStore());
 */
export function setSecretsStore(store: SecretsStore): void {
  // A plain object here would fail later, inside the handler under test, with a confusing error.
  if (!(store instanceof SecretsStore)) {
    throw new ConfigurationError(
      `setSecretsStore needs a SecretsStore; received ${store === null ? 'null' : typeof store}`,
    );
  }
  secrets = store;
}

/** Forgets the store of `storage.secrets`: the next use builds one from the environment again. */
export function resetSecretsStore(): void {
  secrets = undefined;
}

/**
 * The OCP-style entry point: `storage.secrets` is built from the environment on first use and
 * then shared by every invocation of the Lambda container, so the data-key cache stays warm.
 *
 * @example
 * import { storage } from '@secrets-store/core';
 * await storage.secrets.put('authToken', { token, siteId });
 */
export const storage: { readonly secrets: SecretsStore } = {
  get secrets(): SecretsStore {
    secrets ??= secretsStoreFromEnvironment();
    return secrets;
  },
};
