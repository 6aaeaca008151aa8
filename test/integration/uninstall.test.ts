/**
 * Purge and the uninstall pipeline's tasks on a real DynamoDB API.
 */
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { purgeNamespace, UNINSTALL_MARKER_KEY } from '@secrets-store/core';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CleanupConfig } from '../../packages/uninstall-handler/src/cleanup.ts';
import { handle } from '../../packages/uninstall-handler/src/handler.ts';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import {
  countRequests,
  endpoint,
  itemsOf,
  newStore,
  rawClient,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';

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

/** The cleanup tasks on this server, with no SQS: the test plays the delayed second sweep. */
const config: CleanupConfig = {
  dynamodb: rawClient,
  sqs: undefined,
  tableName,
  sweepQueueUrl: undefined,
  sweepDelaySeconds: 900,
};
const context = { getRemainingTimeInMillis: () => 60_000 };
/** An SQS batch of one message, as the queue delivers EventBridge events and the sweep. */
const viaQueue = (body: object): SQSEvent =>
  ({ Records: [{ messageId: 'm0', body: JSON.stringify(body) }] }) as SQSEvent;
const event = (type: string, namespace: string) =>
  viaQueue({ 'detail-type': type, source: 'secrets-store', detail: { namespace } });
const secondSweep = (namespace: string) => viaQueue({ type: 'SecondSweep', namespace });

describe('purge', () => {
  it('empties a namespace of 2,600 items over several Query pages', async () => {
    const namespace = uniqueNamespace('big');
    await fill(namespace, 2600);
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const result = await purgeNamespace({ client, tableName, namespace });
    expect(result).toEqual({ deleted: 2600, complete: true });
    expect(await itemsOf(namespace)).toEqual([]);
    // 2,600 batches of 25 would be 104 BatchWriteItem calls; the rest are Query pages
    expect(requests.total() - 104).toBeGreaterThan(1);
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

describe('uninstall, reinstall and the second sweep', () => {
  it('uninstall empties the namespace but for the marker, which keys() never lists', async () => {
    const store = newStore();
    await store.put('authToken', { token: 'x' });
    await store.put('rate', { counter: 1 });
    const report = await handle(event('AppUninstalled', store.namespace), context, config);
    expect(report).toEqual({ batchItemFailures: [] });
    const items = await itemsOf(store.namespace);
    expect(items.map((item) => item.sk?.S)).toEqual([UNINSTALL_MARKER_KEY]);
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual([]);
    expect(await store.get('authToken')).toEqual({});
  });

  it('a reinstall with a new secret before the second sweep keeps the new secret', async () => {
    const store = newStore();
    await store.put('authToken', { token: 'old' });
    await handle(event('AppUninstalled', store.namespace), context, config);
    await handle(event('AppInstalled', store.namespace), context, config);
    await store.put('authToken', { token: 'new' });
    await handle(secondSweep(store.namespace), context, config);
    expect(await store.get('authToken')).toEqual({ token: 'new' });
  });

  it('without a reinstall, the second sweep deletes a late write and the marker', async () => {
    const store = newStore();
    await store.put('authToken', { token: 'old' });
    await handle(event('AppUninstalled', store.namespace), context, config);
    // an invocation that started before the uninstall writes after it
    await store.patch('rate', { counter: 5 });
    expect(await handle(secondSweep(store.namespace), context, config)).toEqual({
      batchItemFailures: [],
    });
    expect(await itemsOf(store.namespace)).toEqual([]);
  });
});
