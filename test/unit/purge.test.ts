import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  ConfigurationError,
  PurgeIncompleteError,
  purgeNamespace,
  StorageError,
} from '@secrets-store/core';
import {
  LIFECYCLE_RECORD_KEY,
  purgeWrittenBefore,
  UNINSTALL_MARKER_KEY,
} from '@secrets-store/core/internal';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

const dynamodb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const base = { client, tableName: 'secrets', namespace: 'app:1' };

afterEach(() => {
  dynamodb.reset();
  vi.useRealTimers();
});

/** A throttle that outlasted the SDK's own retries. */
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const keyItems = (keys: string[]) => keys.map((key) => ({ sk: { S: key } }));
/** The Query answers `first`, continued after its last key, then `second`. */
function queryAnswersPages(first: string[], second: string[]): void {
  dynamodb
    .on(QueryCommand)
    .resolvesOnce({
      Items: keyItems(first),
      LastEvaluatedKey: { pk: { S: 'app:1' }, sk: { S: first.at(-1) as string } },
    })
    .resolvesOnce({ Items: keyItems(second) });
}
const names = (count: number, prefix = 'k') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);
const sentKeys = (call: number) =>
  (
    dynamodb.commandCalls(BatchWriteItemCommand)[call]?.args[0].input.RequestItems?.secrets ?? []
  ).map((request: WriteRequest) => request.DeleteRequest?.Key?.sk?.S);

describe('purgeNamespace', () => {
  it('deletes tombstones with the secrets but counts only the secrets', async () => {
    dynamodb.on(QueryCommand).resolves({
      Items: [
        { sk: { S: 'a' } },
        { sk: { S: 'gone' }, expiresAt: { N: '1800000000' } },
        { sk: { S: 'b' } },
      ],
    });
    dynamodb.on(BatchWriteItemCommand).resolves({});
    await expect(purgeNamespace(base)).resolves.toEqual({ deleted: 2, complete: true });
    expect(dynamodb).toHaveReceivedCommandTimes(BatchWriteItemCommand, 2);
    expect([sentKeys(0), sentKeys(1)].sort()).toEqual([['a', 'b'], ['gone']]);
  });

  it('a tombstone it could not delete fails nothing: it expires with the TTL', async () => {
    dynamodb.on(QueryCommand).resolves({
      Items: [{ sk: { S: 'a' } }, { sk: { S: 'gone' }, expiresAt: { N: '1800000000' } }],
    });
    dynamodb
      .on(BatchWriteItemCommand)
      .callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
        const keys = (input.RequestItems.secrets ?? []).map((r) => r.DeleteRequest?.Key?.sk?.S);
        if (keys.includes('gone')) throw new Error('the tombstone delete failed');
        return {};
      });
    await expect(purgeNamespace(base)).resolves.toEqual({ deleted: 1, complete: true });
  });

  it('queries keys only, page after page, and deletes them in batches of 25', async () => {
    queryAnswersPages(names(30), names(3, 'm'));
    dynamodb.on(BatchWriteItemCommand).resolves({});
    await expect(purgeNamespace(base)).resolves.toEqual({ deleted: 33, complete: true });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'secrets',
      KeyConditionExpression: '#namespace = :namespace',
      ExpressionAttributeNames: { '#namespace': 'pk', '#key': 'sk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':namespace': { S: 'app:1' } },
      ProjectionExpression: '#key, #expiresAt',
      ConsistentRead: true,
    });
    expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input.FilterExpression).toBeUndefined();
    expect(dynamodb).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: { pk: { S: 'app:1' }, sk: { S: 'k29' } },
    });
    const batches = dynamodb.commandCalls(BatchWriteItemCommand).map((_, index) => sentKeys(index));
    expect(batches.map((batch) => batch.length)).toEqual([25, 5, 3]);
  });

  it('never deletes or counts reserved items (the lifecycle record, the old marker)', async () => {
    dynamodb
      .on(QueryCommand)
      .resolves({ Items: keyItems([LIFECYCLE_RECORD_KEY, UNINSTALL_MARKER_KEY, 'a', 'b']) });
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

  it('a Query that fails after the SDK retries is a StorageError naming the AWS error', async () => {
    dynamodb.on(QueryCommand).rejects(throttled());
    await expect(purgeNamespace(base)).rejects.toThrow(StorageError);
    await expect(purgeNamespace(base)).rejects.toThrow(/ThrottlingException/);
  });

  it('a network failure names its code', async () => {
    dynamodb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }));
    await expect(purgeNamespace(base)).rejects.toThrow(
      'Query in namespace app:1: Error (ECONNREFUSED)',
    );
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

describe('PurgeIncompleteError is exact', () => {
  // Page 1: k0..k99 (4 batches), page 2: m0..m9. The batch k25..k49 keeps k25..k27 unprocessed.
  const stubborn = ['k25', 'k26', 'k27'];
  function twoPagesWithOneStubbornBatch(): void {
    queryAnswersPages(names(100), names(10, 'm'));
    dynamodb.on(BatchWriteItemCommand).callsFake((input) => {
      const requests = input.RequestItems.secrets as WriteRequest[];
      const left = requests.filter((request) =>
        stubborn.includes(request.DeleteRequest?.Key?.sk?.S ?? ''),
      );
      return left.length ? { UnprocessedItems: { secrets: left } } : {};
    });
  }
  const quickRetry = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

  it('with 4 workers: every other batch finishes, and the pages not read are listed', async () => {
    twoPagesWithOneStubbornBatch();
    const error = await purgeNamespace({ ...base, retry: quickRetry }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PurgeIncompleteError);
    expect(error.deleted).toBe(97);
    expect([...error.remainingKeys].sort()).toEqual([...stubborn, ...names(10, 'm')].sort());
    expect(error.remainingKeysComplete).toBe(true);
    expect(error.message).toBe(
      'purge of namespace app:1 deleted 97 secrets, then gave up with 13 left',
    );
  });

  it('with 1 worker: the batches never started are left too', async () => {
    twoPagesWithOneStubbornBatch();
    const error = await purgeNamespace({ ...base, retry: quickRetry, concurrency: 1 }).catch(
      (caught) => caught,
    );
    expect(error.deleted).toBe(47);
    expect([...error.remainingKeys].sort()).toEqual(
      [...stubborn, ...names(100).slice(50), ...names(10, 'm')].sort(),
    );
  });

  it('a batch whose call fails is reported left (it may not have landed), with the cause', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(names(30)) });
    dynamodb
      .on(BatchWriteItemCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('Internal'), { name: 'InternalServerError' }));
    const error = await purgeNamespace({ ...base, concurrency: 1 }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PurgeIncompleteError);
    expect(error.deleted).toBe(25);
    expect(error.remainingKeys).toEqual(names(30).slice(25));
    expect(error.cause).toBeInstanceOf(StorageError);
    expect(error.cause.message).toMatch(/BatchWriteItem .* InternalServerError/);
  });

  it('says when listing what is left failed too', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        Items: keyItems(['a']),
        LastEvaluatedKey: { pk: { S: 'app:1' }, sk: { S: 'a' } },
      })
      .rejects(throttled());
    dynamodb.on(BatchWriteItemCommand).resolves({
      UnprocessedItems: {
        secrets: [{ DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: 'a' } } } }],
      },
    });
    const error = await purgeNamespace({ ...base, retry: quickRetry }).catch((caught) => caught);
    expect(error.remainingKeys).toEqual(['a']);
    expect(error.remainingKeysComplete).toBe(false);
    expect(error.message).toBe(
      'purge of namespace app:1 deleted 0 secrets, then gave up with 1 or more left',
    );
    expect(error.cause.message).toMatch(/ThrottlingException/);
  });
});

describe('purgeWrittenBefore', () => {
  const cutoff = 1_767_225_600_000;
  /** The error of a purge of everything before `cutoff` that sends one request at a time. */
  const purgeOneAtATimeFailing = () =>
    purgeWrittenBefore({ ...base, writtenBefore: cutoff, concurrency: 1 }).catch(
      (caught) => caught,
    );
  const conditionFailed = () =>
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
    });

  const CONDITION =
    'attribute_exists(#key) AND (attribute_not_exists(#updatedAt) OR #updatedAt < :cutoff OR attribute_exists(#expiresAt))';
  const conditionalDelete = (key: string) => ({
    Delete: {
      TableName: 'secrets',
      Key: { pk: { S: 'app:1' }, sk: { S: key } },
      ConditionExpression: CONDITION,
      ExpressionAttributeNames: {
        '#key': 'sk',
        '#updatedAt': 'updatedAt',
        '#expiresAt': 'expiresAt',
      },
      ExpressionAttributeValues: { ':cutoff': { N: String(cutoff) } },
    },
  });
  const transactedKeys = () =>
    dynamodb
      .commandCalls(TransactWriteItemsCommand)
      .map((call) =>
        (call.args[0].input.TransactItems ?? []).map((action) => action.Delete?.Key?.sk?.S),
      );
  const canceled = (codes: string[]) =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

  it('queries keys older than the cutoff (or tombstones) and deletes them under the same condition, 100 a transaction', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems([LIFECYCLE_RECORD_KEY, ...names(250)]) });
    dynamodb.on(TransactWriteItemsCommand).resolves({});
    await expect(purgeWrittenBefore({ ...base, writtenBefore: cutoff })).resolves.toEqual({
      deleted: 250,
      spared: 0,
      complete: true,
    });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#namespace = :namespace',
      FilterExpression:
        '(attribute_not_exists(#updatedAt) OR #updatedAt < :cutoff OR attribute_exists(#expiresAt))',
      ExpressionAttributeNames: {
        '#namespace': 'pk',
        '#key': 'sk',
        '#updatedAt': 'updatedAt',
        '#expiresAt': 'expiresAt',
      },
      ExpressionAttributeValues: { ':namespace': { S: 'app:1' }, ':cutoff': { N: String(cutoff) } },
      ProjectionExpression: '#key, #expiresAt',
      ConsistentRead: true,
    });
    expect(transactedKeys().map((keys) => keys.length)).toEqual([100, 100, 50]);
    expect(dynamodb.commandCalls(TransactWriteItemsCommand)[2]?.args[0].input).toEqual({
      TransactItems: names(250).slice(200).map(conditionalDelete),
    });
    expect(dynamodb).not.toHaveReceivedCommand(BatchWriteItemCommand);
    expect(dynamodb).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('a transaction cancelled by failed conditions is sent again without those keys; they are spared', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(['a', 'b', 'c', 'd']) });
    dynamodb
      .on(TransactWriteItemsCommand)
      .rejectsOnce(canceled(['None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']))
      .resolves({});
    await expect(purgeWrittenBefore({ ...base, writtenBefore: cutoff })).resolves.toEqual({
      deleted: 2,
      spared: 2,
      complete: true,
    });
    expect(transactedKeys()).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'c'],
    ]);
  });

  it('a transaction cancelled by a conflict is sent again whole after a backoff, within the retry budget', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(['a', 'b']) });
    dynamodb.on(TransactWriteItemsCommand).rejects(canceled(['TransactionConflict', 'None']));
    const error = await purgeWrittenBefore({
      ...base,
      writtenBefore: cutoff,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PurgeIncompleteError);
    expect(error.deleted).toBe(0);
    expect(error.remainingKeys).toEqual(['a', 'b']);
    expect(transactedKeys()).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('gives up with an exact PurgeIncompleteError when a transaction fails after the SDK retries', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: keyItems(names(250)) });
    dynamodb.on(TransactWriteItemsCommand).resolvesOnce({}).rejects(throttled());
    const error = await purgeOneAtATimeFailing();
    expect(error).toBeInstanceOf(PurgeIncompleteError);
    expect(error.deleted).toBe(100);
    expect(error.remainingKeys).toEqual(names(250).slice(100));
    expect(error.cause.message).toMatch(
      /TransactWriteItems in namespace app:1: ThrottlingException/,
    );
  });

  describe('on a server without transactions (UnknownOperationException)', () => {
    const unknownOperation = () =>
      Object.assign(new Error('An unknown operation was requested'), {
        name: 'UnknownOperationException',
      });
    /** Keys to delete one by one, each landing but `failing`, whose DeleteItem throws `error`. */
    function deletesOneByOneFailingAt(keys: string[], failing: string, error: Error): void {
      dynamodb.on(QueryCommand).resolves({ Items: keyItems(keys) });
      dynamodb.on(TransactWriteItemsCommand).rejects(unknownOperation());
      dynamodb
        .on(DeleteItemCommand)
        .resolves({})
        .on(DeleteItemCommand, { Key: { pk: { S: 'app:1' }, sk: { S: failing } } })
        .rejects(error);
    }

    it('deletes each key with a DeleteItem under the same condition', async () => {
      dynamodb.on(QueryCommand).resolves({ Items: keyItems(['a', 'b']) });
      dynamodb.on(TransactWriteItemsCommand).rejects(unknownOperation());
      dynamodb.on(DeleteItemCommand).resolves({});
      await expect(purgeWrittenBefore({ ...base, writtenBefore: cutoff })).resolves.toEqual({
        deleted: 2,
        spared: 0,
        complete: true,
      });
      expect(dynamodb).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
      expect(dynamodb).toHaveReceivedCommandWith(DeleteItemCommand, {
        ...conditionalDelete('a').Delete,
      });
    });

    it('spares an item whose condition fails (rewritten since the Query) and counts it', async () => {
      deletesOneByOneFailingAt(['a', 'b', 'c'], 'b', conditionFailed());
      await expect(
        purgeWrittenBefore({ ...base, writtenBefore: cutoff, concurrency: 1 }),
      ).resolves.toEqual({ deleted: 2, spared: 1, complete: true });
    });

    it('gives up with an exact PurgeIncompleteError when a delete fails after the SDK retries', async () => {
      deletesOneByOneFailingAt(names(40), 'k1', throttled());
      const error = await purgeOneAtATimeFailing();
      expect(error).toBeInstanceOf(PurgeIncompleteError);
      // The first 16 go out together; k1 fails among them, and the 24 after them never start.
      expect(error.deleted).toBe(15);
      expect(error.remainingKeys).toEqual(['k1', ...names(40).slice(16)]);
      expect(error.cause.message).toMatch(/DeleteItem in namespace app:1: ThrottlingException/);
    });
  });

  it.each([
    ['not a number', Number.NaN],
    ['a fraction', 1.5],
    ['negative', -1],
  ])('refuses a cutoff that is %s before any call', async (_name, writtenBefore) => {
    const attempt = purgeWrittenBefore({ ...base, writtenBefore });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow(`received ${writtenBefore}`);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
