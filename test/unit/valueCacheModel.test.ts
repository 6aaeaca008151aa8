/**
 * A model check of value cache v2: random own put / patch / delete / field delete / get /
 * getMany of two keys by one store and its forNamespace sibling, with every DynamoDB request's
 * arrival, every answer and every Decrypt reordered by fast-check's scheduler, against the
 * in-process MemoryTable, with an LRU of 1 to 3 entries (so late answers meet evicted keys).
 *
 * The oracle is the table itself: the state of each key is recorded the moment a request is
 * applied (in the table's order), and decrypted at the end. A get (or getMany) passes when the
 * value it returned is a state the table held that is at least as new as (a) the state of every
 * write of that key acknowledged before the get began, and (b) the oldest state consistent with
 * each value returned by a get of that key that resolved before this one began. 0 stale reads.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, SecretsStore, type ValueHash } from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const TABLE = 'secrets';
const NAMESPACE = 'app-1:install-7';
const KEYS = ['a', 'b'] as const;
type Key = (typeof KEYS)[number];

type Op =
  | {
      readonly kind: 'put' | 'patch' | 'delete' | 'field delete';
      readonly key: Key;
      readonly sibling: boolean;
    }
  | {
      readonly kind: 'get';
      readonly key: Key;
      readonly forceFetch: boolean;
      readonly sibling: boolean;
    }
  | { readonly kind: 'getMany'; readonly sibling: boolean };

// Mostly one key, so that writes of it cross; the other one pushes it out of a small LRU.
const keyArb = fc.oneof({ arbitrary: fc.constant<Key>('a'), weight: 3 }, fc.constant<Key>('b'));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('put', 'patch', 'delete', 'field delete'),
    key: keyArb,
    sibling: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('get'),
    key: keyArb,
    forceFetch: fc.boolean(),
    sibling: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('getMany'), sibling: fc.boolean() }),
) as fc.Arbitrary<Op>;

/** A state of a key as the table applied it, in the table's order. */
interface State {
  readonly writeId: string | undefined;
  readonly item: Record<string, unknown> | undefined;
  /** The model's clock when it was applied. */
  readonly appliedAt: number;
  value?: string;
}

/** What a read returned, or a write's acknowledgement, on the model's clock. */
interface Observed {
  readonly op: number;
  readonly key: Key;
  readonly started: number;
  readonly ended: number;
}
interface ReadSeen extends Observed {
  readonly value: string;
}
interface WriteDone extends Observed {
  readonly kind: 'put' | 'patch' | 'delete';
  readonly tag: number;
}

const ABSENT = 'absent';
const valueText = (value: ValueHash | undefined): string =>
  value === undefined || Object.keys(value).length === 0 ? ABSENT : JSON.stringify(value);

function bodyOf(request: { body?: unknown }): Record<string, unknown> {
  const body = request.body;
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array);
  return JSON.parse(text) as Record<string, unknown>;
}

async function runModel(
  scheduler: fc.Scheduler,
  ops: readonly Op[],
  maxEntries: number,
  laneCount: number,
): Promise<void> {
  const masterKey = LocalKeyring.generateMasterKey();
  const table = new MemoryTable();
  const inner = table.requestHandler();
  const context = new AsyncLocalStorage<number>();
  let clock = 0;
  const tick = () => ++clock;
  const states = new Map<Key, State[]>(
    KEYS.map((key) => [key, [{ writeId: undefined, item: undefined, appliedAt: 0 }]]),
  );
  /** The write ids each delete sent (a delete's tombstone carries no value to tell it by). */
  const deleteIds = new Map<number, Set<string>>();
  const record = () => {
    const now = tick();
    const items = table.items(TABLE) as Record<string, { S?: string }>[];
    for (const key of KEYS) {
      const item = items.find((candidate) => candidate.sk?.S === key);
      const writeId = item?.writeId?.S;
      const list = states.get(key) as State[];
      if (list[list.length - 1]?.writeId !== writeId) list.push({ writeId, item, appliedAt: now });
    }
  };
  const handler: ReturnType<MemoryTable['requestHandler']> = {
    ...inner,
    async handle(request) {
      await scheduler.schedule(Promise.resolve(), 'request reaches the table');
      const op = context.getStore();
      const body = bodyOf(request);
      const values = body.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
      if (op !== undefined && values?.[':expiresAt'] && values[':writeId']?.S) {
        deleteIds.get(op)?.add(values[':writeId'].S);
      }
      // Applied synchronously here (no hooks are set), then recorded before anything else runs.
      const answer = inner.handle(request);
      record();
      const response = await answer;
      await scheduler.schedule(Promise.resolve(), 'answer reaches the store');
      return response;
    },
  };
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'model', secretAccessKey: 'model' },
    requestHandler: handler,
  });
  const keyring = new LocalKeyring({ masterKey });
  const decrypt = keyring.decryptDataKey.bind(keyring);
  keyring.decryptDataKey = async (...args) => {
    await scheduler.schedule(Promise.resolve(), 'Decrypt');
    return decrypt(...args);
  };
  const store = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring,
    client,
    dataKeyCache: false,
    // A patch that loses to a put sleeps before it reads again: at most 1 ms, outside the scheduler.
    patchRetry: { maxDelayMs: 1 },
    valueCache: { maxEntries, maxAgeMs: 3_600_000 },
  });
  const sibling = store.forNamespace(NAMESPACE);

  const reads: ReadSeen[] = [];
  const writes: WriteDone[] = [];
  const failures: unknown[] = [];
  const run = async (op: Op, index: number) => {
    const by = op.sibling ? sibling : store;
    const started = tick();
    switch (op.kind) {
      case 'field delete':
        // A write of the batch path with no tag of its own: it moves the table, the oracle
        // follows the table, but it sets no floor (its state cannot be told from a value).
        await by.delete(op.key, ['tag']);
        return;
      case 'put':
      case 'patch':
      case 'delete': {
        deleteIds.set(index, new Set());
        if (op.kind === 'put') await by.put(op.key, { tag: index });
        else if (op.kind === 'patch') await by.patch(op.key, { tag: index });
        else await by.delete(op.key);
        writes.push({ op: index, key: op.key, kind: op.kind, tag: index, started, ended: tick() });
        return;
      }
      case 'get': {
        const value = await by.get(op.key, { forceFetch: op.forceFetch });
        reads.push({ op: index, key: op.key, started, ended: tick(), value: valueText(value) });
        return;
      }
      case 'getMany': {
        const values = await by.getMany(KEYS);
        const ended = tick();
        for (const key of KEYS) {
          reads.push({ op: index, key, started, ended, value: valueText(values.get(key)) });
        }
      }
    }
  };
  // Callers in lanes: each runs its operations one after another (so a get follows the writes
  // its caller saw acknowledged), the lanes side by side (so answers of different callers cross).
  const lanes = Array.from({ length: laneCount }, async (_, lane) => {
    for (let index = lane; index < ops.length; index += laneCount) {
      const op = ops[index] as Op;
      await scheduler.schedule(Promise.resolve(), `start ${index}`);
      await context
        .run(index, () => run(op, index))
        .catch((error: unknown) => {
          failures.push(error);
        });
    }
  });
  const all = Promise.all(lanes);
  await scheduler.waitFor(all);
  expect(failures).toEqual([]);

  // Decrypt every state the table held, with a plain store on a scratch table.
  const scratch = new MemoryTable();
  const reader = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new LocalKeyring({ masterKey }),
    client: scratch.client(),
  });
  for (const key of KEYS) {
    for (const state of states.get(key) as State[]) {
      if (!state.item || state.item.expiresAt) {
        state.value = ABSENT;
        continue;
      }
      await scratch.send('PutItem', { TableName: TABLE, Item: state.item });
      state.value = valueText(await reader.get(key));
    }
  }

  const indexOfWrite = (write: WriteDone): number | undefined => {
    const list = states.get(write.key) as State[];
    if (write.kind === 'delete') {
      const ids = deleteIds.get(write.op) ?? new Set();
      const found = list.findIndex(
        (state) => state.writeId !== undefined && ids.has(state.writeId),
      );
      return found >= 0 ? found : undefined;
    }
    // A patch folded into a batch with a later patch has no state of its own: the later one counts.
    const found = list.findIndex((state) => state.value === JSON.stringify({ tag: write.tag }));
    return found >= 0 ? found : undefined;
  };
  const witness = new Map<ReadSeen, number>();
  for (const read of [...reads].sort((x, y) => x.started - y.started)) {
    const list = states.get(read.key) as State[];
    let floor = 0;
    for (const write of writes) {
      if (write.key !== read.key || write.ended >= read.started) continue;
      floor = Math.max(floor, indexOfWrite(write) ?? 0);
    }
    for (const [earlier, index] of witness) {
      if (earlier.key === read.key && earlier.ended < read.started) floor = Math.max(floor, index);
    }
    const candidates = list
      .map((state, index) => ({ state, index }))
      .filter(
        ({ state, index }) =>
          state.value === read.value && state.appliedAt < read.ended && index >= floor,
      )
      .map(({ index }) => index);
    if (candidates.length === 0) {
      throw new Error(
        `stale read: op ${read.op} read ${read.key} = ${read.value}, but it must be at least state ${floor} of ${JSON.stringify(list.map((state) => state.value))}`,
      );
    }
    witness.set(read, Math.min(...candidates));
  }
}

describe('value cache v2, model check', () => {
  it('0 stale reads: own writes and reads with every answer reordered, against the table', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(opArb, { minLength: 4, maxLength: 16 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 4 }),
        (scheduler, ops, maxEntries, lanes) => runModel(scheduler, ops, maxEntries, lanes),
      ),
      { numRuns: 120 },
    );
  });
});
