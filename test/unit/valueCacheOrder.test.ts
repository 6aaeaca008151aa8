/**
 * Value cache v2 (DESIGN.md, "Reads at scale"): the cache follows the table's order, not the
 * order in which promises settle. Every test forces its schedule: an answer held after the table
 * applied the request (test/support/heldAnswers.ts), a Decrypt held on a promise, the Date
 * moved by hand; and asserts the exact value and the exact calls.
 */
import { KmsKeyring, type SecretsStore, ValueCache, type ValueHash } from '@secrets-store/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blindWriteState } from '../../packages/core/src/tableState.ts';
import { KEY_ARN, PREVIOUS_KEY_ARN } from '../support/fakeKms.ts';
import { type Gate, gate } from '../support/gate.ts';
import { holdAnswerOfNext, pendingHolds } from '../support/heldAnswers.ts';
import { harness, NAMESPACE, NONE, ONE_READ, useStoreHarness } from '../support/storeHarness.ts';

useStoreHarness({ valueCache: {} });

afterEach(() => {
  expect(pendingHolds(harness.table.client)).toBe(0);
});

/**
 * The subject's read of `k` (another container put `{ v: 0 }`) has been applied by the table;
 * its answer waits for `held.release()`.
 */
async function heldEarlyRead(options: Parameters<typeof harness.subject>[0] = {}) {
  await harness.otherContainer().put('k', { v: 0 });
  const store = harness.subject(options);
  const held = holdAnswerOfNext(harness.table.client, 'GetItemCommand');
  const early = store.get('k');
  await held.applied;
  return { store, held, early };
}

/** `store.get(key)` answers `value`, and makes exactly the `expected` calls (NONE: cached). */
async function expectGet(
  store: SecretsStore,
  key: string,
  value: unknown,
  expected: { dynamodb: number; kms: number },
): Promise<void> {
  expect(await harness.calls(async () => expect(await store.get(key)).toEqual(value))).toEqual(
    expected,
  );
}

/** `store`'s put of `value` to `k` has been applied by the table; its answer waits for `held.release()`. */
async function heldPut(store: SecretsStore, value: ValueHash) {
  const held = holdAnswerOfNext(harness.table.client, 'UpdateItemCommand');
  const late = store.put('k', value);
  await held.applied;
  return { held, late };
}

/** Released, the early read answers the `{ v: 0 }` it read, and `{ v: 1 }` stays cached. */
async function expectEarlyReadReplacedNothing(
  store: SecretsStore,
  held: { release(): void },
  early: Promise<unknown>,
): Promise<void> {
  held.release();
  expect(await early).toEqual({ v: 0 });
  await expectGet(store, 'k', { v: 1 }, NONE);
}

/** A keyring whose next Decrypt waits for `held.release()`. */
function slowDecrypt(): { keyring: KmsKeyring; held: Gate } {
  const held = gate();
  const keyring = new KmsKeyring({ keyId: KEY_ARN, client: harness.kms.client });
  const decrypt = keyring.decryptDataKey.bind(keyring);
  vi.spyOn(keyring, 'decryptDataKey').mockImplementationOnce(async (...args) => {
    held.arrive();
    await held.opened;
    return decrypt(...args);
  });
  return { keyring, held };
}

type WriteKind = 'put' | 'patch' | 'delete' | 'field delete';
const WRITE_KINDS: readonly WriteKind[] = ['put', 'patch', 'delete', 'field delete'];

/** The command that carries each kind of write: every write of a secret is an UpdateItem. */
const COMMAND: Record<WriteKind, string> = {
  put: 'UpdateItemCommand',
  patch: 'UpdateItemCommand',
  delete: 'UpdateItemCommand',
  'field delete': 'UpdateItemCommand',
};

function write(store: SecretsStore, kind: WriteKind, n: number): Promise<unknown> {
  switch (kind) {
    case 'put':
      return store.put('k', { a: n, b: n });
    case 'patch':
      return store.patch('k', { a: n });
    case 'delete':
      return store.delete('k');
    case 'field delete':
      return store.delete('k', ['b']);
  }
}

/** Read-modify-writes of one key in one store form one queue: the second waits for the first. */
const queued = (first: WriteKind, second: WriteKind) =>
  [first, second].every((kind) => kind === 'patch' || kind === 'field delete');
/** After these the second write finds nothing to write: no race to lose. */
const secondWritesNothing = (first: WriteKind, second: WriteKind) =>
  (first === 'delete' && (second === 'delete' || second === 'field delete')) ||
  (first === 'field delete' && second === 'field delete');

const pairs = WRITE_KINDS.flatMap((first) => WRITE_KINDS.map((second) => [first, second] as const));

describe("a write's late answer never overwrites a newer write of the same process", () => {
  const cases = [
    ...pairs
      .filter(([first, second]) => !queued(first, second) && !secondWritesNothing(first, second))
      .map(([first, second]) => ({ first, second, by: 'the same store' })),
    ...pairs
      .filter(([first, second]) => !secondWritesNothing(first, second))
      .map(([first, second]) => ({ first, second, by: 'a forNamespace sibling' })),
  ];

  it.each(cases)(
    '$first applied with its answer held, then $second by $by: get returns what the table holds',
    async ({ first, second, by }) => {
      await harness.otherContainer().put('k', { a: 0, b: 0 });
      const store = harness.subject();
      const rival = by === 'the same store' ? store : store.forNamespace(NAMESPACE);
      expect(await store.get('k')).toEqual({ a: 0, b: 0 });

      const held = holdAnswerOfNext(harness.table.client, COMMAND[first]);
      const late = write(store, first, 1);
      await held.applied;
      await write(rival, second, 2);
      held.release();
      await late;

      const truth = await harness.otherContainer().get('k');
      expect(await store.get('k')).toEqual(truth);
      expect(await rival.get('k')).toEqual(truth);
    },
  );

  it('a patch that read the put it follows keeps its entry with no call: the history orders them', async () => {
    const store = harness.subject();
    await store.put('k', { a: 0 });
    const { held, late } = await heldPut(store, { a: 1 });
    await store.patch('k', { b: 2 });
    held.release();
    await late;
    expect(
      await harness.calls(async () => expect(await store.get('k')).toEqual({ a: 1, b: 2 })),
    ).toEqual(NONE);
  });

  it('two blind puts whose answers cross cannot be ordered: the entry is evicted, one read', async () => {
    const store = harness.subject();
    const { held, late } = await heldPut(store, { v: 1 });
    await store.put('k', { v: 2 });
    held.release();
    await late;
    expect(
      await harness.requests('GetItem', async () => expect(await store.get('k')).toEqual({ v: 2 })),
    ).toBe(1);
    await expectGet(store, 'k', { v: 2 }, NONE);
  });
});

describe('no get joins a read that went out before the process last wrote the key', () => {
  it('after the entry expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, held, early } = await heldEarlyRead({ valueCache: { maxAgeMs: 1000 } });
    await store.put('k', { v: 1 });
    vi.setSystemTime(Date.now() + 1000);
    expect(
      await harness.requests('GetItem', async () => expect(await store.get('k')).toEqual({ v: 1 })),
    ).toBe(1);
    // The early answer, older in the history, did not replace what the later read found.
    await expectEarlyReadReplacedNothing(store, held, early);
  });

  it('after the entry was evicted by newer keys (LRU)', async () => {
    const { store, held, early } = await heldEarlyRead({ valueCache: { maxEntries: 1 } });
    await store.put('k', { v: 1 });
    await store.put('other', { v: 'x' });
    expect(
      await harness.requests('GetItem', async () => expect(await store.get('k')).toEqual({ v: 1 })),
    ).toBe(1);
    await expectEarlyReadReplacedNothing(store, held, early);
  });

  it("after a forNamespace sibling's write", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await harness.otherContainer().put('k', { v: 0 });
    const store = harness.subject({ valueCache: { maxAgeMs: 1000 } });
    const sibling = store.forNamespace(NAMESPACE);
    const held = holdAnswerOfNext(harness.table.client, 'GetItemCommand');
    const early = store.get('k');
    await held.applied;
    await sibling.patch('k', { v: 1 });
    vi.setSystemTime(Date.now() + 1000);
    expect(await sibling.get('k')).toEqual({ v: 1 });
    await expectEarlyReadReplacedNothing(store, held, early);
  });

  it('concurrent misses still share one read', async () => {
    const { store, held, early: first } = await heldEarlyRead();
    const second = store.get('k');
    held.release();
    expect(await Promise.all([first, second])).toEqual([{ v: 0 }, { v: 0 }]);
    expect(harness.table.memory.requests.filter((r) => r.operation === 'GetItem')).toHaveLength(1);
  });
});

describe('maxAgeMs counts from when the table answered', () => {
  it('not from when a slow Decrypt finished: a rival write shows maxAgeMs after the answer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await harness.otherContainer().put('k', { v: 1 });
    const { keyring, held } = slowDecrypt();
    const store = harness.subject({ keyring, valueCache: { maxAgeMs: 200 } });
    const answeredAt = Date.now();
    const reading = store.get('k');
    await held.reached;
    vi.setSystemTime(answeredAt + 10);
    await harness.otherContainer().put('k', { v: 2 });
    vi.setSystemTime(answeredAt + 150);
    held.release();
    expect(await reading).toEqual({ v: 1 });
    vi.setSystemTime(answeredAt + 199);
    await expectGet(store, 'k', { v: 1 }, NONE);
    vi.setSystemTime(answeredAt + 200);
    expect(await harness.calls(async () => expect(await store.get('k')).toEqual({ v: 2 }))).toEqual(
      {
        dynamodb: 1,
        kms: 1,
      },
    );
  });

  it('a Decrypt slower than maxAgeMs leaves nothing cached', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await harness.otherContainer().put('k', { v: 1 });
    const { keyring, held } = slowDecrypt();
    const store = harness.subject({ keyring, valueCache: { maxAgeMs: 200 } });
    const reading = store.get('k');
    await held.reached;
    vi.setSystemTime(Date.now() + 200);
    held.release();
    expect(await reading).toEqual({ v: 1 });
    expect(await harness.requests('GetItem', () => store.get('k'))).toBe(1);
  });
});

describe('forceFetch', () => {
  it('is never undone by an older read that finishes after it', async () => {
    const { store, held, early } = await heldEarlyRead();
    await harness.otherContainer().put('k', { v: 1 });
    expect(await store.get('k', { forceFetch: true })).toEqual({ v: 1 });
    await expectEarlyReadReplacedNothing(store, held, early);
  });

  it('of a key deleted by another container is not undone by an older read of the live secret', async () => {
    const { store, held, early } = await heldEarlyRead();
    await harness.otherContainer().delete('k');
    expect(await store.get('k', { forceFetch: true })).toEqual({});
    held.release();
    expect(await early).toEqual({ v: 0 });
    await expectGet(store, 'k', {}, NONE);
  });
});

describe('purge, delete and rewrap cancel the fills of a getMany in flight', () => {
  async function heldGetMany(store: SecretsStore) {
    await harness.otherContainer().put('a', { v: 'a' });
    await harness.otherContainer().put('b', { v: 'b' });
    const held = holdAnswerOfNext(harness.table.client, 'BatchGetItemCommand');
    const many = store.getMany(['a', 'b']);
    await held.applied;
    return { held, many };
  }

  it('purge: a purged secret does not come back', async () => {
    const store = harness.subject();
    const { held, many } = await heldGetMany(store);
    expect(await store.purge()).toBe(2);
    held.release();
    expect([...(await many).keys()]).toEqual(['a', 'b']);
    expect(
      await harness.calls(async () => {
        expect(await store.get('a')).toEqual({});
        expect(await store.exists('b')).toBe(false);
      }),
    ).toEqual({ dynamodb: 2, kms: 0 });
  });

  it('delete: the deleted secret does not come back', async () => {
    const store = harness.subject();
    const { held, many } = await heldGetMany(store);
    await store.delete('a');
    held.release();
    expect((await many).get('a')).toEqual({ v: 'a' });
    await expectGet(store, 'a', {}, ONE_READ);
    await expectGet(store, 'a', {}, NONE);
  });

  it('rewrap: nothing read before it is cached after it', async () => {
    const previous = new SecretsStoreOnPreviousKey();
    const store = harness.subject({
      keyring: new KmsKeyring({
        keyId: KEY_ARN,
        previousKeyIds: [PREVIOUS_KEY_ARN],
        client: harness.kms.client,
      }),
    });
    await previous.put('a', { v: 'a' });
    await previous.put('b', { v: 'b' });
    const held = holdAnswerOfNext(harness.table.client, 'BatchGetItemCommand');
    const many = store.getMany(['a', 'b']);
    await held.applied;
    expect((await store.rewrap()).moved).toBe(2);
    held.release();
    await many;
    expect(
      await harness.requests('GetItem', async () =>
        expect(await store.get('a')).toEqual({ v: 'a' }),
      ),
    ).toBe(1);
  });
});

/** A store of the same table and namespace whose keyring wraps with the previous key. */
class SecretsStoreOnPreviousKey {
  readonly #store: SecretsStore;
  constructor() {
    this.#store = harness.subject({
      keyring: new KmsKeyring({ keyId: PREVIOUS_KEY_ARN, client: harness.kms.client }),
      valueCache: false,
      client: harness.table.memory.client(),
    });
  }
  put(key: string, value: ValueHash): Promise<true> {
    return this.#store.put(key, value);
  }
}

describe('one ValueCache shared by stores of two tables', () => {
  it("keys its entries by table: neither store is served the other's value", async () => {
    const values = new ValueCache();
    const inA = harness.subject({ valueCache: values });
    const inB = harness.subject({ tableName: 'secrets-b', valueCache: values });
    await inA.put('k', { table: 'A' });
    await inB.put('k', { table: 'B' });
    expect(
      await harness.calls(async () => {
        expect(await inA.get('k')).toEqual({ table: 'A' });
        expect(await inB.get('k')).toEqual({ table: 'B' });
      }),
    ).toEqual(NONE);
    await inB.purge();
    expect(
      await harness.calls(async () => expect(await inA.get('k')).toEqual({ table: 'A' })),
    ).toEqual(NONE);
    await expectGet(inB, 'k', {}, ONE_READ);
  });
});

describe('expired entries are dropped by a sweep, untouched', () => {
  it('each at its expiry, and no timer is left once the cache is empty', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const values = new ValueCache({ maxAgeMs: 1000 });
    // No data-key cache: its own sweep would be a second timer.
    const store = harness.subject({ valueCache: values, dataKeyCache: false });
    await store.put('a', { v: 1 });
    await vi.advanceTimersByTimeAsync(400);
    await store.put('b', { v: 2 });
    expect(values.size).toBe(2);
    await vi.advanceTimersByTimeAsync(599);
    expect(values.size).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(values.size).toBe(1);
    await vi.advanceTimersByTimeAsync(399);
    expect(values.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(values.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('on a timer that does not keep the process alive', async () => {
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const values = new ValueCache();
    await harness.subject({ valueCache: values, dataKeyCache: false }).put('a', { v: 1 });
    const armed = timeouts.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(armed).toHaveLength(1);
    expect(armed[0]?.hasRef()).toBe(false);
    values.clear();
    expect(values.size).toBe(0);
  });
});

describe('the order rules, on the cache itself', () => {
  const ID = 'secrets\u0000ns\u0000k';
  /** An item as a read returns it: `ids` is its write history, newest first. */
  const item = (...ids: string[]) =>
    Object.fromEntries(
      ids.map((id, index) => [index === 0 ? 'writeId' : `priorWriteId${index}`, { S: id }]),
    );

  it('a strongly consistent read sent after a write was acknowledged is newer, even with no item', () => {
    const values = new ValueCache();
    values.startWrite(ID).landed(blindWriteState('w1'), { v: 1 });
    const read = values.startRead(ID, true);
    read.answered(undefined); // purged by another process meanwhile
    read.fill(null);
    expect(values.lookup(ID)).toBeNull();
  });

  it('an eventually consistent read cannot say so: the entry is evicted instead', () => {
    const values = new ValueCache();
    values.startWrite(ID).landed(blindWriteState('w1'), { v: 1 });
    const read = values.startRead(ID, false);
    read.answered(undefined); // maybe a replica that has not seen w1 yet
    read.fill(null);
    expect(values.lookup(ID)).toBeUndefined();
  });

  it('a read whose history holds the write is newer; one the write came after is older', () => {
    const values = new ValueCache();
    const older = values.startRead(ID);
    const newer = values.startRead(ID);
    older.answered(item('w1', 'w0'));
    values.startWrite(ID).landed(blindWriteState('w2'), { v: 2 });
    newer.answered(item('w3', 'w2', 'w1'));
    newer.fill({ v: 3 });
    older.fill({ v: 1 });
    expect(values.lookup(ID)).toEqual({ v: 3 });
  });

  it('two answers that overlap in time and whose histories do not reach each other: evicted', () => {
    const values = new ValueCache();
    const read = values.startRead(ID);
    const write = values.startWrite(ID);
    // The history no longer reaches back to w1: eight writes by others since.
    read.answered(item('x8', 'x7', 'x6', 'x5', 'x4', 'x3', 'x2', 'x1'));
    write.landed(blindWriteState('w1'), { v: 'mine' });
    read.fill({ v: 'theirs' });
    expect(values.lookup(ID)).toBeUndefined();
    expect(values.size).toBe(0);
  });

  it('a request sent before a purge fills nothing, whatever it shows', () => {
    const values = new ValueCache();
    const read = values.startRead(ID);
    read.answered(item('w1'));
    values.clearNamespace('secrets', 'ns');
    read.fill({ v: 1 });
    expect(values.lookup(ID)).toBeUndefined();
  });
});
