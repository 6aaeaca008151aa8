/**
 * Purge, the lifecycle record and the uninstall pipeline's tasks on a real DynamoDB API, with
 * secrets written the way the app writes them (a SecretsStore with a LocalKeyring).
 */
import { type AttributeValue, BatchWriteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { purgeNamespace } from '@secrets-store/core';
import {
  advanceLifecycle,
  LIFECYCLE_RECORD_KEY,
  purgeWrittenBefore,
  readLifecycle,
} from '@secrets-store/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { queryKeysInput } from '../../packages/core/src/item/index.ts';
import { handle } from '../../packages/uninstall-handler/src/handler.ts';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { gate } from '../support/gate.ts';
import {
  countRequests,
  endpoint,
  itemsOf,
  newStore,
  putTombstone,
  rawClient,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';
import { eventBody, newPipeline, setClock } from '../support/uninstallPipeline.ts';

/** A whole second, so that EventBridge's `time` holds it exactly. */
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

afterEach(() => {
  vi.useRealTimers();
});

/** Writes `count` items of ~600 bytes, so that they take more than one 1 MB Query page. */
async function fill(namespace: string, count: number): Promise<void> {
  const padding = 'p'.repeat(600);
  const requests = Array.from({ length: count }, (_, index) => ({
    PutRequest: {
      Item: {
        pk: { S: namespace },
        sk: { S: `secret-${String(index).padStart(5, '0')}` },
        ciphertext: { B: Buffer.from(padding) },
      },
    },
  }));
  for (let start = 0; start < requests.length; start += 25) {
    await rawClient.send(
      new BatchWriteItemCommand({
        RequestItems: { [tableName]: requests.slice(start, start + 25) },
      }),
    );
  }
}

/**
 * The pages of the purge's Query of a namespace's keys (1 MB of items each), and the batches of
 * 25 deletes those pages make.
 */
async function queryPagesOf(namespace: string): Promise<{ pages: number; batches: number }> {
  let pages = 0;
  let batches = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await rawClient.send(
      new QueryCommand(queryKeysInput(tableName, namespace, true, startKey)),
    );
    pages += 1;
    batches += Math.ceil((page.Items?.length ?? 0) / 25);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { pages, batches };
}

async function keysOf(store: { keys(): AsyncIterable<string> }): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys()) keys.push(key);
  return keys.sort();
}

describe('purge', () => {
  it('empties a namespace of 2,600 items over several Query pages', async () => {
    const namespace = uniqueNamespace('big');
    await fill(namespace, 2600);
    const { pages, batches } = await queryPagesOf(namespace);
    expect(pages).toBeGreaterThan(1);
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const result = await purgeNamespace({ client, tableName, namespace });
    expect(result).toEqual({ deleted: 2600, complete: true });
    expect(await itemsOf(namespace)).toEqual([]);
    // Each Query page's keys in batches of 25 (dynalite leaves none unprocessed), the
    // namespace's Query pages once, and nothing else.
    expect(requests.of('BatchWriteItemCommand')).toBe(batches);
    expect(requests.of('QueryCommand')).toBe(pages);
    expect(requests.total()).toBe(batches + pages);
  });

  it('leaves a neighbour whose namespace extends this one (app and app1) untouched', async () => {
    const namespace = uniqueNamespace('app');
    const store = newStore({ namespace });
    const neighbour = store.forNamespace(`${namespace}1`);
    await store.put('a', { v: 1 });
    await neighbour.put('a', { v: 2 });
    await neighbour.put('b', { v: 3 });
    expect(await store.purge()).toBe(1);
    expect(await neighbour.get('a')).toEqual({ v: 2 });
    expect(await itemsOf(`${namespace}1`)).toHaveLength(2);
  });

  it('is harmless when run twice', async () => {
    const store = newStore();
    await store.put('a', { v: 1 });
    await store.put('b', { v: 1 });
    expect(await store.purge()).toBe(2);
    expect(await store.purge()).toBe(0);
    expect(await store.exists('a')).toBe(false);
  });
});

describe('purgeWrittenBefore', () => {
  /** A store with `old` written at T0 and `new` written at `newAt`. */
  async function oldThenNew(newAt: number) {
    const store = newStore();
    setClock(T0);
    await store.put('old', { v: 1 });
    setClock(newAt);
    await store.put('new', { v: 2 });
    return store;
  }

  /** The purge, on a direct client, of what `store`'s namespace holds from before `writtenBefore`. */
  const purgeBefore = (store: { namespace: string }, writtenBefore: number) =>
    purgeWrittenBefore({ client: rawClient, tableName, namespace: store.namespace, writtenBefore });

  it('deletes the secrets written before the cutoff and keeps the later ones', async () => {
    const store = await oldThenNew(T0 + 1000);
    await expect(purgeBefore(store, T0 + 1000)).resolves.toEqual({
      deleted: 1,
      spared: 0,
      complete: true,
    });
    expect(await keysOf(store)).toEqual(['new']);
  });

  it('deletes a tombstone whenever its delete happened (not counted: it is no secret), and spares a secret written after the cutoff', async () => {
    const store = await oldThenNew(T0 + 5000);
    // A tombstone as write protocol v3's delete leaves it: no value, updatedAt = the delete.
    await putTombstone(store.namespace, 'deleted', {
      writeId: 'w-delete',
      updatedAt: T0 + 5000,
      expiresAt: Math.floor(T0 / 1000) + 86_400,
    });
    await expect(purgeBefore(store, T0 + 1000)).resolves.toEqual({
      deleted: 1,
      spared: 0,
      complete: true,
    });
    expect((await itemsOf(store.namespace)).map((item) => item.sk?.S)).toEqual(['new']);
  });

  // moto copies its whole table for every TransactWriteItems (to roll back): 26 of them over a
  // table of thousands of items take minutes there, so moto gets a tenth of the items (the same
  // paths: pages, groups of 100, transactions).
  const onMoto = process.env.SECRETS_STORE_TEST_DYNAMODB === 'moto';
  const bigCount = onMoto ? 260 : 2600;
  it(`deletes ${bigCount} secrets over Query pages, 100 a call where the server has transactions`, async () => {
    const namespace = uniqueNamespace('big-uninstall');
    await fill(namespace, bigCount);
    // The groups the purge forms: 100 keys a call, and a Query page (1 MB) ends a group early.
    const pageSizes: number[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await rawClient.send(
        new QueryCommand(queryKeysInput(tableName, namespace, true, startKey, Date.now())),
      );
      pageSizes.push(page.Items?.length ?? 0);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const groups = pageSizes.reduce((sum, size) => sum + Math.ceil(size / 100), 0);
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    await expect(
      purgeWrittenBefore({ client, tableName, namespace, writtenBefore: Date.now() }),
    ).resolves.toEqual({ deleted: bigCount, spared: 0, complete: true });
    expect(await itemsOf(namespace)).toEqual([]);
    if (process.env.SECRETS_STORE_TEST_DYNAMODB === undefined) {
      // dynalite has no TransactWriteItems: the 4 groups in flight learn it from its
      // UnknownOperationException, then one DeleteItem a key.
      expect(requests.of('TransactWriteItemsCommand')).toBe(4);
      expect(requests.of('DeleteItemCommand')).toBe(bigCount);
    } else {
      expect(requests.of('TransactWriteItemsCommand')).toBe(groups);
      expect(requests.of('DeleteItemCommand')).toBe(0);
    }
  });

  it('a write landing between the Query and the delete is never deleted (forced schedule)', async () => {
    const store = newStore();
    setClock(T0);
    await store.put('authToken', { token: 'old' });
    // The purge's client stops each delete call until the test lets it go.
    const client = localDynamoDBClient(endpoint);
    const deleting = gate();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        // A conditional DeleteItem, or the TransactWriteItems of such deletes (where the server has them).
        if (
          ['DeleteItemCommand', 'TransactWriteItemsCommand'].includes(context.commandName ?? '')
        ) {
          deleting.arrive();
          await deleting.opened;
        }
        return next(args);
      },
      { step: 'initialize', name: 'pauseDeletes' },
    );
    setClock(T0 + 60_000);
    const purge = purgeWrittenBefore({
      client,
      tableName,
      namespace: store.namespace,
      writtenBefore: T0 + 60_000,
    });
    await deleting.reached; // the Query saw the old item; its delete is about to go out
    setClock(T0 + 61_000);
    await store.put('authToken', { token: 'new' }); // the rival write lands first
    deleting.release();
    await expect(purge).resolves.toEqual({ deleted: 0, spared: 1, complete: true });
    expect(await store.get('authToken')).toEqual({ token: 'new' });
  });
});

describe('the lifecycle record', () => {
  it('moves each time only forward; a repeated or older event changes nothing', async () => {
    const namespace = uniqueNamespace('record');
    const advance = (transition: 'install' | 'uninstall', id: string, time: number) =>
      advanceLifecycle(rawClient, tableName, namespace, transition, { id, time });
    expect(await advance('uninstall', 'u2', T0 + 2000)).toEqual({
      advanced: true,
      record: { uninstalledAt: T0 + 2000, uninstallEventId: 'u2' },
    });
    expect((await advance('uninstall', 'u1', T0 + 1000)).advanced).toBe(false);
    expect((await advance('uninstall', 'u2', T0 + 2000)).advanced).toBe(false);
    expect(await advance('install', 'i1', T0 + 1500)).toEqual({
      advanced: true,
      record: {
        installedAt: T0 + 1500,
        installEventId: 'i1',
        uninstalledAt: T0 + 2000,
        uninstallEventId: 'u2',
      },
    });
    expect(await readLifecycle(rawClient, tableName, namespace)).toEqual({
      installedAt: T0 + 1500,
      installEventId: 'i1',
      uninstalledAt: T0 + 2000,
      uninstallEventId: 'u2',
    });
  });

  it('is hidden from keys() and never deleted or counted by a purge', async () => {
    const store = newStore();
    await store.put('a', { v: 1 });
    await advanceLifecycle(rawClient, tableName, store.namespace, 'install', {
      id: 'i1',
      time: T0,
    });
    expect(await keysOf(store)).toEqual(['a']);
    expect(await store.purge()).toBe(1);
    expect((await itemsOf(store.namespace)).map((item) => item.sk?.S)).toEqual([
      LIFECYCLE_RECORD_KEY,
    ]);
  });
});

describe('the pipeline', () => {
  it('an untyped { namespace } message deletes nothing', async () => {
    const store = newStore();
    await store.put('authToken', { token: 'x' });
    const pipeline = newPipeline();
    await pipeline.deliver(JSON.stringify({ namespace: store.namespace }));
    expect(await store.get('authToken')).toEqual({ token: 'x' });
    expect(pipeline.sent()).toEqual([]);
  });

  it('a direct invocation with { namespace } purges what was written before it', async () => {
    const store = newStore();
    await store.put('authToken', { token: 'x' });
    await store.put('rate', { counter: 1 });
    const report = await handle(
      { namespace: store.namespace },
      { getRemainingTimeInMillis: () => 60_000 },
      newPipeline().config,
      () => {},
    );
    expect(report).toMatchObject({ kind: 'purge', deleted: 2, complete: true });
    expect(await keysOf(store)).toEqual([]);
  });

  it('a later uninstall deletes the reinstall too, and its sweep its late writes', async () => {
    const store = newStore();
    const pipeline = newPipeline();
    const { namespace } = store;
    setClock(T0);
    await store.put('authToken', { token: 'first' });
    await pipeline.deliver(eventBody('AppUninstalled', namespace, 'u1', T0 + 1000));
    await pipeline.deliver(eventBody('AppInstalled', namespace, 'i1', T0 + 2000));
    setClock(T0 + 3000);
    await store.put('authToken', { token: 'second' });
    setClock(T0 + 10_000);
    await pipeline.deliver(eventBody('AppUninstalled', namespace, 'u2', T0 + 10_000));
    expect(await keysOf(store)).toEqual([]);
    setClock(T0 + 20_000);
    await store.patch('rate', { counter: 1 }); // an invocation still running at uninstall
    setClock(T0 + 10_000 + 900_000);
    const sweeps = pipeline.sent().map((message) => JSON.parse(message.body));
    expect(sweeps.map((sweep) => sweep.uninstallEventId)).toEqual(['u1', 'u2']);
    for (const message of pipeline.sent()) await pipeline.deliver(message.body);
    expect(await keysOf(store)).toEqual([]);
  });
});
