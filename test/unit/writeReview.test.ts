/**
 * Found by an adversarial review of write protocol v2 (DESIGN.md), forced with the MemoryTable
 * hooks: items whose `writeId` is damaged (patch and rewrap used to loop to ConcurrentUpdateError),
 * and two schedules that held. (The review's schedules of a write re-sent after 8 more writes or
 * across a delete are out of reach by design: SECURITY.md, "Write guarantees".)
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ConcurrentUpdateError,
  KmsKeyring,
  LocalKeyring,
  SecretsStore,
  type SecretsStoreOptions,
} from '@secrets-store/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeKms, KEY_ARN } from '../support/fakeKms.ts';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';

const TABLE = 'secrets';
const NAMESPACE = 'app-1:install-7';

interface Log {
  token?: string;
  ids?: string[];
}

let table: FakeTable;
let kms: ReturnType<typeof fakeKms>;

beforeEach(() => {
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

function subject(options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
    dynamoDBClient: table.client,
    ...options,
  });
}

function rival(): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
    dynamoDBClient: table.memory.client(),
  });
}

function appender(id: string) {
  return (value: Log): Log => ({ ...value, ids: [...(value.ids ?? []), id] });
}

async function rivalAppends(count: number): Promise<string[]> {
  const other = rival();
  const ids = Array.from({ length: count }, (_, index) => `rival-${index + 1}`);
  for (const id of ids) await other.patch<Log>('log', appender(id));
  return ids;
}

describe('review: item sanity (DESIGN point 5)', () => {
  it.each([
    ['an empty string', { S: '' }],
    ['the empty-slot marker', { S: '-' }],
    ['a number', { N: '1' }],
  ])(
    'a writeId stored as %s: patch is handled in bounded time, not a retry loop to ConcurrentUpdateError',
    async (_, writeId) => {
      const store = subject({ patchRetry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
      await store.put('k', { a: 1 });
      const item = await table.item(NAMESPACE, 'k');
      await table.putItem({ ...item, writeId } as never);
      table.dynamodb.resetHistory();
      const outcome = await store.patch('k', { a: 2 }).catch((error: unknown) => error);
      expect(outcome).not.toBeInstanceOf(ConcurrentUpdateError);
      // Repaired by the write: conditioned on the id exactly as stored, it lands at once.
      expect(outcome).toEqual({ a: 1 });
      expect(table.dynamodb.commandCalls(PutItemCommand).length).toBeLessThanOrEqual(2);
      expect(await store.get('k')).toEqual({ a: 2 });
    },
  );
});

describe('review: rewrap of an item with a damaged writeId (DESIGN point 5)', () => {
  it('reports it in bounded time, without one write and one re-wrap per patchRetry attempt', async () => {
    const masterA = LocalKeyring.generateMasterKey();
    const masterB = LocalKeyring.generateMasterKey();
    const onA = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterA }),
      dynamoDBClient: table.client,
    });
    await onA.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    await table.putItem({ ...item, writeId: { S: '' } } as never);
    const onB = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterB, previousMasterKeys: [masterA] }),
      dynamoDBClient: table.client,
    });
    const before = table.memory.requests.length;
    const summary = await onB.rewrap();
    const puts = table.memory.requests
      .slice(before)
      .filter((request) => request.operation === 'PutItem');
    // Observed: 40 conditional writes (the default patchRetry.maxAttempts), no backoff between
    // them, each after a fresh re-wrap, then ConcurrentUpdateError in failures.
    expect(puts.length).toBeLessThanOrEqual(2);
    expect(summary.moved + summary.failed).toBe(1);
  });
});

describe('review: schedules that held (passing)', () => {
  it('group commit: a batch loses a race, one updater throws only on its second run; no double apply, all settle', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    const read = table.memory.pauseNext('PutItem');
    let secondRuns = 0;
    const a = store.patch<Log>('log', appender('a'));
    // The first batch is [a]; b, c, d form the second, whose first write is paused.
    await read.reached;
    const b = store.patch<Log>('log', appender('b'));
    const c = store.patch<Log>('log', (value) => {
      secondRuns++;
      if (secondRuns === 2) throw new Error('only on the retry');
      return appender('c')(value);
    });
    const d = store.patch<Log>('log', appender('d'));
    read.release();
    await a;
    const rivalWrite = table.memory.pauseNext('PutItem');
    await rivalWrite.reached; // batch [b, c, d] is about to write
    await rivalAppends(1); // goes first through the rival client (no pause hook left)
    rivalWrite.release();
    const outcomes = await Promise.allSettled([b, c, d]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: ['a', 'rival-1', 'b', 'd'] });
  });

  it('patch, response lost, 7 rivals then a put land before the re-send: landed, applied once', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    table.memory.loseResponseOfNext('PutItem', undefined, {
      onLost: async () => {
        await rivalAppends(6);
        await rival().put('log', { ids: ['rival-put'] });
      },
    });
    let runs = 0;
    await expect(
      store.patch<Log>('log', (value) => {
        runs++;
        return appender('subject')(value);
      }),
    ).resolves.toEqual({ ids: [] });
    expect(runs).toBe(1);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-put'] });
  });
});
