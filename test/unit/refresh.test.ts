/**
 * refresh: one upstream call per expiry, with leases on the secret's item. Each test forces its
 * schedule: the upstream call is a promise the test settles, the table's hooks pause or drop a
 * request, and timers are fake wherever time matters (heartbeats, takeovers, waitMs).
 */
import {
  ConfigurationError,
  InvalidKeyError,
  InvalidValueError,
  LeaseLostError,
  LocalKeyring,
  listNamespaces,
  RefreshTimeoutError,
  resetSecretsStore,
  SecretsStore,
  StorageError,
  secretsStoreFromEnvironment,
  setSecretsStore,
  storage,
} from '@secrets-store/core';
import { purgeWrittenBefore } from '@secrets-store/core/internal';
import {
  createTestStore,
  MemoryTable,
  type RequestInput,
  type TestSecretsStore,
} from '@secrets-store/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { upstream } from '../support/refresh/upstream.ts';

interface Token {
  token?: string;
  refreshToken?: string;
  expiresAt?: number;
  siteId?: number;
  other?: number;
}

const masterKey = new Uint8Array(32).fill(7);
let table: MemoryTable;

beforeEach(() => {
  table = new MemoryTable();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Another container: its own store, client and caches, on the same table. */
function container(options: Parameters<typeof createTestStore>[0] = {}): TestSecretsStore {
  return createTestStore({ table, masterKey, ...options });
}

/** A holder of `value` inside its refresh, on `options`: the upstream answers when told. */
async function holderInsideRefresh(value: Token, options: Record<string, unknown> = {}) {
  const holder = container();
  await holder.put('authToken', value);
  const up = upstream();
  const held = holder.refresh<Token>('authToken', up.options(options));
  await up.entered;
  return { holder, up, held };
}

const operations = (from = 0) => table.requests.slice(from).map((request) => request.operation);
/** The stored item of `key`, with its attributes as DynamoDB's JSON ({ S }, { N }, { B }). */
const item = (key: string) =>
  table.items('secrets').find((stored) => (stored.sk as { S?: string } | undefined)?.S === key) as
    | Record<string, { S?: string; N?: string; B?: string } | undefined>
    | undefined;
const isLeaseWrite = (input: RequestInput) =>
  String(input.UpdateExpression).startsWith('SET #leaseId = :lease');

describe('a fresh value', () => {
  it('costs exactly one GetItem and writes nothing', async () => {
    const store = container();
    await store.put('authToken', { token: 'new', siteId: 1 });
    const before = table.requests.length;
    const refresh = vi.fn();
    await expect(
      store.refresh<Token>('authToken', { needsRefresh: () => false, refresh }),
    ).resolves.toEqual({ token: 'new', siteId: 1 });
    expect(operations(before)).toEqual(['GetItem']);
    expect(table.requests.at(-1)?.input.ConsistentRead).toBe(true);
    expect(refresh).not.toHaveBeenCalled();
  });
});

describe('one flight, one upstream call', () => {
  it('20 callers of one store share one flight: one take, one upstream call, one final write', async () => {
    const store = container();
    await store.put('authToken', { token: 'old', refreshToken: 'r1', siteId: 7 });
    const before = table.requests.length;
    const up = upstream();
    const callers = Array.from({ length: 20 }, () =>
      store.refresh<Token>('authToken', up.options()),
    );
    await up.entered;
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const values = await Promise.all(callers);
    expect(up.calls).toBe(1);
    expect(new Set(values.map((value) => JSON.stringify(value)))).toEqual(
      new Set([JSON.stringify({ token: 'new', refreshToken: 'r2', siteId: 7 })]),
    );
    // Every caller gets its own copy.
    expect(values[0]).not.toBe(values[1]);
    // Read, take the lease, read the item as it is then, the final write (it releases the lease).
    expect(operations(before)).toEqual(['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem']);
    expect(item('authToken')?.leaseMs).toBeUndefined();
  });

  it('10 containers: one takes the lease and calls upstream once; the other 9 wait and get the stored value', async () => {
    const stores = Array.from({ length: 10 }, () => container());
    await stores[0]?.put('authToken', { token: 'old', refreshToken: 'r1' });
    const up = upstream();
    const callers = stores.map((store) => store.refresh<Token>('authToken', up.options()));
    await up.entered;
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const values = await Promise.all(callers);
    expect(up.calls).toBe(1);
    for (const value of values) expect(value).toEqual({ token: 'new', refreshToken: 'r2' });
    expect(await stores[1]?.get('authToken')).toEqual({ token: 'new', refreshToken: 'r2' });
    // put 1, the one refresh 2.
    expect(item('authToken')?.version).toEqual({ N: '2' });
  });
});

describe('the lease', () => {
  it('a refresh running 2.5 x leaseMs keeps its lease: it renews every third, no takeover, one upstream call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance'] });
    const waiter = container();
    const { up, held } = await holderInsideRefresh({ token: 'old' }, { leaseMs: 300 });
    const waiting = waiter.refresh<Token>('authToken', up.options({ leaseMs: 300 }));
    const leaseIds = new Set<string>();
    for (let elapsed = 0; elapsed < 750; elapsed += 10) {
      await vi.advanceTimersByTimeAsync(10);
      leaseIds.add(item('authToken')?.leaseId?.S as string);
    }
    // Renewed at 100, 200, ..., 700 ms: 7 new ids after the take's.
    expect(leaseIds.size).toBe(8);
    expect(up.calls).toBe(1);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await vi.advanceTimersByTimeAsync(100);
    await expect(held).resolves.toEqual({ token: 'new', refreshToken: 'r2' });
    await expect(waiting).resolves.toEqual({ token: 'new', refreshToken: 'r2' });
    expect(up.calls).toBe(1);
  });

  it('a holder that fell silent is replaced within leaseMs plus one backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance'] });
    const store = container();
    await store.put('authToken', { token: 'old' });
    // A holder that crashed right after taking the lease: its lease stays, never renewed.
    await table.send('UpdateItem', {
      TableName: 'secrets',
      Key: { pk: { S: 'test' }, sk: { S: 'authToken' } },
      UpdateExpression: 'SET leaseId = :id, leaseMs = :ms',
      ExpressionAttributeValues: { ':id': { S: 'crashed' }, ':ms': { N: '1000' } },
    });
    const up = upstream();
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const started = performance.now();
    let answeredAt: number | undefined;
    const done = store.refresh<Token>('authToken', up.options({ leaseMs: 1000 })).then((value) => {
      answeredAt = performance.now();
      return value;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(up.calls).toBe(0);
    // The poll's backoff is at most a tenth of leaseMs.
    await vi.advanceTimersByTimeAsync(100 + 1);
    expect(up.calls).toBe(1);
    await expect(done).resolves.toEqual({ token: 'new', refreshToken: 'r2' });
    expect((answeredAt as number) - started).toBeLessThanOrEqual(1100);
  });

  it('a lease write whose response is lost: one read finds its id, and the refresh goes on once', async () => {
    const store = container();
    await store.put('authToken', { token: 'old' });
    table.loseResponseOfNext('UpdateItem', isLeaseWrite);
    const before = table.requests.length;
    const up = upstream();
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(store.refresh<Token>('authToken', up.options())).resolves.toEqual({
      token: 'new',
      refreshToken: 'r2',
    });
    expect(up.calls).toBe(1);
    // The take (applied, response lost), the read that finds its lease id, then as usual.
    expect(operations(before)).toEqual([
      'GetItem',
      'UpdateItem',
      'GetItem',
      'GetItem',
      'UpdateItem',
    ]);
  });

  it('a final write whose response is lost: its id is in the history, it resolves, applied once', async () => {
    const store = container();
    await store.put('authToken', { token: 'old' });
    table.loseResponseOfNext('UpdateItem', (input) => !isLeaseWrite(input));
    const up = upstream();
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(store.refresh<Token>('authToken', up.options())).resolves.toEqual({
      token: 'new',
      refreshToken: 'r2',
    });
    // put 1, the refresh 2: counted once.
    expect(item('authToken')?.version).toEqual({ N: '2' });
    expect(item('authToken')?.leaseMs).toBeUndefined();
  });

  it('waiting past waitMs for a holder that keeps renewing: RefreshTimeoutError, nothing written', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance'] });
    const waiter = container();
    const { up, held } = await holderInsideRefresh({ token: 'old' }, { leaseMs: 300 });
    const waiting = waiter
      .refresh<Token>('authToken', up.options({ leaseMs: 300, waitMs: 500 }))
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(600);
    const error = await waiting;
    expect(error).toBeInstanceOf(RefreshTimeoutError);
    expect((error as RefreshTimeoutError).code).toBe('REFRESH_TIMEOUT');
    expect((error as Error).message).toMatch(/waited \d+ ms \(waitMs 500\)/);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(held).resolves.toMatchObject({ token: 'new' });
    expect(up.calls).toBe(1);
  });

  it("the caller's signal aborts its wait at once: StorageError, the signal's reason as cause; the holder goes on", async () => {
    const waiter = container();
    const { up, held } = await holderInsideRefresh({ token: 'old' });
    const controller = new AbortController();
    const waiting = waiter.refresh<Token>('authToken', up.options({ signal: controller.signal }));
    const reason = new Error('the handler is out of time');
    controller.abort(reason);
    const error = await waiting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).cause).toBe(reason);
    expect((error as Error).message).toMatch(
      /^the refresh of "authToken" in namespace test \(table secrets\) was aborted \(Error\): nothing was written for this caller$/,
    );
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(held).resolves.toMatchObject({ token: 'new' });
  });
});

describe('a lost lease', () => {
  it("a frozen holder is taken over; its late final write is fenced off: LeaseLostError, the new holder's value stays", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance'] });
    const frozen = container();
    const rival = container();
    await frozen.put('authToken', { token: 'old', siteId: 1 });
    const first = upstream();
    const held = frozen
      .refresh<Token>('authToken', first.options({ leaseMs: 300 }))
      .catch((error: unknown) => error);
    const signal = await first.entered;
    // The holder freezes: its first renewal is stuck in the network until the test lets it go.
    const renewal = table.pauseNext(
      'UpdateItem',
      (input) => input.UpdateExpression === 'SET #leaseId = :lease',
    );
    await vi.advanceTimersByTimeAsync(100);
    await renewal.reached;
    const second = upstream();
    second.answer.resolve({ token: 'taken-over', refreshToken: 'r3' });
    const takingOver = rival.refresh<Token>('authToken', second.options({ leaseMs: 300 }));
    // Same lease id seen for 300 ms, plus at most one poll of a tenth of it.
    await vi.advanceTimersByTimeAsync(300 + 30 + 1);
    await expect(takingOver).resolves.toEqual({
      token: 'taken-over',
      refreshToken: 'r3',
      siteId: 1,
    });
    renewal.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(signal.aborted).toBe(true);
    first.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const error = await held;
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as Error).message).toMatch(/another caller took it over/);
    expect(await rival.get('authToken')).toEqual({
      token: 'taken-over',
      refreshToken: 'r3',
      siteId: 1,
    });
    expect(first.calls + second.calls).toBe(2);
  });

  it("every caller's signal aborted: the callback's signal aborts too, the lease is released", async () => {
    const store = container();
    await store.put('authToken', { token: 'old' });
    const controller = new AbortController();
    let callbackSignal: AbortSignal | undefined;
    const caller = store.refresh<Token>('authToken', {
      needsRefresh: () => true,
      refresh: (_, { signal }) => {
        callbackSignal = signal;
        return new Promise<Token>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      },
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(callbackSignal).toBeDefined());
    const reason = new Error('out of time');
    controller.abort(reason);
    await expect(caller).rejects.toMatchObject({ name: 'StorageError', cause: reason });
    expect(callbackSignal?.aborted).toBe(true);
    await vi.waitFor(() => expect(item('authToken')?.leaseMs).toBeUndefined());
    expect(await store.get('authToken')).toEqual({ token: 'old' });
  });
});

describe('refresh throws', () => {
  it('its error reaches the caller unchanged, the lease is released at once, nothing is written', async () => {
    const store = container();
    await store.put('authToken', { token: 'old' });
    const stored = item('authToken');
    const failure = new Error('invalid_grant');
    await expect(
      store.refresh<Token>('authToken', {
        needsRefresh: () => true,
        refresh: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    const after = item('authToken');
    expect(after?.leaseMs).toBeUndefined();
    expect(after?.writeId).toEqual(stored?.writeId);
    expect(after?.ciphertext).toEqual(stored?.ciphertext);
    // The next caller takes the released lease without waiting for it to expire.
    const before = table.requests.length;
    const up = upstream();
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(container().refresh<Token>('authToken', up.options())).resolves.toMatchObject({
      token: 'new',
    });
    expect(operations(before)).toEqual(['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem']);
  });
});

describe('rival writes during a refresh', () => {
  it('a rival patch of another field survives; the lease survives the patch', async () => {
    const { holder, up, held } = await holderInsideRefresh({ token: 'old', siteId: 1 });
    await container().patch<Token>('authToken', { other: 5 });
    expect(item('authToken')?.leaseMs).toEqual({ N: '10000' });
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const stored = { token: 'new', refreshToken: 'r2', siteId: 1, other: 5 };
    await expect(held).resolves.toEqual(stored);
    expect(await holder.get('authToken')).toEqual(stored);
  });

  it('a rival patch between the final read and the final write: the write fails, reads and merges again', async () => {
    const holder = container();
    await holder.put('authToken', { token: 'old', siteId: 1 });
    const up = upstream();
    const paused = table.pauseNext('UpdateItem', (input) => !isLeaseWrite(input));
    const held = holder.refresh<Token>('authToken', up.options());
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await paused.reached;
    await container().patch<Token>('authToken', { other: 5 });
    paused.release();
    await expect(held).resolves.toEqual({ token: 'new', refreshToken: 'r2', siteId: 1, other: 5 });
  });

  it('a put during the refresh neither fails nor erases the lease; the refresh merges over it', async () => {
    const { up, held } = await holderInsideRefresh({ token: 'old' });
    await expect(container().put('authToken', { token: 'put', siteId: 9 })).resolves.toBe(true);
    expect(item('authToken')?.leaseMs).toEqual({ N: '10000' });
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(held).resolves.toEqual({ token: 'new', refreshToken: 'r2', siteId: 9 });
  });

  it('a delete during the refresh wins: LeaseLostError, nothing written, the secret stays deleted', async () => {
    const { holder, up, held } = await holderInsideRefresh({ token: 'old' });
    await container().delete('authToken');
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    const error = await held.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as LeaseLostError).code).toBe('LEASE_LOST');
    expect((error as Error).message).toMatch(/deleted meanwhile; nothing was written/);
    expect((error as Error).message).not.toMatch(/new|r2/);
    expect(await holder.get('authToken')).toEqual({});
    expect(await holder.exists('authToken')).toBe(false);
  });

  it('a purge during the refresh wins: the next heartbeat aborts the callback signal, LeaseLostError, nothing resurrected', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance'] });
    const holder = container();
    await holder.put('authToken', { token: 'old' });
    const up = upstream();
    const held = holder
      .refresh<Token>('authToken', up.options({ leaseMs: 300 }))
      .catch((error: unknown) => error);
    const signal = await up.entered;
    expect(await container().purge()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LeaseLostError);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    expect(await held).toBeInstanceOf(LeaseLostError);
    expect(table.items('secrets')).toEqual([]);
  });

  it('a refresh racing rewrap: the rewrap moves the item under the lease; the refresh lands on it; both kept', async () => {
    const oldStore = container();
    await oldStore.put('authToken', { token: 'old', siteId: 3 });
    const newKey = new Uint8Array(32).fill(9);
    const rotated = createTestStore({ table, masterKey: newKey });
    // A store on the new key that may still decrypt with the old one.
    const rewrapping = new SecretsStore({
      tableName: 'secrets',
      namespace: 'test',
      client: table.client(),
      keyring: new LocalKeyring({ masterKey: newKey, previousMasterKeys: [masterKey] }),
    });
    const up = upstream();
    const held = rewrapping.refresh<Token>('authToken', up.options());
    await up.entered;
    const summary = await rewrapping.rewrap();
    expect(summary.moved).toBe(1);
    expect(item('authToken')?.leaseMs).toEqual({ N: '10000' });
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(held).resolves.toEqual({ token: 'new', refreshToken: 'r2', siteId: 3 });
    // Readable with the new key alone: the final write kept the rewrapped data key's key.
    expect(await rotated.get('authToken')).toEqual({ token: 'new', refreshToken: 'r2', siteId: 3 });
  });
});

describe('a refresh of an absent secret', () => {
  it('holds its lease on an item that no read shows', async () => {
    const store = container();
    await store.put('other', { a: 1 });
    const up = upstream();
    const held = store.refresh<Token>('authToken', up.options());
    await up.entered;
    expect(item('authToken')?.leaseMs).toEqual({ N: '10000' });
    expect(await store.get('authToken')).toEqual({});
    expect(await store.exists('authToken')).toBe(false);
    expect([...(await store.getMany(['authToken', 'other'])).keys()]).toEqual(['other']);
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual(['other']);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await expect(held).resolves.toEqual({ token: 'new', refreshToken: 'r2' });
    expect(await store.get('authToken')).toEqual({ token: 'new', refreshToken: 'r2' });
  });

  it('a namespace holding only a lease: listNamespaces does not show it, purge removes it and counts 0', async () => {
    const store = container({ namespace: 'lease-only' });
    const up = upstream();
    const held = store.refresh<Token>('k', up.options()).catch((error: unknown) => error);
    await up.entered;
    expect(item('k')?.leaseMs).toEqual({ N: '10000' });
    expect(await listNamespaces({ client: table.client(), tableName: 'secrets' })).toEqual([]);
    expect(await store.purge()).toBe(0);
    expect(table.items('secrets')).toEqual([]);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    expect(await held).toBeInstanceOf(LeaseLostError);
    expect(table.items('secrets')).toEqual([]);
  });
});

describe('the value cache', () => {
  it('sees the refreshed value (write-through): the next get makes no call', async () => {
    const store = container({ valueCache: { maxAgeMs: 60_000 } });
    await store.put('authToken', { token: 'old' });
    expect(await store.get('authToken')).toEqual({ token: 'old' });
    const up = upstream();
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    await store.refresh<Token>('authToken', up.options());
    const before = table.requests.length;
    expect(await store.get('authToken')).toEqual({ token: 'new', refreshToken: 'r2' });
    expect(table.requests.length).toBe(before);
  });
});

describe('preconditions, before any call', () => {
  const yes = (): boolean => true;
  const nothing = () => ({});
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no needsRefresh', { refresh: nothing }, /needsRefresh \(a function\), received undefined/],
    ['no refresh', { needsRefresh: yes }, /refresh \(a function\), received undefined/],
    [
      'a leaseMs below 100',
      { needsRefresh: yes, refresh: nothing, leaseMs: 50 },
      /leaseMs must be an integer of at least 100, received 50/,
    ],
    [
      'a negative waitMs',
      { needsRefresh: yes, refresh: nothing, waitMs: -1 },
      /waitMs must be a number of at least 0, received -1/,
    ],
  ])('%s: ConfigurationError naming it', async (_, options, message) => {
    const store = container();
    await expect(store.refresh('k', options as never)).rejects.toThrow(ConfigurationError);
    await expect(store.refresh('k', options as never)).rejects.toThrow(message);
    expect(table.requests).toEqual([]);
  });

  it('a signal that is not an AbortSignal: InvalidValueError naming it, no call', async () => {
    const store = container();
    await expect(
      store.refresh('k', { needsRefresh: yes, refresh: nothing, signal: {} as AbortSignal }),
    ).rejects.toThrow(
      new InvalidValueError('signal', 'signal must be an AbortSignal, received object'),
    );
    expect(table.requests).toEqual([]);
  });

  it('a signal aborted already: StorageError with its reason, no call', async () => {
    const store = container();
    const reason = new Error('too late');
    await expect(
      store.refresh('k', {
        needsRefresh: yes,
        refresh: nothing,
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toMatchObject({ name: 'StorageError', cause: reason });
    expect(table.requests).toEqual([]);
  });

  it('an invalid key: InvalidKeyError, no call', async () => {
    const store = container();
    await expect(
      store.refresh('a\u0000b', { needsRefresh: () => true, refresh: () => ({}) }),
    ).rejects.toThrow(InvalidKeyError);
    expect(table.requests).toEqual([]);
  });

  it('a refresh that resolves to no object: InvalidValueError, the lease released, nothing written', async () => {
    const store = container();
    await store.put('k', { a: 1 });
    await expect(
      store.refresh('k', { needsRefresh: () => true, refresh: () => 'token' as never }),
    ).rejects.toThrow(/must resolve to the next value \(a plain object\), received string/);
    expect(item('k')?.leaseMs).toBeUndefined();
    expect(await store.get('k')).toEqual({ a: 1 });
  });
});

describe('storage.secrets.refresh and the uninstall', () => {
  it('storage.secrets.refresh works on the test store it is pointed at', async () => {
    const store = container();
    await store.put('authToken', { token: 'old' });
    setSecretsStore(store);
    try {
      const up = upstream();
      up.answer.resolve({ token: 'new', refreshToken: 'r2' });
      await expect(storage.secrets.refresh<Token>('authToken', up.options())).resolves.toEqual({
        token: 'new',
        refreshToken: 'r2',
      });
    } finally {
      resetSecretsStore();
    }
  });

  it('storage.secrets without SECRETS_STORE_NAMESPACE: refresh names the variable', async () => {
    const store = secretsStoreFromEnvironment({
      SECRETS_STORE_TABLE: 'secrets',
      SECRETS_STORE_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      AWS_REGION: 'eu-west-1',
    });
    const up = upstream();
    expect(() => store.refresh<Token>('authToken', up.options())).toThrow(
      /needs the environment variable SECRETS_STORE_NAMESPACE/,
    );
  });

  it("the uninstall's conditional sweep deletes a lease held on an absent secret (no updatedAt), and LeaseLostError follows", async () => {
    const store = container({ namespace: 'app:1' });
    const up = upstream();
    const held = store.refresh<Token>('k', up.options()).catch((error: unknown) => error);
    await up.entered;
    const result = await purgeWrittenBefore({
      client: table.client(),
      tableName: 'secrets',
      namespace: 'app:1',
      writtenBefore: Date.now() - 60_000,
    });
    expect(result).toMatchObject({ deleted: 0, spared: 0 });
    expect(table.items('secrets')).toEqual([]);
    up.answer.resolve({ token: 'new', refreshToken: 'r2' });
    expect(await held).toBeInstanceOf(LeaseLostError);
    expect(table.items('secrets')).toEqual([]);
  });
});
