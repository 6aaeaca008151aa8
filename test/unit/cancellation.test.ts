/**
 * `{ signal }` on every operation (DESIGN.md, "Deadlines and cancellation"; issue 22, point 2),
 * under forced schedules: the kit's MemoryTable pauses a request before it is applied, and a
 * keyring holds its call, while the test aborts one caller. A caller that aborts leaves at once;
 * work it shares with other callers (the data-key cache's single flight, a group-committed
 * patch, the value cache's shared read) goes on for them; a write is told from its copies:
 * `StorageError` when none can land, `OutcomeUnknownError` when one may.
 */
import { BatchWriteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type EncryptionContext,
  type GeneratedDataKey,
  InvalidValueError,
  type Keyring,
  type KeyringCallOptions,
  LocalKeyring,
  OutcomeUnknownError,
  PurgeIncompleteError,
  SecretsStore,
  type SecretsStoreOptions,
  StorageError,
} from '@secrets-store/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';
import { type Gate, gate } from '../support/gate.ts';

const TABLE = 'secrets';
const NAMESPACE = 'app-1:install-7';
const masterKey = LocalKeyring.generateMasterKey();

/**
 * A LocalKeyring whose next call of one kind waits until `release()`, as a slow KMS would; like
 * the SDK, it rejects at once when the signal it was given aborts.
 */
class HoldingKeyring implements Keyring {
  readonly #inner = new LocalKeyring({ masterKey });
  readonly maxWrappedKeyBytes = this.#inner.maxWrappedKeyBytes;
  readonly maxKeyIdBytes = this.#inner.maxKeyIdBytes;
  readonly calls = { generate: 0, decrypt: 0 };
  #hold: { kind: 'generate' | 'decrypt'; gate: Gate } | undefined;

  holdNext(kind: 'generate' | 'decrypt') {
    const held = gate();
    this.#hold = { kind, gate: held };
    return { reached: held.reached, release: held.release };
  }

  async #wait(kind: 'generate' | 'decrypt', signal: AbortSignal | undefined): Promise<void> {
    this.calls[kind]++;
    const hold = this.#hold;
    if (hold?.kind !== kind) return;
    this.#hold = undefined;
    hold.gate.arrive();
    await new Promise<void>((resolve, reject) => {
      void hold.gate.opened.then(resolve);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  async generateDataKey(
    context: EncryptionContext,
    options?: KeyringCallOptions,
  ): Promise<GeneratedDataKey> {
    await this.#wait('generate', options?.signal);
    return this.#inner.generateDataKey(context);
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options?: KeyringCallOptions,
  ): Promise<Buffer> {
    await this.#wait('decrypt', options?.signal);
    return this.#inner.decryptDataKey(wrapped, keyId, context);
  }

  isCurrent(keyId: string): boolean {
    return this.#inner.isCurrent(keyId);
  }

  rewrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext) {
    return this.#inner.rewrapDataKey(wrapped, keyId, context);
  }
}

let table: FakeTable;
let keyring: HoldingKeyring;

beforeEach(() => {
  table = fakeTable(TABLE);
  keyring = new HoldingKeyring();
});

afterEach(() => {
  table.dynamodb.restore();
  expect(table.memory.pendingHooks).toBe(0);
});

function subject(options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring,
    client: table.client,
    ...options,
  });
}

/** Another Lambda: its own client and caches, the same table and master key. */
function rival(): SecretsStore {
  return new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new LocalKeyring({ masterKey }),
    client: table.memory.client(),
  });
}

/** What a call settled with: its value, or its error. */
function outcome<T>(call: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

const reason = () => new Error('the Lambda is out of time');

interface Log {
  ids?: string[];
}
const append = (id: string) => (value: Log) => ({ ...value, ids: [...(value.ids ?? []), id] });

/** A store whose log is empty, and its next `operation` paused before the table applies it. */
async function emptyLogPausing(
  operation: Parameters<FakeTable['memory']['pauseNext']>[0],
  options: Parameters<typeof subject>[0] = {},
) {
  const store = subject(options);
  await store.put('log', { ids: [] });
  return { store, paused: table.memory.pauseNext(operation) };
}

/** Aborting `controller` settles `call` with an `errorClass` error whose cause is the reason. */
async function expectAbortSettles(
  controller: AbortController,
  call: Promise<{ value: unknown } | { error: unknown }>,
  errorClass: new (...args: never[]) => Error,
): Promise<void> {
  const why = reason();
  controller.abort(why);
  const settled = await call;
  expect(settled).toEqual({ error: expect.any(errorClass) });
  expect((settled as { error: Error }).error.cause).toBe(why);
}

/** Two patches of the log: 'one' on a signal the test aborts, and 'two', which stays. */
function oneLeavingOneStaying(store: SecretsStore) {
  const controller = new AbortController();
  const leaving = outcome(store.patch<Log>('log', append('one'), { signal: controller.signal }));
  const staying = store.patch<Log>('log', append('two'));
  return { controller, leaving, staying };
}

describe('a signal already aborted: rejects before any call', () => {
  it.each([
    ['get', (store: SecretsStore, signal: AbortSignal) => store.get('k', { signal })],
    ['getMany', (store: SecretsStore, signal: AbortSignal) => store.getMany(['k'], { signal })],
    ['exists', (store: SecretsStore, signal: AbortSignal) => store.exists('k', { signal })],
    [
      'keys',
      async (store: SecretsStore, signal: AbortSignal) => {
        for await (const key of store.keys({ signal })) void key;
      },
    ],
    ['put', (store: SecretsStore, signal: AbortSignal) => store.put('k', { a: 1 }, { signal })],
    ['patch', (store: SecretsStore, signal: AbortSignal) => store.patch('k', { a: 1 }, { signal })],
    ['delete', (store: SecretsStore, signal: AbortSignal) => store.delete('k', { signal })],
    [
      'a field delete',
      (store: SecretsStore, signal: AbortSignal) => store.delete('k', { fields: ['a'], signal }),
    ],
    ['purge', (store: SecretsStore, signal: AbortSignal) => store.purge({ signal })],
    ['rewrap', (store: SecretsStore, signal: AbortSignal) => store.rewrap({ signal })],
  ] as const)('%s: a StorageError whose cause is the reason, and no request', async (_, call) => {
    const why = reason();
    const settled = await outcome<unknown>(call(subject(), AbortSignal.abort(why)));
    expect(settled).toEqual({ error: expect.any(StorageError) });
    expect(((settled as { error: Error }).error as Error).cause).toBe(why);
    expect(table.memory.requests).toHaveLength(0);
    expect(keyring.calls).toEqual({ generate: 0, decrypt: 0 });
  });

  it('a signal that is not an AbortSignal: an InvalidValueError naming it, before any call', async () => {
    const store = subject();
    await expect(store.get('k', { signal: 'soon' as never })).rejects.toThrow(
      new InvalidValueError('signal', 'signal must be an AbortSignal, received string'),
    );
    await expect(store.put('k', { a: 1 }, { signal: {} as never })).rejects.toBeInstanceOf(
      InvalidValueError,
    );
    expect(table.memory.requests).toHaveLength(0);
  });
});

describe("the caller's signal reaches the SDK", () => {
  it('as abortSignal of the requests of get, exists, put, delete and keys', async () => {
    const store = subject();
    const controller = new AbortController();
    const { signal } = controller;
    await store.put('k', { a: 1 }, { signal });
    await store.get('k', { signal });
    await store.exists('k', { signal });
    for await (const key of store.keys({ signal })) void key;
    await store.delete('k', { signal });
    const given = table.dynamodb.send
      .getCalls()
      .map((call) => (call.args as unknown[])[1] as { abortSignal: AbortSignal });
    expect(given).toHaveLength(5);
    // Each follows the caller's signal (the operation's own, so that its listeners stay off
    // the caller's): it aborts with it, with the same reason.
    const why = reason();
    controller.abort(why);
    for (const options of given) {
      expect(options.abortSignal.aborted).toBe(true);
      expect(options.abortSignal.reason).toBe(why);
    }
  });

  it("many operations at once on one signal: the store's listeners stay off the caller's", async () => {
    const store = subject();
    const keys = Array.from({ length: 12 }, (_, index) => `k${index}`);
    for (const key of keys) await store.put(key, { key });
    const signal = new AbortController().signal;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    await Promise.all(keys.map((key) => store.get(key, { signal })));
    await store.rewrap({ signal, concurrency: 4 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('without a signal, no options: the SDK sends as before', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    await store.get('k');
    expect(table.dynamodb.send.getCalls().map((call) => (call.args as unknown[])[1])).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('delete takes { fields?, signal? } as well as the fields array', () => {
  // issue 22: delete(key, { signal }) was an InvalidValueError (the second argument was only a
  // fields array).
  it('delete(key, { signal }) deletes the secret', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    await expect(store.delete('k', { signal: new AbortController().signal })).resolves.toBe(true);
    expect(await store.get('k')).toEqual({});
  });

  it('delete(key, { fields }) removes those fields only', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    await store.delete('k', { fields: ['a'] });
    expect(await store.get('k')).toEqual({ b: 2 });
  });

  it('delete(key, { fields: "a" }): an InvalidValueError, nothing deleted', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    table.memory.requests.length = 0;
    await expect(store.delete('k', { fields: 'a' as never })).rejects.toBeInstanceOf(
      InvalidValueError,
    );
    expect(table.memory.requests).toHaveLength(0);
    expect(await store.get('k')).toEqual({ a: 1 });
  });
});

describe('reads aborted in flight reject at once', () => {
  it('get, while its GetItem waits at the table: a StorageError whose cause is the reason', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const controller = new AbortController();
    const paused = table.memory.pauseNext('GetItem');
    const get = outcome(store.get('k', { signal: controller.signal }));
    await paused.reached;
    const why = reason();
    controller.abort(why);
    const settled = await get;
    paused.release();
    expect(settled).toEqual({ error: expect.any(StorageError) });
    const error = (settled as { error: StorageError }).error;
    expect(error.cause).toBe(why);
    expect(error.message).toBe(
      `the get of "k" in namespace ${NAMESPACE} (table ${TABLE}) was aborted (Error)`,
    );
  });

  it('getMany, while its BatchGetItem waits at the table', async () => {
    const store = subject();
    const controller = new AbortController();
    const paused = table.memory.pauseNext('BatchGetItem');
    const read = outcome(store.getMany(['a', 'b'], { signal: controller.signal }));
    await paused.reached;
    controller.abort(reason());
    const settled = await read;
    paused.release();
    expect(settled).toEqual({ error: expect.any(StorageError) });
  });

  it('a single flight of a data key: the aborting get leaves, the other gets the value from the one Decrypt', async () => {
    await rival().put('k', { token: 'fresh' });
    const store = subject();
    const held = keyring.holdNext('decrypt');
    const controller = new AbortController();
    const leaving = outcome(store.get('k', { signal: controller.signal }));
    const staying = store.get('k');
    await held.reached;
    await expectAbortSettles(controller, leaving, StorageError);
    held.release();
    expect(await staying).toEqual({ token: 'fresh' });
    expect(keyring.calls.decrypt).toBe(1);
  });

  it('a shared read of the value cache: the aborting get leaves, the other gets the one GetItem', async () => {
    await rival().put('k', { token: 'fresh' });
    const store = subject({ valueCache: {} });
    table.dynamodb.resetHistory();
    const paused = table.memory.pauseNext('GetItem');
    const controller = new AbortController();
    const leaving = outcome(store.get('k', { signal: controller.signal }));
    const staying = store.get('k');
    await paused.reached;
    controller.abort(reason());
    expect(await leaving).toEqual({ error: expect.any(StorageError) });
    paused.release();
    expect(await staying).toEqual({ token: 'fresh' });
    expect(table.dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 1);
  });
});

describe('writes aborted are told from their copies', () => {
  it('put aborted while its UpdateItem waits at the table: OutcomeUnknownError; released, it lands', async () => {
    const store = subject();
    const paused = table.memory.pauseNext('UpdateItem');
    const controller = new AbortController();
    const put = outcome(store.put('k', { a: 1 }, { signal: controller.signal }));
    await paused.reached;
    await expectAbortSettles(controller, put, OutcomeUnknownError);
    paused.release();
    // The copy that was in flight lands: "unknown" was the truth, not a guess.
    await expect.poll(() => table.item(NAMESPACE, 'k')).toBeDefined();
    expect(await rival().get('k')).toEqual({ a: 1 });
  });

  it('put aborted while its data key is generated: StorageError, and no write is ever sent', async () => {
    const store = subject();
    const held = keyring.holdNext('generate');
    const controller = new AbortController();
    const put = outcome(store.put('k', { a: 1 }, { signal: controller.signal }));
    await held.reached;
    await expectAbortSettles(controller, put, StorageError);
    held.release();
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
    expect(table.memory.requests).toHaveLength(0);
  });

  it('delete aborted while its UpdateItem waits at the table: OutcomeUnknownError', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const paused = table.memory.pauseNext('UpdateItem');
    const controller = new AbortController();
    const removal = outcome(store.delete('k', { signal: controller.signal }));
    await paused.reached;
    controller.abort(reason());
    expect(await removal).toEqual({ error: expect.any(OutcomeUnknownError) });
    paused.release();
  });
});

describe('group commit: an aborting patch leaves, the batch goes on for the others', () => {
  it('aborted while waiting for the next batch: StorageError, and its change is never written', async () => {
    const { store, paused } = await emptyLogPausing('UpdateItem');
    const first = store.patch<Log>('log', append('one'));
    await paused.reached;
    // These two wait for the batch in flight to end, and form the next batch.
    const controller = new AbortController();
    const second = outcome(store.patch<Log>('log', append('two'), { signal: controller.signal }));
    const third = store.patch<Log>('log', append('three'));
    // It left before the write in flight was answered.
    await expectAbortSettles(controller, second, StorageError);
    table.dynamodb.resetHistory();
    paused.release();
    expect(await first).toEqual({ ids: [] });
    expect(await third).toEqual({ ids: ['one'] });
    expect(await store.get<Log>('log')).toEqual({ ids: ['one', 'three'] });
    // After the first batch's write: one write, for the batch of the third alone.
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('aborted while the batch write holding its change is in flight: OutcomeUnknownError; the others resolve', async () => {
    const { store, paused } = await emptyLogPausing('UpdateItem');
    const { controller, leaving, staying } = oneLeavingOneStaying(store);
    await paused.reached;
    await expectAbortSettles(controller, leaving, OutcomeUnknownError);
    paused.release();
    expect(await staying).toEqual({ ids: ['one'] });
    // The write held its change and landed: what "unknown" allowed for.
    expect(await store.get<Log>('log')).toEqual({ ids: ['one', 'two'] });
  });

  it('aborted while its batch seals (a new data key is generated): StorageError; the batch writes again without it', async () => {
    // dataKeyMaxAgeMs 0: every write takes a new data key, so every seal calls the keyring.
    const { store, paused } = await emptyLogPausing('UpdateItem', { dataKeyMaxAgeMs: 0 });
    const zero = store.patch<Log>('log', append('zero'));
    await paused.reached;
    // These two arrive while the first batch is in flight: together they form the next batch.
    const { controller, leaving, staying } = oneLeavingOneStaying(store);
    const held = keyring.holdNext('generate');
    table.dynamodb.resetHistory();
    paused.release();
    await held.reached;
    controller.abort(reason());
    expect(await leaving).toEqual({ error: expect.any(StorageError) });
    held.release();
    expect(await zero).toEqual({ ids: [] });
    // Computed again without the one that left: it sees the value before it, not 'one'.
    expect(await staying).toEqual({ ids: ['zero'] });
    expect(await store.get<Log>('log')).toEqual({ ids: ['zero', 'two'] });
    // After the first batch's write: one write, of the second batch without the one that left.
    expect(table.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('aborted while the batch reads: StorageError; the others write without its change', async () => {
    const { store, paused } = await emptyLogPausing('GetItem');
    const { controller, leaving, staying } = oneLeavingOneStaying(store);
    await paused.reached;
    controller.abort(reason());
    expect(await leaving).toEqual({ error: expect.any(StorageError) });
    paused.release();
    expect(await staying).toEqual({ ids: [] });
    expect(await store.get<Log>('log')).toEqual({ ids: ['two'] });
  });
});

describe('purge aborted in flight', () => {
  it('its BatchWriteItem aborted: PurgeIncompleteError saying what it deleted and what is left', async () => {
    const store = subject();
    for (const key of ['a', 'b', 'c']) await store.put(key, { v: key });
    const paused = table.memory.pauseNext('BatchWriteItem');
    const controller = new AbortController();
    const purge = outcome(store.purge({ signal: controller.signal }));
    await paused.reached;
    const why = reason();
    controller.abort(why);
    const settled = await purge;
    paused.release();
    expect(settled).toEqual({ error: expect.any(PurgeIncompleteError) });
    const error = (settled as { error: PurgeIncompleteError }).error;
    expect(error.deleted).toBe(0);
    expect([...error.remainingKeys].sort()).toEqual(['a', 'b', 'c']);
    expect(error.remainingKeysComplete).toBe(false);
    expect(table.dynamodb).toHaveReceivedCommandTimes(BatchWriteItemCommand, 1);
  });
});
