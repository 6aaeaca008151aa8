/**
 * Write protocol v2 (DESIGN.md) under forced schedules, in process: the MemoryTable pauses a
 * write before it is applied, or applies it and drops its response (the real SDK then sends the
 * same request again), and a rival store (another Lambda: its own client and cache) writes at
 * exactly that moment. Exactness is checked with unique ids appended to a list.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import {
  ConcurrentUpdateError,
  DecryptionError,
  InvalidValueError,
  LocalKeyring,
  OutcomeUnknownError,
  SecretsStore,
  StorageError,
  type ValueHash,
} from '@secrets-store/core';
import { describe, expect, it, vi } from 'vitest';
import { MAX_RESENDS } from '../../packages/core/src/backoff.ts';
import { tombstoneExpiry } from '../../packages/core/src/item/index.ts';
import {
  conditionedOn,
  currentWriteId,
  kms,
  loseResponseWhileRivalsWrite,
  NAMESPACE,
  rival,
  subject,
  TABLE,
  table,
  useStoreHarness,
} from '../support/storeHarness.ts';

interface Log {
  token?: string;
  ids?: string[];
}

useStoreHarness();

function appender(id: string, runs: { count: number } = { count: 0 }) {
  return (value: Log): Log => {
    runs.count++;
    return { ...value, ids: [...(value.ids ?? []), id] };
  };
}

/**
 * The subject's patch of the log, appending 'subject': it resolves `previous`, its updater ran
 * `runs` times, and the table received exactly the operations `sent`, in order.
 */
async function expectPatchOfLog(
  store: SecretsStore,
  expected: { previous: Log; runs: number; sent: string[] },
): Promise<void> {
  const runs = { count: 0 };
  const before = table.memory.requests.length;
  expect(await store.patch<Log>('log', appender('subject', runs))).toEqual(expected.previous);
  expect(runs.count).toBe(expected.runs);
  expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual(
    expected.sent,
  );
}

/**
 * The subject's patch of the log (appending 'subject') has its copy paused at the table while
 * `count` rivals append; then that copy is refused with a throttle. `before` counts the table's
 * requests from the patch on.
 */
async function patchThrottledAfterRivals(store: SecretsStore, count: number) {
  const paused = table.memory.pauseNext('UpdateItem', conditionedOn(await currentWriteId('log')));
  const before = table.memory.requests.length;
  const runs = { count: 0 };
  const patching = store.patch<Log>('log', appender('subject', runs));
  await paused.reached;
  const rivalIds = await rivalAppends(count);
  // Set now, so that it is the subject's paused copy (the next PutItem to go on) it refuses.
  table.memory.failNext('UpdateItem', 'ThrottlingException');
  paused.release();
  return { patching, runs, before, rivalIds };
}

/**
 * The subject's patch of the log (appending 'subject'), held at `pause` while one rival appends:
 * what it resolved and how many times its updater ran.
 */
async function patchLosingOneRaceAt(
  store: SecretsStore,
  pause: { reached: Promise<unknown>; release(): void },
): Promise<{ previous: Log; runs: number }> {
  const runs = { count: 0 };
  const patching = store.patch<Log>('log', appender('subject', runs));
  await pause.reached;
  await rivalAppends(1);
  pause.release();
  return { previous: await patching, runs: runs.count };
}

/** A rival patch lands before each of the subject's next `times` writes: it loses each race. */
function rivalWinsTheNextRaces(times = Number.POSITIVE_INFINITY): void {
  const direct = table.memory.client();
  const other = rival();
  let rivals = 0;
  table.dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
    if (rivals < times) await other.patch<Log>('log', appender(`rival-${++rivals}`));
    return direct.send(new UpdateItemCommand(input));
  });
}

async function rivalAppends(count: number): Promise<string[]> {
  const other = rival();
  const ids = Array.from({ length: count }, (_, index) => `rival-${index + 1}`);
  for (const id of ids) await other.patch<Log>('log', appender(id));
  return ids;
}

describe('a write whose response is lost (the store decides at once, with one read)', () => {
  it('patch: applied once, resolves the previous value; one read finds its id, nothing sent twice', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    table.memory.loseResponseOfNext('UpdateItem');
    await expectPatchOfLog(store, {
      previous: { ids: [] },
      runs: 1,
      sent: ['GetItem', 'UpdateItem', 'GetItem'],
    });
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject'] });
  });

  it.each([1, 2, 7])(
    'patch, while %i rival writes land before the re-send: applied once and resolves',
    async (rivals) => {
      const store = subject();
      await store.put('log', { ids: [] });
      let rivalIds: string[] = [];
      table.memory.loseResponseOfNext('UpdateItem', undefined, {
        onLost: async () => {
          rivalIds = await rivalAppends(rivals);
        },
      });
      const runs = { count: 0 };
      expect(await store.patch<Log>('log', appender('subject', runs))).toEqual({ ids: [] });
      expect(runs.count).toBe(1);
      expect(await store.get<Log>('log')).toEqual({ ids: ['subject', ...rivalIds] });
    },
  );

  it.each([8, 20])(
    'patch, while %i rival writes land: the history no longer reaches back, so OutcomeUnknownError; still applied once',
    async (rivals) => {
      const store = subject();
      await store.put('log', { ids: [] });
      table.memory.loseResponseOfNext('UpdateItem', undefined, {
        onLost: async () => {
          await rivalAppends(rivals);
        },
      });
      const runs = { count: 0 };
      const error = await store
        .patch<Log>('log', appender('subject', runs))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect(error).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
      expect(runs.count).toBe(1);
      const { ids = [] } = await store.get<Log>('log');
      expect(ids.filter((id) => id === 'subject')).toEqual(['subject']);
      expect(ids).toHaveLength(rivals + 1);
    },
  );

  it('a create, while a rival patches the new secret: applied once, resolves {}', async () => {
    const store = subject();
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rivalAppends(1);
      },
    });
    const runs = { count: 0 };
    expect(await store.patch<Log>('log', appender('subject', runs))).toEqual({});
    expect(runs.count).toBe(1);
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject', 'rival-1'] });
  });

  it('put, while a patch lands on top: one read finds the put behind the patch; resolves, erases nothing', async () => {
    const store = subject();
    await store.put('log', { ids: ['before'] });
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rivalAppends(1);
      },
    });
    table.dynamodb.resetHistory();
    await expect(store.put('log', { ids: ['put'] })).resolves.toBe(true);
    // The put and the read that found it landed; one KMS call.
    expect(table.dynamodb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'UpdateItemCommand',
      'GetItemCommand',
    ]);
    expect(kms.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    expect(await store.get<Log>('log')).toEqual({ ids: ['put', 'rival-1'] });
    expect((await table.item(NAMESPACE, 'log'))?.version).toEqual({ N: '3' });
  });

  it('put, alone: found by one read, sent once, the version counted once', async () => {
    const store = subject();
    table.memory.loseResponseOfNext('UpdateItem');
    await expect(store.put('k', { a: 1 })).resolves.toBe(true);
    expect(table.memory.requests.map((request) => request.operation)).toEqual([
      'UpdateItem',
      'GetItem',
    ]);
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '1' });
  });

  it('a field delete, while a rival patches: applied once', async () => {
    const store = subject();
    await store.put('log', { token: 't', ids: [] });
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rivalAppends(1);
      },
    });
    await store.delete('log', ['token']);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1'] });
  });

  it('a throttled copy (the store re-sends it after a read shows its base current) then a lost one: one read finds the id, and the patch resolves', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: [] });
    table.memory.failNext('UpdateItem', 'ThrottlingException');
    table.memory.loseResponseOfNext('UpdateItem');
    await expectPatchOfLog(store, {
      previous: { ids: [] },
      runs: 1,
      sent: ['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem', 'GetItem'],
    });
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject'] });
  });

  it('the copy lost while 8 rivals wrote: OutcomeUnknownError with the network error as cause', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: [] });
    await loseResponseWhileRivalsWrite('log', () => rivalAppends(8));
    const error = await store
      .patch<Log>('log', appender('subject'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).cause).toBeInstanceOf(StorageError);
    const { ids = [] } = await store.get<Log>('log');
    expect(ids.filter((id) => id === 'subject')).toEqual(['subject']);
    expect(ids).toHaveLength(9);
  });
});

describe('a write that certainly did not land', () => {
  it('a 500 on three copies: each may still land, so after each the store reads, finds the item unchanged and sends the same write again; the fourth lands once', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: ['before'] });
    table.memory.failNext('UpdateItem', 'InternalServerError', undefined, { times: 3 });
    // The SDK does not retry a copy that may land: the store decides, then re-sends.
    await expectPatchOfLog(store, {
      previous: { ids: ['before'] },
      runs: 1,
      sent: [
        'GetItem',
        ...['UpdateItem', 'GetItem', 'UpdateItem', 'GetItem', 'UpdateItem', 'GetItem'],
        'UpdateItem',
      ],
    });
    expect(await store.get<Log>('log')).toEqual({ ids: ['before', 'subject'] });
  });

  it('a 500 on every copy of every send: OutcomeUnknownError once the re-sends are spent (a 5xx may have been applied), never StorageError', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 2 }) });
    await store.put('log', { ids: ['before'] });
    const sends = 1 + MAX_RESENDS; // the first send and its re-sends
    table.memory.failNext('UpdateItem', 'InternalServerError', undefined, { times: sends });
    const error = await store
      .patch<Log>('log', appender('subject'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toBe(
      `the patch of "log" in namespace ${NAMESPACE} may or may not have landed: a copy of it may have reached DynamoDB (InternalServerError) and it was sent ${sends} times and a copy may still land; read the secret to see where it stands`,
    );
    expect(await store.get<Log>('log')).toEqual({ ids: ['before'] });
  });

  it('a throttled copy of a patch: the store reads, finds its base current and sends it again, once', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: [] });
    table.memory.failNext('UpdateItem', 'ProvisionedThroughputExceededException');
    await expectPatchOfLog(store, {
      previous: { ids: [] },
      runs: 1,
      sent: ['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem'],
    });
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject'] });
  });

  it('a throttled copy of a patch whose base moved meanwhile: a lost race, never re-sent stale; the patch runs again on the new value', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: [] });
    const { patching, runs, before } = await patchThrottledAfterRivals(store, 1);
    expect(await patching).toEqual({ ids: ['rival-1'] });
    expect(runs.count).toBe(2);
    // The subject's read and (paused) write, the rival's read and write, then the subject's
    // throttled copy: a read shows its base moved, so no stale re-send; after the backoff, a
    // read and the write of its second run.
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'GetItem',
      'UpdateItem',
      'GetItem',
      'UpdateItem',
      'GetItem',
      'GetItem',
      'UpdateItem',
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1', 'subject'] });
  });
});

describe('no ABA: a secret deleted and created again while a patch was in flight', () => {
  it.each([
    ['put', (other: SecretsStore) => other.put('auth', { token: 'NEW' })],
    ['patch', (other: SecretsStore) => other.patch('auth', { token: 'NEW' })],
  ])(
    're-created by %s: the patch fails its condition once and runs again on the new secret',
    async (_how, recreate) => {
      const store = subject();
      await store.put('auth', { token: 'OLD' });
      const paused = table.memory.pauseNext('UpdateItem');
      const seen: (string | undefined)[] = [];
      const patching = store.patch<Log>('auth', (value) => {
        seen.push(value.token);
        return { ...value, ids: ['subject'] };
      });
      await paused.reached;
      const other = rival();
      await other.delete('auth');
      await recreate(other);
      paused.release();
      expect(await patching).toEqual({ token: 'NEW' });
      expect(seen).toEqual(['OLD', 'NEW']);
      expect(await store.get<Log>('auth')).toEqual({ token: 'NEW', ids: ['subject'] });
    },
  );

  it('deleted while a patch that read it was in flight: the patch creates it anew from {}', async () => {
    const store = subject();
    await store.put('auth', { token: 'OLD' });
    const paused = table.memory.pauseNext('UpdateItem');
    const patching = store.patch<Log>('auth', appender('subject'));
    await paused.reached;
    await rival().delete('auth');
    paused.release();
    expect(await patching).toEqual({});
    expect(await store.get<Log>('auth')).toEqual({ ids: ['subject'] });
  });
});

describe('a lost race', () => {
  it('knows from the item the failed write returned (ALL_OLD) that it did not land, backs off, reads and retries', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // no sleep
    const store = subject();
    await store.put('log', { ids: [] });
    const paused = table.memory.pauseNext('UpdateItem');
    table.dynamodb.resetHistory();
    const { previous, runs } = await patchLosingOneRaceAt(store, paused);
    expect(previous).toEqual({ ids: ['rival-1'] });
    expect(runs).toBe(2);
    // The first read, then the read after the backoff: none to decide the failed write.
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 2);
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1', 'subject'] });
  });

  it('needs no read to decide when the server returns no ALL_OLD item (as dynalite): its only copy was refused', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const store = subject();
    await store.put('log', { ids: [] });
    const direct = table.memory.client();
    table.dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
      try {
        return await direct.send(new UpdateItemCommand(input));
      } catch (error) {
        delete (error as { Item?: unknown }).Item;
        throw error;
      }
    });
    const paused = table.memory.pauseNext('UpdateItem');
    table.dynamodb.resetHistory();
    const patching = store.patch<Log>('log', appender('subject'));
    await paused.reached;
    await rivalAppends(1);
    paused.release();
    await patching;
    // The read before the patch, and the read after backing off: none to decide.
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 2);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1', 'subject'] });
  });

  it('backs off with full jitter on 16 round trips (at least baseDelayMs) growing by a quarter, capped by maxDelayMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const store = subject({ patchRetry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1800 } });
    await store.put('log', { ids: [] });
    table.dynamodb.resetHistory();
    rivalWinsTheNextRaces(3);
    const writes = () => table.dynamodb.commandCalls(UpdateItemCommand).length;
    const done = store.patch<Log>('log', appender('subject'));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes()).toBe(1);
    // Conflict 1: 0.5 x (100 x 16) = 800 ms (the in-process round trip is below 100 ms).
    await vi.advanceTimersByTimeAsync(799);
    expect(writes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes()).toBe(2);
    // Conflict 2: 0.5 x (1600 x 1.25 = 2000, capped at 1800) = 900 ms.
    await vi.advanceTimersByTimeAsync(899);
    expect(writes()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes()).toBe(3);
    await vi.advanceTimersByTimeAsync(900);
    await expect(done).resolves.toEqual({ ids: ['rival-1', 'rival-2', 'rival-3'] });
    expect(writes()).toBe(4);
  });

  it('gives up with ConcurrentUpdateError after maxAttempts writes that all lost', async () => {
    const store = subject({ patchRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await store.put('log', { ids: [] });
    rivalWinsTheNextRaces();
    const error = await store
      .patch<Log>('log', appender('subject'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE', attempts: 3 });
    expect((await store.get<Log>('log')).ids).toEqual(['rival-1', 'rival-2', 'rival-3']);
  });
});

describe('the time budget of a write that keeps losing races', () => {
  it('gives up with ConcurrentUpdateError, nothing written, when the next sleep would end past budgetMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const store = subject({ patchRetry: { budgetMs: 1000, baseDelayMs: 100, maxDelayMs: 1800 } });
    await store.put('log', { ids: [] });
    rivalWinsTheNextRaces();
    const done = store.patch<Log>('log', appender('subject')).catch((caught: unknown) => caught);
    // Loss 1 at 0 ms: sleeps 800 ms (ends at 800 < 1000). Loss 2 at 800 ms: 900 ms would end
    // at 1700: it gives up there.
    await vi.advanceTimersByTimeAsync(800);
    const error = await done;
    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE', attempts: 2 });
    expect((error as Error).message).toBe(
      `the patch of "log" in namespace ${NAMESPACE} gave up after 2 attempts in 800 ms: other writers kept changing it; nothing of it was written`,
    );
    expect((await store.get<Log>('log')).ids).toEqual(['rival-1', 'rival-2']);
  });
});

describe('group commit: concurrent patches of one key in one store share one write', () => {
  it('100 patches: one read, two writes, each resolves to the value its predecessor left', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    table.dynamodb.resetHistory();
    kms.kms.resetHistory();
    const ids = Array.from({ length: 100 }, (_, index) => `patch-${index}`);
    const previous = await Promise.all(ids.map((id) => store.patch<Log>('log', appender(id))));
    // The first patch finds the key idle and writes alone; the 99 that arrived meanwhile
    // form the next batch, which starts from what the first wrote: no second read.
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(kms.kms.calls()).toHaveLength(0);
    const { ids: stored = [] } = await store.get<Log>('log');
    expect(stored).toEqual(ids);
    // Each resolved to the list just before its own id: exactly the prefixes, once each.
    expect(previous.map((value) => value.ids?.length)).toEqual(ids.map((_, index) => index));
    previous.forEach((value, index) => {
      expect(value.ids).toEqual(ids.slice(0, index));
    });
  });

  it('an updater that throws fails only its own call; the others see the value before it', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    const failure = new RangeError('no');
    const results = await Promise.allSettled([
      store.patch<Log>('log', appender('a')),
      store.patch<Log>('log', appender('b')),
      store.patch<Log>('log', () => {
        throw failure;
      }),
      store.patch<Log>('log', { ids: [Number.NaN] as never }),
      store.patch<Log>('log', (() => ({ ids: [() => 1] })) as never),
      store.patch<Log>('log', appender('c')),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toBe(failure);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidValueError);
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidValueError);
    expect((results[5] as PromiseFulfilledResult<Log>).value).toEqual({ ids: ['a', 'b'] });
    expect(await store.get<Log>('log')).toEqual({ ids: ['a', 'b', 'c'] });
  });

  it('a batch that loses a race runs all its updaters again on the winner', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    const first = table.memory.pauseNext('UpdateItem');
    const one = store.patch<Log>('log', appender('one'));
    await first.reached;
    // These queue behind the paused write and form the next batch.
    const batch = ['two', 'three'].map((id) => store.patch<Log>('log', appender(id)));
    first.release();
    await one;
    const second = table.memory.pauseNext('UpdateItem');
    await second.reached;
    await rivalAppends(1);
    second.release();
    expect(await Promise.all(batch)).toEqual([
      { ids: ['one', 'rival-1'] },
      { ids: ['one', 'rival-1', 'two'] },
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: ['one', 'rival-1', 'two', 'three'] });
  });

  it('field deletes and patches of an absent key in one batch', async () => {
    const store = subject();
    const paused = table.memory.pauseNext('GetItem');
    const results = Promise.all([
      store.delete('k', ['a']),
      store.patch('k', { a: 1, b: 2 }),
      store.delete('k', ['a']),
    ]);
    paused.release();
    await results;
    expect(await store.get('k')).toEqual({ b: 2 });
  });
});

describe('item sanity: damaged metadata is handled in bounded time', () => {
  async function damage(key: string, attributes: Record<string, unknown>): Promise<void> {
    const item = await table.item(NAMESPACE, key);
    await table.putItem({ ...item, ...(attributes as object) });
  }

  /** A store with the secret `k` put as `value`, then its item damaged with `attributes`. */
  async function damagedSecret(
    attributes: Record<string, unknown>,
    value: ValueHash = { a: 1 },
  ): Promise<SecretsStore> {
    const store = subject();
    await store.put('k', value);
    await damage('k', attributes);
    return store;
  }

  /** The put of `{ a: 2 }` was refused and the secret written whole: its count starts again. */
  async function expectRepairedByThePut(store: SecretsStore, reads: number): Promise<void> {
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, reads);
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '1' });
    expect(await store.get('k')).toEqual({ a: 2 });
  }

  it('a version stored as a string: get reads, patch restarts the count, put repairs it with one more write', async () => {
    const store = await damagedSecret({ version: { S: '7' } });
    expect(await store.get('k')).toEqual({ a: 1 });
    await store.patch('k', { a: 2 });
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '1' });
    await damage('k', { version: { S: 'seven' } });
    table.dynamodb.resetHistory();
    await store.put('k', { a: 3 });
    // The put, then the whole write conditioned on the item as read that repairs the count.
    const writes = table.dynamodb
      .commandCalls(UpdateItemCommand)
      .map((call) =>
        call.args[0].input.ConditionExpression?.startsWith('(attribute_not_exists(#version)')
          ? 'put'
          : 'repair',
      );
    expect(writes).toEqual(['put', 'repair']);
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '1' });
    expect(await store.get('k')).toEqual({ a: 3 });
  });

  // Outside DynamoDB's range of counts a put can take: `+ 1` is a ValidationException there.
  it.each([
    ['9.99E125', { N: '9.99E125' }],
    ['1E38', { N: '1E38' }],
    ['1E-130', { N: '1E-130' }],
    ['-9.99E125', { N: '-9.99E125' }],
    ['38 nines', { N: '9'.repeat(38) }],
    ['0', { N: '0' }],
    ['a boolean', { BOOL: true }],
  ])(
    'a version of %s is corrupt: the next put replaces it with one more request',
    async (_, version) => {
      const store = await damagedSecret({ version });
      table.dynamodb.resetHistory();
      await store.put('k', { a: 2 });
      // The put, refused, then the repair: a whole write of the secret.
      await expectRepairedByThePut(store, 0);
      await store.put('k', { a: 3 });
      expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '2' });
    },
  );

  // Within 1 to MAX_COUNT, so past the put's condition, yet `+ 1` needs a 39th digit: DynamoDB
  // refuses the increment (ValidationException), and a read shows the count to blame.
  it('a version of 9.99..9 (38 digits, not an integer): the put reads it and replaces it', async () => {
    const store = await damagedSecret({ version: { N: `9.${'9'.repeat(37)}` } });
    table.dynamodb.resetHistory();
    await store.put('k', { a: 2 });
    // The put, refused; the read; the repair (a whole write of the secret).
    await expectRepairedByThePut(store, 1);
  });

  it('a put refused with a ValidationException over a sound count: the StorageError, after one read', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    table.memory.failNext('UpdateItem', 'ValidationException');
    table.dynamodb.resetHistory();
    await expect(store.put('k', { a: 2 })).rejects.toBeInstanceOf(StorageError);
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    // The put alone: no repair.
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(await store.get('k')).toEqual({ a: 1 });
  });

  it.each([
    ['9.99E125', 'patch'],
    ['-9.99E125', 'a field delete'],
  ])('a version of %s is replaced by %s in its one write', async (number, write) => {
    const store = await damagedSecret({ version: { N: number } }, { a: 1, b: 2 });
    table.dynamodb.resetHistory();
    if (write === 'patch') await store.patch('k', { a: 2 });
    else await store.delete('k', ['b']);
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '1' });
  });

  it('a version above 2^53 counts on exactly', async () => {
    const store = await damagedSecret({ version: { N: '9007199254740993' } });
    await store.patch('k', { a: 2 });
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '9007199254740994' });
    await store.put('k', { a: 3 });
    expect((await table.item(NAMESPACE, 'k'))?.version).toEqual({ N: '9007199254740995' });
  });

  it('a dataKeyCreatedAt in the future is not trusted: the next patch takes a new data key', async () => {
    const store = await damagedSecret({
      dataKeyCreatedAt: { N: String(Date.now() + 365 * 24 * 3600 * 1000) },
    });
    kms.kms.resetHistory();
    await store.patch('k', { a: 2 });
    expect(kms.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    const createdAt = Number((await table.item(NAMESPACE, 'k'))?.dataKeyCreatedAt?.N);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
  });

  it('a dataKeyCreatedAt that is not a number: DecryptionError after one read, no retry loop', async () => {
    const store = await damagedSecret({ dataKeyCreatedAt: { S: 'soon' } });
    table.dynamodb.resetHistory();
    await expect(store.patch('k', { a: 2 })).rejects.toBeInstanceOf(DecryptionError);
    expect(table.dynamodb.calls()).toHaveLength(1);
  });

  it('an item without its history (written by v1): read, then written with a history', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    const v1 = Object.fromEntries(
      Object.entries(item ?? {}).filter(([name]) => !name.startsWith('priorWriteId')),
    );
    v1.writeId = { S: 'c0ffee00-0000-4000-8000-000000000001' };
    await table.putItem(v1 as never);
    expect(await store.patch('k', { a: 2 })).toEqual({ a: 1 });
    const upgraded = await table.item(NAMESPACE, 'k');
    expect(upgraded?.priorWriteId1).toEqual({ S: 'c0ffee00-0000-4000-8000-000000000001' });
    expect(upgraded?.priorWriteId2).toBeUndefined();
  });
});

describe('a damaged writeId (found by review): written over in one write, no retry loop', () => {
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
      expect(table.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(1);
      expect(await store.get('k')).toEqual({ a: 2 });
    },
  );
});

describe('rewrap of an item with a damaged writeId (found by review)', () => {
  it('reports it in bounded time, without one write and one re-wrap per patchRetry attempt', async () => {
    const masterA = LocalKeyring.generateMasterKey();
    const masterB = LocalKeyring.generateMasterKey();
    const onA = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterA }),
      client: table.client,
    });
    await onA.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    await table.putItem({ ...item, writeId: { S: '' } } as never);
    const onB = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterB, previousMasterKeys: [masterA] }),
      client: table.client,
    });
    const before = table.memory.requests.length;
    const summary = await onB.rewrap();
    const puts = table.memory.requests
      .slice(before)
      .filter((request) => request.operation === 'UpdateItem');
    // Observed: 40 conditional writes (the default patchRetry.maxAttempts), no backoff between
    // them, each after a fresh re-wrap, then ConcurrentUpdateError in failures.
    expect(puts).toHaveLength(1);
    expect(summary).toMatchObject({ moved: 1, alreadyCurrent: 0, failed: 0 });
  });
});

describe('schedules a review tried, that held', () => {
  it('group commit: a batch loses a race, one updater throws only on its second run; no double apply, all settle', async () => {
    const store = subject();
    await store.put('log', { ids: [] });
    const read = table.memory.pauseNext('UpdateItem');
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
    const rivalWrite = table.memory.pauseNext('UpdateItem');
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
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
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

// ---------------------------------------------------------------------------------------------
// Write protocol v3: every copy's answer, re-sends, tombstones

/** The id of the item as stored now: what a write that reads it is conditioned on. */
describe('v3: a copy that lands after the store gave up on it', () => {
  // The schedule that broke v2: the write's copies are held in the network (the client sees
  // resets), the store's read still finds the item it was based on, and then a held copy lands.
  // v2 threw StorageError and the held copy applied the write after it. v3 sends the same write
  // again: whichever copy lands first wins, every other fails its condition.
  it.each([1, 3])(
    'patch (maxAttempts %i): every copy held; the re-send lands; the held copies arrive later and are refused; applied once',
    async (maxAttempts) => {
      const store = subject({ client: table.memory.client({ maxAttempts }) });
      await store.put('log', { ids: [] });
      const held = Array.from({ length: maxAttempts }, () => table.memory.holdNext('UpdateItem'));
      const runs = { count: 0 };
      expect(await store.patch<Log>('log', appender('subject', runs))).toEqual({ ids: [] });
      expect(runs.count).toBe(1);
      expect(await Promise.all(held.map((copy) => copy.deliver()))).toEqual(held.map(() => false));
      expect(await store.get<Log>('log')).toEqual({ ids: ['subject'] });
    },
  );

  it('a field delete: the held copy arrives after a rival patch and is refused', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { token: 't', ids: [] });
    const held = table.memory.holdNext('UpdateItem');
    await store.delete('log', ['token']);
    await rivalAppends(1);
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1'] });
  });

  it('a create: the held copy arrives after the re-sent create landed and a rival wrote; refused', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    const held = table.memory.holdNext('UpdateItem');
    expect(await store.patch<Log>('log', appender('subject'))).toEqual({});
    await rivalAppends(1);
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject', 'rival-1'] });
  });

  it('a put: the held copy arrives after a rival patch; its id is in the history: refused, erases nothing', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: ['before'] });
    const held = table.memory.holdNext('UpdateItem');
    await expect(store.put('log', { ids: ['put'] })).resolves.toBe(true);
    await rivalAppends(1);
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['put', 'rival-1'] });
    expect((await table.item(NAMESPACE, 'log'))?.version).toEqual({ N: '3' });
  });

  it('a rewrap: the held copy arrives after a rival patch and is refused; the patch survives', async () => {
    const masterA = LocalKeyring.generateMasterKey();
    const masterB = LocalKeyring.generateMasterKey();
    const client = table.memory.client({ maxAttempts: 1 });
    const onA = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterA }),
      client,
    });
    await onA.put('log', { ids: [] });
    const onB = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring: new LocalKeyring({ masterKey: masterB, previousMasterKeys: [masterA] }),
      client,
    });
    const held = table.memory.holdNext('UpdateItem');
    expect(await onB.rewrap()).toMatchObject({ moved: 1, alreadyCurrent: 0, failed: 0 });
    await onB.patch<Log>('log', appender('after'));
    expect(await held.deliver()).toBe(false);
    expect(await onB.get<Log>('log')).toEqual({ ids: ['after'] });
  });

  it('every copy of every send held: OutcomeUnknownError; of the held copies delivered afterwards exactly one lands', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: [] });
    const held = Array.from({ length: 5 }, () => table.memory.holdNext('UpdateItem'));
    const runs = { count: 0 };
    const error = await store
      .patch<Log>('log', appender('subject', runs))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(runs.count).toBe(1);
    expect(await Promise.all(held.map((copy) => copy.deliver()))).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: ['subject'] });
  });

  it('a held copy, then a rival write before the deciding read: the history shows the write moved past its base without it, so not landed; retried, applied once', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: [] });
    const subjectsCopy = conditionedOn(await currentWriteId('log'));
    let copyHeld = false;
    const held = table.memory.holdNext('UpdateItem', (input) => {
      copyHeld = subjectsCopy(input); // set as the copy arrives, before the store can read
      return copyHeld;
    });
    // The read that decides waits while a rival writes.
    const decidingRead = table.memory.pauseNext('GetItem', () => copyHeld);
    const { previous, runs } = await patchLosingOneRaceAt(store, decidingRead);
    expect(previous).toEqual({ ids: ['rival-1'] });
    expect(runs).toBe(2);
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-1', 'subject'] });
  });
});

describe('v3: copies that were refused decide the write', () => {
  it('8 rival writes since the read and a throttled copy: nothing applied, so a lost race, not OutcomeUnknownError', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: [] });
    const { patching, runs, before, rivalIds } = await patchThrottledAfterRivals(store, 8);
    // throttled: refused, and a read shows its base gone: a lost race
    expect(await patching).toEqual({ ids: rivalIds });
    expect(runs.count).toBe(2);
    // The subject's read and throttled copy, the rivals' 8 reads and writes, the read that found
    // the base gone (no stale re-send), the read after the backoff and the second run's write.
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'GetItem',
      'UpdateItem',
      ...rivalIds.flatMap(() => ['GetItem', 'UpdateItem']),
      'GetItem',
      'GetItem',
      'UpdateItem',
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: [...rivalIds, 'subject'] });
  });

  it.each([
    ['put', (store: SecretsStore) => store.put('log', { ids: ['x'] })],
    ['create', (store: SecretsStore) => store.patch('log', { ids: ['x'] })],
  ] as const)(
    '%s with every copy throttled: StorageError, nothing written',
    async (operation, write) => {
      const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
      table.memory.failNext('UpdateItem', 'ThrottlingException', undefined, { times: 3 });
      const before = table.memory.requests.length;
      const error = await write(store).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/: ThrottlingException$/);
      const sent = table.memory.requests.slice(before).map((request) => request.operation);
      // put: the SDK retries its throttled copies. A create (a patch of an absent secret) reads
      // first, and the store re-sends a throttled copy only after a read shows its base current.
      expect(sent).toEqual(
        operation === 'create'
          ? ['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem', 'GetItem', 'UpdateItem']
          : ['UpdateItem', 'UpdateItem', 'UpdateItem'],
      );
      expect(await table.item(NAMESPACE, 'log')).toBeUndefined();
    },
  );

  it('patch with every copy throttled: StorageError after 3 sends, each re-send after a read, the value unchanged', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: ['before'] });
    table.memory.failNext('UpdateItem', 'ThrottlingException', undefined, { times: 3 });
    const before = table.memory.requests.length;
    await expect(store.patch<Log>('log', appender('subject'))).rejects.toBeInstanceOf(StorageError);
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'GetItem',
      'UpdateItem',
      'GetItem',
      'UpdateItem',
      'GetItem',
      'UpdateItem',
    ]);
    expect(await store.get<Log>('log')).toEqual({ ids: ['before'] });
  });
});

describe('v3: tombstones keep re-sent writes from landing again across a delete', () => {
  it('put lost, then a delete, then the put re-sent: the re-sent copy finds its id in the tombstone and does nothing', async () => {
    const store = subject();
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rival().delete('log');
      },
    });
    await expect(store.put('log', { ids: ['put'] })).resolves.toBe(true);
    // The put, the rival's delete, and the read that found the put's id in the tombstone.
    expect(table.memory.requests.map((request) => request.operation)).toEqual([
      'UpdateItem',
      'UpdateItem',
      'GetItem',
    ]);
    expect(await store.exists('log')).toBe(false);
    expect(await store.get('log')).toEqual({});
  });

  it.each([
    ['put', 'UpdateItem', (store: SecretsStore) => store.put('log', { ids: ['put'] })],
    ['create', 'UpdateItem', (store: SecretsStore) => store.patch('log', { ids: ['create'] })],
  ] as const)(
    'a held copy of a %s, the re-sent copy lands, a rival deletes, then the held copy arrives: refused by the tombstone',
    async (_, operation, write) => {
      const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
      const held = table.memory.holdNext(operation);
      await write(store);
      const deletedAt = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: deletedAt });
      await rival()
        .delete('log')
        .finally(() => vi.useRealTimers());
      expect(await held.deliver()).toBe(false);
      expect(await store.exists('log')).toBe(false);
      expect((await table.item(NAMESPACE, 'log'))?.expiresAt).toEqual({
        N: String(tombstoneExpiry(deletedAt)),
      });
    },
  );

  it('create lost, then a delete, then the create re-sent: refused, the secret stays deleted, the patch resolves {}', async () => {
    const store = subject();
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rival().delete('log');
      },
    });
    const runs = { count: 0 };
    expect(await store.patch<Log>('log', appender('subject', runs))).toEqual({});
    expect(runs.count).toBe(1);
    expect(await store.exists('log')).toBe(false);
  });

  it('delete lost and re-sent after a rival put: the re-sent delete finds its id in the history and spares the put', async () => {
    const store = subject();
    await store.put('log', { ids: ['before'] });
    table.memory.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async () => {
        await rival().put('log', { ids: ['rival-put'] });
      },
    });
    await expect(store.delete('log')).resolves.toBe(true);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-put'] });
  });

  it('delete held, the re-send lands; the held copy arrives after a rival put and is refused', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('log', { ids: ['before'] });
    const held = table.memory.holdNext('UpdateItem');
    await store.delete('log');
    expect(await store.exists('log')).toBe(false);
    await rival().put('log', { ids: ['rival-put'] });
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-put'] });
  });

  it('delete of an absent secret held: the store writes its tombstone over the absence, so the held copy can never delete a later put', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    const held = table.memory.holdNext('UpdateItem');
    const before = table.memory.requests.length;
    await store.delete('log');
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'UpdateItem',
      'GetItem',
      'UpdateItem',
    ]);
    await rival().put('log', { ids: ['rival-put'] });
    expect(await held.deliver()).toBe(false);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-put'] });
  });

  it('a patch conditioned on a tombstone: a rival re-create in between makes it lose the race, then apply once on the new value', async () => {
    const store = subject();
    await store.put('log', { ids: ['old'] });
    await store.delete('log');
    const paused = table.memory.pauseNext('UpdateItem');
    const runs = { count: 0 };
    const patching = store.patch<Log>('log', appender('subject', runs));
    await paused.reached;
    await rival().put('log', { ids: ['rival-put'] });
    paused.release();
    expect(await patching).toEqual({ ids: ['rival-put'] });
    expect(runs.count).toBe(2);
    expect(await store.get<Log>('log')).toEqual({ ids: ['rival-put', 'subject'] });
  });
});
