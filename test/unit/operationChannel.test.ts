/**
 * `secrets-store:operation` (DESIGN.md, "Observability and cost") in process: one message per
 * public operation when it ends, failures included, with the requests it sent counted against
 * the MemoryTable's own record of what it received; nothing built without a subscriber; no
 * value in any message.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { OperationMessage } from '@secrets-store/core';
import { OPERATION_CHANNEL } from '@secrets-store/core';
import {
  createTestStore,
  type MemoryTable,
  type OperationName,
  type TestSecretsStore,
} from '@secrets-store/core/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OperationMeter,
  operationChannel,
} from '../../packages/core/src/observability/operationMeter.ts';

const MESSAGE_FIELDS = [
  'attempts',
  'dynamodb',
  'durationMs',
  'key',
  'keys',
  'kms',
  'namespace',
  'operation',
  'outcome',
  'table',
  'valueCache',
];

/**
 * The conditional write a patch sends (PutItem of the whole item today): learnt from the table,
 * so that the exact lists below follow the write loop's choice.
 */
let patchWrite: OperationName;
/** Stands for {@link patchWrite} in the tables, which are built before it is learnt. */
const PATCH_WRITE = 'the write of a patch';

beforeAll(async () => {
  const store = createTestStore();
  await store.patch('k', { v: 1 });
  patchWrite = store.table.requests.at(-1)?.operation as OperationName;
});

let messages: OperationMessage[];
const listener = (message: unknown) => messages.push(message as OperationMessage);

beforeEach(() => {
  messages = [];
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
});

afterEach(() => {
  diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
  vi.restoreAllMocks();
});

/** A store over a table that holds `a` and `b`, with the seeding's requests and messages gone. */
async function seeded(
  options: Parameters<typeof createTestStore>[0] = {},
): Promise<TestSecretsStore> {
  const store = createTestStore({ namespace: 'app:1', ...options });
  await store.put('a', { v: 1 });
  await store.put('b', { v: 2 });
  store.table.requests.length = 0;
  messages = [];
  return store;
}

async function drain(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys;
}

/** What the table received, by operation, in order. */
function received(table: MemoryTable): string[] {
  return table.requests.map((request) => request.operation);
}

describe('one message per public operation, when it ends', () => {
  it.each([
    ['get', (s: TestSecretsStore) => s.get('a'), { key: 'a' }, ['GetItem']],
    [
      'getMany',
      (s: TestSecretsStore) => s.getMany(new Set(['a', 'b', 'none'])),
      { keys: ['a', 'b', 'none'] },
      ['BatchGetItem'],
    ],
    ['exists', (s: TestSecretsStore) => s.exists('a'), { key: 'a' }, ['GetItem']],
    ['keys', (s: TestSecretsStore) => drain(s.keys()), {}, ['Query']],
    ['put', (s: TestSecretsStore) => s.put('c', { v: 3 }), { key: 'c' }, ['UpdateItem']],
    [
      'patch',
      (s: TestSecretsStore) => s.patch('a', { w: 1 }),
      { key: 'a' },
      ['GetItem', PATCH_WRITE],
    ],
    [
      'delete',
      (s: TestSecretsStore) => s.delete('a', ['v']),
      { key: 'a' },
      ['GetItem', PATCH_WRITE],
    ],
    ['delete', (s: TestSecretsStore) => s.delete('a'), { key: 'a' }, ['UpdateItem']],
    ['purge', (s: TestSecretsStore) => s.purge(), {}, ['Query', 'BatchWriteItem']],
    ['rewrap', (s: TestSecretsStore) => s.rewrap(), {}, ['Query', 'GetItem', 'GetItem']],
  ] as const)(
    '%s: its requests, exactly, as the table received them',
    async (operation, run, names, sent) => {
      const store = await seeded();
      await run(store);
      expect(received(store.table)).toEqual(
        sent.map((name) => (name === PATCH_WRITE ? patchWrite : name)),
      );
      expect(messages).toEqual([
        {
          operation,
          table: 'secrets',
          namespace: 'app:1',
          ...names,
          outcome: 'ok',
          durationMs: expect.any(Number),
          attempts: 1,
          // The MemoryTable returns no ConsumedCapacity (dynalite and moto do: test/integration).
          dynamodb: { requests: sent.length, readUnits: 0, writeUnits: 0 },
          kms: { requests: 0 },
        },
      ]);
    },
  );

  it('every request of an observed operation asks for its consumed capacity', async () => {
    const store = await seeded();
    await store.patch('a', { w: 1 });
    await store.getMany(['a', 'b']);
    await drain(store.keys());
    expect(store.table.requests.map((request) => request.input.ReturnConsumedCapacity)).toEqual([
      'TOTAL',
      'TOTAL',
      'TOTAL',
      'TOTAL',
    ]);
  });

  it('a failure ends its operation too: outcome is the error code, with what it sent', async () => {
    const store = await seeded({ clientConfig: { maxAttempts: 1 } });
    store.table.failNext('GetItem', 'InternalServerError');
    await expect(store.get('a')).rejects.toMatchObject({ code: 'STORAGE' });
    expect(messages).toMatchObject([
      { operation: 'get', key: 'a', outcome: 'STORAGE', dynamodb: { requests: 1 } },
    ]);
  });

  it('input refused before any call: one message, no request', async () => {
    const store = await seeded();
    await expect(store.put('', { v: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(messages).toMatchObject([
      { operation: 'put', key: '', outcome: 'INVALID_KEY', dynamodb: { requests: 0 } },
    ]);
    expect(store.table.requests).toEqual([]);
  });

  it("an updater's own error: outcome is its name (never its message), nothing written", async () => {
    const store = await seeded();
    await expect(
      store.patch('a', () => {
        throw new RangeError('the updater says no');
      }),
    ).rejects.toThrow(RangeError);
    expect(received(store.table)).toEqual(['GetItem']);
    expect(messages).toMatchObject([
      { operation: 'patch', outcome: 'RangeError', dynamodb: { requests: 1 } },
    ]);
  });

  it('a patch that lost a race: attempts 2, and the requests of both attempts', async () => {
    const store = await seeded();
    const rival = store.forNamespace('app:1');
    const paused = store.table.pauseNext(patchWrite);
    const patch = store.patch('a', { w: 1 });
    await paused.reached;
    await rival.put('a', { v: 5 }); // its own message
    paused.release();
    await patch;
    // The paused write is recorded when it arrives, before the rival's UpdateItem is applied.
    expect(received(store.table)).toEqual([
      'GetItem',
      patchWrite,
      'UpdateItem',
      'GetItem',
      patchWrite,
    ]);
    expect(
      messages.map((message) => [message.operation, message.attempts, message.dynamodb.requests]),
    ).toEqual([
      ['put', 1, 1],
      ['patch', 2, 4],
    ]);
  });

  it('a put whose response was lost: the read that decided it landed is a request of the same attempt', async () => {
    const store = await seeded();
    store.table.loseResponseOfNext('UpdateItem');
    await store.put('a', { v: 9 });
    // The copy in doubt ends the SDK's send; the read finds the write's id in the history.
    expect(received(store.table)).toEqual(['UpdateItem', 'GetItem']);
    expect(messages).toMatchObject([
      { operation: 'put', attempts: 1, outcome: 'ok', dynamodb: { requests: 2 } },
    ]);
  });

  it('patches committed together: each batch counts for its first patch, the sum is what was sent', async () => {
    const store = await seeded();
    await Promise.all([
      store.patch('a', { x: 1 }),
      store.patch('a', { y: 1 }),
      store.patch('a', { z: 1 }),
    ]);
    // The first patch reads and writes alone; the two that came meanwhile share one write.
    expect(received(store.table)).toEqual(['GetItem', patchWrite, patchWrite]);
    expect(messages.map((message) => message.dynamodb.requests)).toEqual([2, 1, 0]);
  });

  it('keys() left early (break) ends its operation once', async () => {
    const store = await seeded();
    for await (const key of store.keys()) {
      expect(key).toBe('a');
      break;
    }
    expect(messages).toMatchObject([
      { operation: 'keys', outcome: 'ok', dynamodb: { requests: 1 } },
    ]);
  });

  it('rewrap lists keys as part of itself: one message, not one for keys()', async () => {
    const store = await seeded();
    await store.rewrap();
    expect(messages.map((message) => message.operation)).toEqual(['rewrap']);
  });

  it('with the value cache: hit without a request, miss with one', async () => {
    const store = await seeded({ valueCache: {} });
    await store.get('a'); // filled by the seeding put: a hit
    await store.get('a', { forceFetch: true });
    await store.exists('b');
    await store.getMany(['a', 'b']);
    expect(
      messages.map((message) => [message.operation, message.valueCache, message.dynamodb.requests]),
    ).toEqual([
      ['get', 'hit', 0],
      ['get', 'miss', 1],
      ['exists', 'hit', 0],
      ['getMany', 'hit', 0],
    ]);
  });
});

describe('a canary value never appears in a message', () => {
  it('through every operation, failures included', async () => {
    const canary = 'canary-7f3e9b1c-do-not-log';
    const store = await seeded({ clientConfig: { maxAttempts: 1 } });
    await store.put('secret', { token: canary, nested: { again: canary } });
    await store.get('secret');
    await store.get('secret', ['token']);
    await store.getMany(['secret', 'a']);
    await store.patch<{ token: string; n?: number }>('secret', (previous) => ({
      ...previous,
      n: 1,
    }));
    await store.patch('secret', { other: canary });
    await expect(
      store.patch('secret', () => {
        throw new Error(`refused ${canary}`);
      }),
    ).rejects.toThrow();
    store.table.failNext('GetItem', 'InternalServerError');
    await expect(store.get('secret')).rejects.toMatchObject({ code: 'STORAGE' });
    await store.exists('secret');
    await drain(store.keys());
    await store.rewrap();
    await store.delete('secret', ['other']);
    await store.delete('secret');
    await store.purge();
    expect(messages).toHaveLength(14);
    expect(JSON.stringify(messages)).not.toContain(canary);
    expect(JSON.stringify(messages)).not.toContain(Buffer.from(canary).toString('base64'));
    for (const message of messages) {
      expect(MESSAGE_FIELDS).toEqual(expect.arrayContaining(Object.keys(message)));
    }
  });
});

describe('without a subscriber', () => {
  it('no meter is started, no message built or published, no request asks for capacity', async () => {
    diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
    const started = vi.spyOn(OperationMeter, 'start');
    const published = vi.spyOn(operationChannel, 'publish');
    const store = await seeded({ valueCache: {} });
    await store.get('a');
    await store.get('a', { forceFetch: true });
    await store.getMany(['a', 'b']);
    await store.exists('a');
    await drain(store.keys());
    await store.put('c', { v: 3 });
    await store.patch('c', { w: 1 });
    await store.delete('c', ['w']);
    await store.delete('c');
    await store.rewrap();
    await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await store.purge();
    expect(started).not.toHaveBeenCalled();
    expect(published).not.toHaveBeenCalled();
    expect(messages).toEqual([]);
    expect(store.table.requests.length).toBeGreaterThan(0);
    expect(
      store.table.requests.filter((request) => 'ReturnConsumedCapacity' in request.input),
    ).toEqual([]);
  });

  it('a subscriber makes the same operations start one meter each', async () => {
    const store = await seeded();
    const started = vi.spyOn(OperationMeter, 'start');
    await store.get('a');
    await store.put('c', { v: 3 });
    expect(started).toHaveBeenCalledTimes(2);
    expect(messages).toHaveLength(2);
  });
});
