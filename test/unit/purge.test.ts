import {
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { PurgeIncompleteError, purgeNamespace, StorageError } from '@secrets-store/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

const dynamodb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const base = { client, tableName: 'secrets', namespace: 'app:1' };

afterEach(() => {
  dynamodb.reset();
  vi.useRealTimers();
});

const keyItems = (keys: string[]) => keys.map((key) => ({ sk: { S: key } }));
const names = (count: number, prefix = 'k') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);
const sentKeys = (call: number) =>
  (
    dynamodb.commandCalls(BatchWriteItemCommand)[call]?.args[0].input.RequestItems?.secrets ?? []
  ).map((request: WriteRequest) => request.DeleteRequest?.Key?.sk?.S);

describe('purgeNamespace', () => {
  it('queries keys only, page after page, and deletes them in batches of 25', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        Items: keyItems(names(30)),
        LastEvaluatedKey: { pk: { S: 'app:1' }, sk: { S: 'k29' } },
      })
      .resolvesOnce({ Items: keyItems(names(3, 'm')) });
    dynamodb.on(BatchWriteItemCommand).resolves({});
    await expect(purgeNamespace(base)).resolves.toEqual({ deleted: 33, complete: true });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'secrets',
      KeyConditionExpression: 'pk = :namespace',
      ExpressionAttributeValues: { ':namespace': { S: 'app:1' } },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    expect(dynamodb).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: { pk: { S: 'app:1' }, sk: { S: 'k29' } },
    });
    const batches = dynamodb.commandCalls(BatchWriteItemCommand).map((_, index) => sentKeys(index));
    expect(batches.map((batch) => batch.length)).toEqual([25, 5, 3]);
  });

  it('never deletes or counts the uninstall marker', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(['\u0000uninstalled', 'a', 'b']) });
    dynamodb.on(BatchWriteItemCommand).resolves({});
    await expect(purgeNamespace(base)).resolves.toEqual({ deleted: 2, complete: true });
    expect(sentKeys(0)).toEqual(['a', 'b']);
  });

  it('retries UnprocessedItems for several rounds with backoff, then succeeds', async () => {
    vi.useFakeTimers();
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(names(3)) });
    const unprocessed = (keys: string[]) => ({
      UnprocessedItems: {
        secrets: keys.map((key) => ({
          DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: key } } },
        })),
      },
    });
    dynamodb
      .on(BatchWriteItemCommand)
      .resolvesOnce(unprocessed(['k1', 'k2']))
      .resolvesOnce(unprocessed(['k2']))
      .resolvesOnce(unprocessed(['k2']))
      .resolves({});
    const done = purgeNamespace(base);
    await vi.runAllTimersAsync();
    await expect(done).resolves.toEqual({ deleted: 3, complete: true });
    expect([0, 1, 2, 3].map(sentKeys)).toEqual([['k0', 'k1', 'k2'], ['k1', 'k2'], ['k2'], ['k2']]);
  });

  it('lists what is left in a PurgeIncompleteError when retries run out', async () => {
    vi.useFakeTimers();
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(['a', 'b']) });
    dynamodb.on(BatchWriteItemCommand).resolves({
      UnprocessedItems: {
        secrets: [{ DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: 'b' } } } }],
      },
    });
    const done = purgeNamespace({ ...base, retry: { maxAttempts: 3 } });
    const assertion = expect(done).rejects.toMatchObject({
      name: 'PurgeIncompleteError',
      code: 'PURGE_INCOMPLETE',
      deleted: 1,
      remainingKeys: ['b'],
    });
    await vi.runAllTimersAsync();
    await assertion;
    await expect(done).rejects.toBeInstanceOf(PurgeIncompleteError);
    expect(dynamodb).toHaveReceivedCommandTimes(BatchWriteItemCommand, 3);
  });

  it('throttling that outlasts the SDK retries is a StorageError', async () => {
    dynamodb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(purgeNamespace(base)).rejects.toThrow(StorageError);
    await expect(purgeNamespace(base)).rejects.toThrow(/ThrottlingException/);
  });

  it('starts no batch past the deadline and reports complete: false', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(names(100)) });
    dynamodb.on(BatchWriteItemCommand).callsFake(() => {
      vi.setSystemTime(Date.now() + 1000); // each batch takes a second
      return {};
    });
    const result = await purgeNamespace({ ...base, deadline: Date.now() + 1500, concurrency: 1 });
    expect(result).toEqual({ deleted: 50, complete: false });
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(names(250)) });
    let inFlight = 0;
    let most = 0;
    dynamodb.on(BatchWriteItemCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {};
    });
    await expect(purgeNamespace({ ...base, concurrency: 3 })).resolves.toEqual({
      deleted: 250,
      complete: true,
    });
    expect(most).toBe(3);
  });

  it('refuses an invalid namespace before any call', async () => {
    await expect(purgeNamespace({ ...base, namespace: 'app*' })).rejects.toThrow(/namespace/);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
