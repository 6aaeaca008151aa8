import {
  ENVIRONMENT_VARIABLES,
  type Environment,
  previousKeyIdsFrom,
  valueCacheFrom,
  variable,
} from './environment.ts';
import { ConfigurationError } from './errors.ts';
import { KmsKeyring } from './keyrings/KmsKeyring.ts';
import { SecretsStore } from './SecretsStore.ts';

/** Where a test that forgot to point `storage.secrets` at a test store should look. */
const TESTING_HINT =
  "; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')";

/** Namespaces are 1 to 256 characters of [A-Za-z0-9._:@/+=-]: this one only stands in. */
const NO_NAMESPACE = 'secrets-store:no-namespace';

/**
 * The store of a function that serves many installations (no namespace variable): only
 * `forNamespace(ns)` works; every other member throws a ConfigurationError naming the variable.
 * Every method of SecretsStore is covered, including ones added later, so that nothing can ever
 * act on the stand-in namespace.
 */
class NamespaceFreeSecretsStore extends SecretsStore {
  constructor(options: ConstructorParameters<typeof SecretsStore>[0]) {
    super({ ...options, namespace: NO_NAMESPACE });
    const refuse = (): never => {
      throw new ConfigurationError(
        `storage.secrets needs the environment variable ${ENVIRONMENT_VARIABLES.namespace}, or use storage.secrets.forNamespace(namespace) in a function that serves many installations${TESTING_HINT}`,
      );
    };
    for (
      let prototype: object | null = SecretsStore.prototype;
      prototype !== null && prototype !== Object.prototype;
      prototype = Object.getPrototypeOf(prototype)
    ) {
      for (const name of Object.getOwnPropertyNames(prototype)) {
        if (name === 'constructor' || name === 'forNamespace' || Object.hasOwn(this, name))
          continue;
        if (typeof Object.getOwnPropertyDescriptor(prototype, name)?.value !== 'function') continue;
        Object.defineProperty(this, name, { value: refuse, configurable: true });
      }
    }
    Object.defineProperty(this, 'namespace', { get: refuse, configurable: true });
  }
}

/**
 * A store configured from the environment ({@link ENVIRONMENT_VARIABLES}: the table and the key
 * are required; without a namespace the store serves only `forNamespace(ns)`, and anything else
 * throws a {@link ConfigurationError} naming the variable), with default AWS SDK clients (region
 * and credentials from the Lambda environment).
 *
 * Throws a {@link ConfigurationError} naming every missing required variable.
 */
export function secretsStoreFromEnvironment(environment: Environment = process.env): SecretsStore {
  const tableName = variable(environment, 'tableName');
  const keyId = variable(environment, 'keyId');
  const missing = [
    tableName ? undefined : ENVIRONMENT_VARIABLES.tableName,
    keyId ? undefined : ENVIRONMENT_VARIABLES.keyId,
  ].filter((name) => name !== undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `storage.secrets needs the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${TESTING_HINT}`,
    );
  }
  const options = {
    tableName: tableName as string,
    keyring: new KmsKeyring({
      keyId: keyId as string,
      previousKeyIds: previousKeyIdsFrom(environment),
    }),
    valueCache: valueCacheFrom(environment),
  };
  const namespace = variable(environment, 'namespace');
  return namespace
    ? new SecretsStore({ ...options, namespace })
    : new NamespaceFreeSecretsStore({ ...options, namespace: NO_NAMESPACE });
}

let secrets: SecretsStore | undefined;

/**
 * Points `storage.secrets` at `store` (a test's store, e.g. `createTestStore()` of
 * `@secrets-store/core/testing`) until {@link resetSecretsStore}. Code under test that reads
 * `storage.secrets` then uses it instead of building one from the environment.
 *
 * @example
 * import { resetSecretsStore, setSecretsStore } from '@secrets-store/core';
 * import { createTestStore } from '@secrets-store/core/testing';
 *
 * beforeEach(() => setSecretsStore(createTestStore()));
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
 * Without a namespace variable, `storage.secrets.forNamespace(ns)` serves one installation
 * at a time with the same clients and cache.
 *
 * @example
 * import { storage } from '@secrets-store/core';
 * await storage.secrets.put('authToken', { token, siteId });
 * // a function serving many installations:
 * await storage.secrets.forNamespace(`my-app:${installId}`).get('authToken');
 */
export const storage: { readonly secrets: SecretsStore } = {
  get secrets(): SecretsStore {
    secrets ??= secretsStoreFromEnvironment();
    return secrets;
  },
};
