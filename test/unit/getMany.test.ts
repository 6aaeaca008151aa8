/**
 * getMany: BatchGetItem in calls of 100 keys, strongly consistent, UnprocessedKeys retried (forced
 * with the MemoryTable's hook), one namespace only, absent keys and tombstones left out, keys
 * validated before any call, duplicates collapsed, each data key unwrapped once, the value cache
 * used and filled.
 */
import { BatchGetItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand } from '@aws-sdk/client-kms';
import { InvalidKeyError, type SecretsStore, StorageError } from '@secrets-store/core';
import { createTestStore } from '@secrets-store/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { kms, NAMESPACE, subject, TABLE, table, useStoreHarness } from '../support/storeHarness.ts';

useStoreHarness();

const keysOf = (count: number, prefix = 'k') =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(3, '0')}`);

async function putAll(store: SecretsStore, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => store.put(key, { name: key })));
}

/** The operations the table received since `action` began. */
async function operations(action: () => Promise<unknown>): Promise<string[]> {
  const before = table.memory.requests.length;
  await action();
  return table.memory.requests.slice(before).map((request) => request.operation);
}

describe('getMany', () => {
  it('sends one strongly consistent BatchGetItem of the keys (aws-sdk-client-mock sees it)', async () => {
    const store = subject();
    await putAll(store, ['a', 'b']);
    table.dynamodb.resetHistory();
    const found = await store.getMany(['a', 'b']);
    expect([...found]).toEqual([
      ['a', { name: 'a' }],
      ['b', { name: 'b' }],
    ]);
    expect(table.dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
    expect(table.dynamodb).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [
            { pk: { S: NAMESPACE }, sk: { S: 'a' } },
            { pk: { S: NAMESPACE }, sk: { S: 'b' } },
          ],
          ConsistentRead: true,
        },
      },
    });
  });

  it('reads 250 keys in 3 calls of at most 100, in the order asked, warm: no keyring call', async () => {
    const store = subject();
    const keys = keysOf(250);
    await putAll(store, keys);
    table.dynamodb.resetHistory();
    kms.kms.resetHistory();
    const found = await store.getMany([...keys].reverse());
    expect([...found.keys()]).toEqual([...keys].reverse());
    expect(found.get('k123')).toEqual({ name: 'k123' });
    const sizes = table.dynamodb
      .commandCalls(BatchGetItemCommand)
      .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(table.dynamodb.calls()).toHaveLength(3);
    expect(kms.kms.calls()).toHaveLength(0);
  });

  it('cold: one keyring call per distinct data key, shared with a concurrent get of the same key', async () => {
    const keys = keysOf(20);
    await putAll(subject(), keys);
    const cold = subject();
    kms.kms.resetHistory();
    const [many, one] = await Promise.all([cold.getMany(keys), cold.get('k007')]);
    expect(many.size).toBe(20);
    expect(one).toEqual({ name: 'k007' });
    expect(kms.kms.commandCalls(DecryptCommand)).toHaveLength(20);
  });

  it('leaves out absent keys and tombstones', async () => {
    const store = subject();
    await putAll(store, ['a', 'gone']);
    await table.putItem({
      pk: { S: NAMESPACE },
      sk: { S: 'gone' },
      writeId: { S: 'w' },
      updatedAt: { N: String(Date.now()) },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86400) },
    });
    const found = await store.getMany(['missing', 'a', 'gone']);
    expect([...found]).toEqual([['a', { name: 'a' }]]);
  });

  it('reads nothing of another namespace', async () => {
    const store = subject();
    const other = store.forNamespace('app-1:install-8');
    await other.put('shared', { owner: 'other' });
    await store.put('mine', { owner: 'me' });
    const found = await store.getMany(['shared', 'mine']);
    expect([...found]).toEqual([['mine', { owner: 'me' }]]);
    for (const call of table.dynamodb.commandCalls(BatchGetItemCommand)) {
      for (const key of call.args[0].input.RequestItems?.[TABLE]?.Keys ?? []) {
        expect(key.pk).toEqual({ S: NAMESPACE });
      }
    }
  });

  it('collapses duplicates and picks fields', async () => {
    const store = subject();
    await store.put('a', { x: 1, y: 2 });
    table.dynamodb.resetHistory();
    const found = await store.getMany(new Set(['a']).add('a'), { fields: ['y'] });
    const again = await store.getMany(['a', 'a', 'a'], { fields: ['x', 'zzz'] });
    expect([...found]).toEqual([['a', { y: 2 }]]);
    expect([...again]).toEqual([['a', { x: 1 }]]);
    expect(
      table.dynamodb
        .commandCalls(BatchGetItemCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length),
    ).toEqual([1, 1]);
  });

  it('validates every key before any call', async () => {
    const store = subject();
    await expect(store.getMany(['ok', 'bad\u0000key'])).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.getMany(['ok', 42 as unknown as string])).rejects.toBeInstanceOf(
      InvalidKeyError,
    );
    await expect(store.getMany('ab' as unknown as string[])).rejects.toBeInstanceOf(
      InvalidKeyError,
    );
    await expect(store.getMany(['ok'], { fields: 'a' as never })).rejects.toThrow(/fields/);
    expect(table.dynamodb.calls()).toHaveLength(0);
  });

  it('of no keys makes no call', async () => {
    expect(await operations(() => subject().getMany([]))).toEqual([]);
  });
});

describe('getMany with UnprocessedKeys (the MemoryTable hook)', () => {
  it('reads the keys left unprocessed again, and only those', async () => {
    const store = subject();
    const keys = keysOf(150);
    await putAll(store, keys);
    table.memory.leaveUnprocessedInNext(30, undefined, { operation: 'BatchGetItem', times: 2 });
    let found: Map<string, unknown> | undefined;
    const sent = await operations(async () => {
      found = await store.getMany(keys);
    });
    expect(found?.size).toBe(150);
    expect(found?.get('k149')).toEqual({ name: 'k149' });
    expect(sent).toEqual(['BatchGetItem', 'BatchGetItem', 'BatchGetItem', 'BatchGetItem']);
    const batches = table.memory.requests
      .filter((request) => request.operation === 'BatchGetItem')
      .map((request) => {
        const read = (
          request.input.RequestItems as Record<string, { Keys: unknown[]; ConsistentRead: boolean }>
        )[TABLE];
        return [read?.Keys.length, read?.ConsistentRead];
      });
    // Two first calls (100 + 50, sent together: either may arrive first), each leaving its last
    // 30; their retries read those 30.
    expect([...batches.slice(0, 2)].sort(([a], [b]) => Number(b) - Number(a))).toEqual([
      [100, true],
      [50, true],
    ]);
    expect(batches.slice(2)).toEqual([
      [30, true],
      [30, true],
    ]);
  });

  it('after its budget (8 calls), a StorageError names the keys still unread', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // no backoff wait: the schedule is the point
    const store = subject();
    await putAll(store, ['a', 'b', 'c']);
    table.memory.leaveUnprocessedInNext(2, undefined, { operation: 'BatchGetItem', times: 8 });
    const error = await store.getMany(['a', 'b', 'c']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      `DynamoDB left 2 of the keys of a getMany in namespace ${NAMESPACE} (table ${TABLE}) unread after 8 attempts (UnprocessedKeys: the table is throttled); unread: "b", "c"`,
    );
    expect(table.dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(8);
  });
});

describe('getMany with UnprocessedKeys across calls', () => {
  it('names the keys left unread by every call in one StorageError, after each call spent its budget', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const store = subject();
    const keys = keysOf(150);
    await putAll(store, keys);
    table.memory.leaveUnprocessedInNext(2, undefined, { operation: 'BatchGetItem', times: 16 });
    const error = await store.getMany(keys).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /left 4 of the keys .* unread after 8 attempts .*; unread: "k098", "k099", "k148", "k149"$/,
    );
    expect(table.dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(16);
  });
});

describe('getMany and the value cache', () => {
  it('uses and fills it: a second getMany or get of the keys makes no call', async () => {
    const store = subject({ valueCache: {} });
    await putAll(subject(), ['a', 'b']);
    expect(await operations(() => store.getMany(['a', 'b', 'absent']))).toEqual(['BatchGetItem']);
    expect(
      await operations(async () => {
        expect([...(await store.getMany(['b', 'absent', 'a']))]).toEqual([
          ['b', { name: 'b' }],
          ['a', { name: 'a' }],
        ]);
        expect(await store.get('absent')).toEqual({});
      }),
    ).toEqual([]);
  });

  it('reads only the keys it does not hold; forceFetch reads them all', async () => {
    const store = subject({ valueCache: {} });
    await putAll(store, ['a', 'b', 'c']);
    await store.get('a');
    const other = subject();
    await other.put('c', { name: 'changed' });
    table.dynamodb.resetHistory();
    // put wrote a, b and c through the cache: only `d` is unknown.
    const found = await store.getMany(['a', 'c', 'd']);
    expect(found.get('c')).toEqual({ name: 'c' });
    expect(
      table.dynamodb
        .commandCalls(BatchGetItemCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys),
    ).toEqual([[{ pk: { S: NAMESPACE }, sk: { S: 'd' } }]]);
    const fresh = await store.getMany(['a', 'c'], { forceFetch: true });
    expect(fresh.get('c')).toEqual({ name: 'changed' });
    expect(await store.get('c')).toEqual({ name: 'changed' });
  });

  it('each caller gets its own copy', async () => {
    const store = subject({ valueCache: {} });
    await store.put('a', { list: [1] });
    const first = await store.getMany<{ list: number[] }>(['a']);
    first.get('a')?.list.push(2);
    expect((await store.getMany(['a'])).get('a')).toEqual({ list: [1] });
    expect(await store.get('a')).toEqual({ list: [1] });
  });
});

describe('round trips', () => {
  it('getMany(n) = ceil(n / 100) BatchGetItem + 0 KMS warm; a cached get 0 + 0', async () => {
    const store = subject({ valueCache: {} });
    const keys = keysOf(201);
    await putAll(subject(), keys);
    const warm = subject();
    await warm.getMany(keys); // cold: unwraps the data keys into its cache
    table.dynamodb.resetHistory();
    kms.kms.resetHistory();
    await warm.getMany(keys);
    expect([table.dynamodb.calls().length, kms.kms.calls().length]).toEqual([3, 0]);
    await store.get('k000');
    table.dynamodb.resetHistory();
    kms.kms.resetHistory();
    await store.get('k000');
    expect([table.dynamodb.calls().length, kms.kms.calls().length]).toEqual([0, 0]);
  });
});

describe('the testing kit', () => {
  it('createTestStore: getMany over the MemoryTable, with the value cache option', async () => {
    const secrets = createTestStore({ namespace: 'app:1', valueCache: { maxAgeMs: 1000 } });
    await secrets.put('a', { v: 1 });
    secrets.table.requests.length = 0;
    expect([...(await secrets.getMany(['a', 'b']))]).toEqual([['a', { v: 1 }]]);
    expect(await secrets.forNamespace('app:1').get('a')).toEqual({ v: 1 });
    expect(secrets.table.requests.map((request) => request.operation)).toEqual(['BatchGetItem']);
  });
});
