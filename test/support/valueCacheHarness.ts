/**
 * The value cache's unit harness: the store under test (value cache on, on the watched fake
 * table and fake KMS), another Lambda container on the same table, and a counter of the AWS calls
 * an action makes. One copy, imported by every value cache test file.
 */
import { KmsKeyring, SecretsStore, type SecretsStoreOptions } from '@secrets-store/core';
import { fakeKms, KEY_ARN } from './fakeKms.ts';
import { type FakeTable, fakeTable } from './fakeTable.ts';

export const TABLE = 'secrets';
export const NAMESPACE = 'app-1:install-7';

export interface CacheHarness {
  readonly table: FakeTable;
  readonly kms: ReturnType<typeof fakeKms>;
  /** The store under test: value cache on (defaults unless given), on the watched clients. */
  subject(options?: Partial<SecretsStoreOptions>): SecretsStore;
  /** Another Lambda container: its own client and caches, on the same table. */
  otherContainer(): SecretsStore;
  /** AWS calls made by `action` on the watched clients, as DynamoDB + KMS. */
  calls(action: () => Promise<unknown>): Promise<{ dynamodb: number; kms: number }>;
  /** The table's requests of `operation` (e.g. `GetItem`) made by `action`, every copy counted. */
  requests(operation: string, action: () => Promise<unknown>): Promise<number>;
  restore(): void;
}

export const NONE = { dynamodb: 0, kms: 0 };
export const ONE_READ = { dynamodb: 1, kms: 0 };

export function cacheHarness(): CacheHarness {
  const table = fakeTable(TABLE);
  const kms = fakeKms();
  return {
    table,
    kms,
    subject: (options = {}) =>
      new SecretsStore({
        tableName: TABLE,
        namespace: NAMESPACE,
        keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
        client: table.client,
        valueCache: {},
        ...options,
      }),
    otherContainer: () =>
      new SecretsStore({
        tableName: TABLE,
        namespace: NAMESPACE,
        keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
        client: table.memory.client(),
      }),
    calls: async (action) => {
      table.dynamodb.resetHistory();
      kms.kms.resetHistory();
      await action();
      return { dynamodb: table.dynamodb.calls().length, kms: kms.kms.calls().length };
    },
    requests: async (operation, action) => {
      const before = table.memory.requests.length;
      await action();
      return table.memory.requests
        .slice(before)
        .filter((request) => request.operation === operation).length;
    },
    restore: () => {
      table.dynamodb.restore();
      kms.kms.restore();
    },
  };
}
