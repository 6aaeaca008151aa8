/**
 * A real `SecretsStore` for users' tests: the in-process MemoryTable instead of DynamoDB and a
 * LocalKeyring instead of KMS. No server, no network, no AWS account; the table stays reachable
 * for inspection, schedule hooks and reset.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DataKeyCache } from '../dataKeyCache.ts';
import { LocalKeyring } from '../keyrings/LocalKeyring.ts';
import { SecretsStore } from '../SecretsStore.ts';
import type { SecretsStoreOptions } from '../SecretsStoreOptions.ts';
import { ValueCache, type ValueCacheOptions } from '../valueCache.ts';
import { MemoryTable } from './MemoryTable.ts';

export interface TestStoreOptions
  extends Pick<SecretsStoreOptions, 'consistentRead' | 'patchRetry' | 'dataKeyMaxAgeMs'> {
  /** @default 'test' */
  readonly namespace?: string;
  /** @default 'secrets' */
  readonly tableName?: string;
  /** The LocalKeyring's 32-byte master key. @default 32 random bytes */
  readonly masterKey?: Uint8Array;
  /** A table to share with other test stores. @default a new MemoryTable */
  readonly table?: MemoryTable;
  /** Configuration of the store's DynamoDBClient on the table, e.g. `{ maxAttempts: 1 }`. */
  readonly clientConfig?: DynamoDBClientConfig;
  /** The store's value cache, shared with its `forNamespace` stores. @default false (off) */
  readonly valueCache?: false | ValueCacheOptions;
}

/** A `SecretsStore` over a MemoryTable and a LocalKeyring, with both at hand. */
export class TestSecretsStore extends SecretsStore {
  /** The in-process table: `items()`, `requests`, `reset()`, the schedule hooks. */
  readonly table: MemoryTable;
  readonly keyring: LocalKeyring;
  readonly #options: SecretsStoreOptions;

  constructor(
    options: SecretsStoreOptions & { readonly keyring: LocalKeyring },
    table: MemoryTable,
  ) {
    super(options);
    this.table = table;
    this.keyring = options.keyring;
    this.#options = options;
  }

  /** A store for another namespace on the same table, keyring and cache. */
  override forNamespace(namespace: string): TestSecretsStore {
    return new TestSecretsStore({ ...this.#options, keyring: this.keyring, namespace }, this.table);
  }
}

/**
 * @example
 * import { createTestStore } from '@secrets-store/core/testing';
 * const secrets = createTestStore({ namespace: 'app:install-1' });
 * await secrets.put('authToken', { token: 't' });
 * expect(await secrets.get('authToken')).toEqual({ token: 't' });
 * expect(secrets.table.items()).toHaveLength(1);
 */
export function createTestStore(options: TestStoreOptions = {}): TestSecretsStore {
  const table = options.table ?? new MemoryTable();
  const keyring = new LocalKeyring({
    masterKey: options.masterKey ?? LocalKeyring.generateMasterKey(),
  });
  return new TestSecretsStore(
    {
      tableName: options.tableName ?? 'secrets',
      namespace: options.namespace ?? 'test',
      keyring,
      client: table.client(options.clientConfig),
      // One cache object, so that stores made by forNamespace() share it as SecretsStore's do.
      dataKeyCache: new DataKeyCache(),
      ...(options.valueCache ? { valueCache: new ValueCache(options.valueCache) } : {}),
      ...(options.consistentRead === undefined ? {} : { consistentRead: options.consistentRead }),
      ...(options.patchRetry === undefined ? {} : { patchRetry: options.patchRetry }),
      ...(options.dataKeyMaxAgeMs === undefined
        ? {}
        : { dataKeyMaxAgeMs: options.dataKeyMaxAgeMs }),
    },
    table,
  );
}
