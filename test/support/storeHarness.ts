/**
 * The unit tests' store under test, in one place (as Powertools' `idempotencyUtils.ts`): a fresh
 * watched MemoryTable (fakeTable.ts) and KMS stand-in (fakeKms.ts) for every test, the store on
 * them, a rival store (another Lambda: its own client and caches, the same table), and what a
 * test counts. `table` and `kms` are live bindings: import them and they are the current test's.
 *
 * @example
 * useStoreHarness({ valueCache: {} });   // once, at the top of a test file
 * const store = subject();                // in a test
 */
import { KmsKeyring, SecretsStore, type SecretsStoreOptions } from '@secrets-store/core';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { fakeKms, KEY_ARN } from './fakeKms.ts';
import { type FakeTable, fakeTable } from './fakeTable.ts';

export const TABLE = 'secrets';
export const NAMESPACE = 'app-1:install-7';

export let table: FakeTable;
export let kms: ReturnType<typeof fakeKms>;
let defaults: Partial<SecretsStoreOptions> = {};

/**
 * Before each test: a new table and KMS. After each: the mocks restored, real timers back, and
 * every schedule the test set up used (no hook still waits for a request that never came).
 * `subjectDefaults` are the options every {@link subject} of the file starts from.
 */
export function useStoreHarness(subjectDefaults: Partial<SecretsStoreOptions> = {}): void {
  beforeEach(() => {
    defaults = subjectDefaults;
    table = fakeTable(TABLE);
    kms = fakeKms();
  });
  afterEach(() => {
    table.dynamodb.restore();
    kms.kms.restore();
    vi.useRealTimers();
    vi.restoreAllMocks();
    expect(table.memory.pendingHooks).toBe(0);
  });
}

/** The store under test: KMS stand-in, the watched client, the file's defaults, then `options`. */
export function subject(options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
    client: table.client,
    ...defaults,
    ...options,
  });
}

/** Another Lambda writing the same secrets: its own DynamoDB client and data-key cache. */
export function rival(options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
    client: table.memory.client(),
    ...options,
  });
}

/** The id of the write that last landed on `key`: a write based on reading it is conditioned on it. */
export async function currentWriteId(key: string): Promise<string> {
  return String((await table.item(NAMESPACE, key))?.writeId?.S);
}

/** Requests conditioned on the item whose id is `writeId` (a write based on that read). */
export function conditionedOn(writeId: string): (input: Record<string, unknown>) => boolean {
  return (input) => JSON.stringify(input.ExpressionAttributeValues ?? {}).includes(writeId);
}

/**
 * The next copy of a write based on `key` as it stands now loses its response (the server
 * applied it), and while it is lost `rivalsWrite` runs, once. Only that write's copies match:
 * the rivals' own writes are based on later items.
 */
export async function loseResponseWhileRivalsWrite(
  key: string,
  rivalsWrite: () => Promise<unknown>,
): Promise<void> {
  let rivalsWrote = false;
  table.memory.loseResponseOfNext('UpdateItem', conditionedOn(await currentWriteId(key)), {
    onLost: async () => {
      if (rivalsWrote) return;
      rivalsWrote = true;
      await rivalsWrite();
    },
  });
}

/** No call at all, and one DynamoDB read: the counts a cached and an uncached `get` make. */
export const NONE = { dynamodb: 0, kms: 0 };
export const ONE_READ = { dynamodb: 1, kms: 0 };

/** The table's requests of `operation` (e.g. `GetItem`) made by `action`, every copy counted. */
export async function requests(operation: string, action: () => Promise<unknown>): Promise<number> {
  const before = table.memory.requests.length;
  await action();
  return table.memory.requests.slice(before).filter((request) => request.operation === operation)
    .length;
}

/** The AWS calls `action` makes on the watched clients (one per `send`), as DynamoDB + KMS. */
export async function calls(
  action: () => Promise<unknown>,
): Promise<{ dynamodb: number; kms: number }> {
  table.dynamodb.resetHistory();
  kms.kms.resetHistory();
  await action();
  return { dynamodb: table.dynamodb.calls().length, kms: kms.kms.calls().length };
}

/** The harness as one object, for files that pass it around: the current test's parts. */
export const harness = {
  get table(): FakeTable {
    return table;
  },
  get kms(): ReturnType<typeof fakeKms> {
    return kms;
  },
  subject,
  otherContainer: () => rival(),
  calls,
  requests,
};
