/**
 * The MemoryTable's schedule hooks, through the real SDK client and its retry strategy: each
 * test forces one interleaving and asserts its exact outcome.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryTable, type RequestInput } from '@secrets-store/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

const TableName = 'hooks';
const key = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk } });
const createOnly = (sk: string, value: string) =>
  new PutItemCommand({
    TableName,
    Item: { ...key(sk), v: { S: value } },
    ConditionExpression: 'attribute_not_exists(pk)',
  });

let table: MemoryTable;
let client: ReturnType<MemoryTable['client']>;

beforeEach(() => {
  table = new MemoryTable();
  client = table.client();
});

async function storedValue(sk: string): Promise<string | undefined> {
  return (await client.send(new GetItemCommand({ TableName, Key: key(sk) }))).Item?.v?.S;
}

const operations = () => table.requests.map((request) => request.operation);

describe("the caller's abortSignal, as the Node HTTP handler honours it", () => {
  it('a request aborted while paused: the client gets AbortError at once; released, it is applied', async () => {
    const paused = table.pauseNext('PutItem');
    const controller = new AbortController();
    const reason = new Error('gave up');
    const put = client
      .send(createOnly('a', 'sent'), { abortSignal: controller.signal })
      .catch((error: unknown) => error);
    await paused.reached;
    controller.abort(reason);
    expect(await put).toMatchObject({ name: 'AbortError', cause: reason });
    expect(await storedValue('a')).toBeUndefined();
    paused.release();
    // Over a network too, the client stopping to listen does not stop the server.
    await expect.poll(() => storedValue('a')).toBe('sent');
  });

  it('a signal aborted before sending: nothing reaches the table', async () => {
    const put = client
      .send(createOnly('a', 'late'), { abortSignal: AbortSignal.abort() })
      .catch((error: unknown) => error);
    expect(await put).toMatchObject({ name: 'AbortError' });
    expect(operations()).toEqual([]);
  });
});

describe('pauseNext', () => {
  it('holds the request before it is applied, so a rival write lands first', async () => {
    const paused = table.pauseNext('PutItem');
    const first = client.send(createOnly('a', 'first'));
    const input = await paused.reached;
    expect(input).toMatchObject({ TableName, Item: { v: { S: 'first' } } });
    await client.send(createOnly('a', 'rival'));
    paused.release();
    await expect(first).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await storedValue('a')).toBe('rival');
  });

  it('waits only for a request that matches its predicate', async () => {
    const paused = table.pauseNext(
      'PutItem',
      (input) => (input.Item as { v: { S: string } }).v.S === 'second',
    );
    await client.send(createOnly('a', 'first'));
    const second = client.send(createOnly('b', 'second'));
    await paused.reached;
    expect(await storedValue('b')).toBeUndefined();
    paused.release();
    await second;
    expect(await storedValue('b')).toBe('second');
    expect(table.pendingHooks).toBe(0);
  });
});

describe('loseResponseOfNext', () => {
  it('applies the request, drops its response, and the SDK re-sends the same request', async () => {
    table.loseResponseOfNext('PutItem');
    const error = await client.send(createOnly('a', 'once')).catch((reason: unknown) => reason);
    // The re-sent copy meets the item its first copy wrote.
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).$metadata.attempts).toBe(2);
    expect(operations()).toEqual(['PutItem', 'PutItem']);
    expect(table.requests[0]?.input).toEqual(table.requests[1]?.input);
    expect(await storedValue('a')).toBe('once');
  });

  it('runs onLost between the applied copy and the re-sent one', async () => {
    const seen: RequestInput[] = [];
    table.loseResponseOfNext('UpdateItem', undefined, {
      onLost: async (input) => {
        seen.push(input);
        await client.send(
          new PutItemCommand({ TableName, Item: { ...key('a'), v: { S: 'rival' } } }),
        );
      },
    });
    const output = await client.send(
      new UpdateItemCommand({
        TableName,
        Key: key('a'),
        UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(seen).toHaveLength(1);
    expect(operations()).toEqual(['UpdateItem', 'PutItem', 'UpdateItem']);
    // The re-sent update applied on top of the rival's item: applied twice in all, once visibly.
    expect(output.Attributes).toMatchObject({ v: { S: 'rival' }, n: { N: '1' } });
    expect(output.$metadata.attempts).toBe(2);
  });

  it('loses as many responses as asked; past the SDK attempts the caller sees the reset', async () => {
    const oneRetry = table.client({ maxAttempts: 2 });
    table.loseResponseOfNext('PutItem', undefined, { times: 2 });
    const error = await oneRetry
      .send(new PutItemCommand({ TableName, Item: { ...key('a'), v: { S: 'x' } } }))
      .catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ECONNRESET', $metadata: { attempts: 2 } });
    expect(operations()).toEqual(['PutItem', 'PutItem']);
    expect(await storedValue('a')).toBe('x');
  });

  it('a re-sent transaction is not applied twice: the SDK repeats its ClientRequestToken', async () => {
    await client.send(new PutItemCommand({ TableName, Item: { ...key('a'), n: { N: '0' } } }));
    table.loseResponseOfNext('TransactWriteItems');
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName,
              Key: key('a'),
              UpdateExpression: 'SET n = n + :one',
              ExpressionAttributeValues: { ':one': { N: '1' } },
            },
          },
        ],
      }),
    );
    expect(operations().filter((operation) => operation === 'TransactWriteItems')).toHaveLength(2);
    expect(table.items(TableName)[0]?.n).toEqual({ N: '1' });
  });
});

describe('failNext', () => {
  it('answers a retryable error without applying; the SDK retries and the write lands once', async () => {
    table.failNext('PutItem', 'InternalServerError');
    const output = await client.send(
      new PutItemCommand({ TableName, Item: { ...key('a'), v: { S: 'x' } } }),
    );
    expect(output.$metadata.attempts).toBe(2);
    expect(operations()).toEqual(['PutItem', 'PutItem']);
  });

  it('the SDK error class reaches the caller when attempts run out', async () => {
    const single = table.client({ maxAttempts: 1 });
    table.failNext('PutItem', 'ProvisionedThroughputExceededException', undefined, { times: 1 });
    const error = await single
      .send(new PutItemCommand({ TableName, Item: { ...key('a'), v: { S: 'x' } } }))
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(await storedValue('a')).toBeUndefined();
  });

  it('only fails requests that match its operation and predicate', async () => {
    const single = table.client({ maxAttempts: 1 });
    table.failNext(
      'PutItem',
      'ThrottlingException',
      (input) => (input.Item as { sk: { S: string } }).sk.S === 'b',
    );
    await single.send(new PutItemCommand({ TableName, Item: key('a') }));
    await single.send(new GetItemCommand({ TableName, Key: key('b') }));
    await expect(
      single.send(new PutItemCommand({ TableName, Item: key('b') })),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});

describe('leaveUnprocessedInNext', () => {
  it('hands back the last requests of a batch unprocessed, and applies the rest', async () => {
    table.leaveUnprocessedInNext(2);
    const output = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TableName]: ['a', 'b', 'c'].map((sk) => ({ PutRequest: { Item: key(sk) } })),
        },
      }),
    );
    expect(
      output.UnprocessedItems?.[TableName]?.map((request) => request.PutRequest?.Item?.sk?.S),
    ).toEqual(['b', 'c']);
    expect(table.items(TableName).map((item) => (item.sk as { S: string }).S)).toEqual(['a']);
  });

  it("with { operation: 'BatchGetItem' }: the last keys of a read come back as UnprocessedKeys, with the request's settings", async () => {
    for (const sk of ['a', 'b', 'c']) {
      await client.send(new PutItemCommand({ TableName, Item: { ...key(sk), v: { S: sk } } }));
    }
    table.leaveUnprocessedInNext(2, undefined, { operation: 'BatchGetItem' });
    const read = () =>
      client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [TableName]: {
              Keys: ['a', 'b', 'c'].map((sk) => key(sk)),
              ConsistentRead: true,
              ProjectionExpression: 'sk',
            },
          },
        }),
      );
    const first = await read();
    expect(first.Responses?.[TableName]).toEqual([{ sk: { S: 'a' } }]);
    expect(first.UnprocessedKeys).toEqual({
      [TableName]: { Keys: [key('b'), key('c')], ConsistentRead: true, ProjectionExpression: 'sk' },
    });
    const second = await read();
    expect(second.Responses?.[TableName]).toHaveLength(3);
    expect(second.UnprocessedKeys).toEqual({});
  });
});

describe('requests and reset', () => {
  it('logs every request with its input, and reset forgets items, requests and hooks', async () => {
    await client.send(new PutItemCommand({ TableName, Item: key('a') }));
    await client.send(new GetItemCommand({ TableName, Key: key('a') }));
    expect(table.requests).toEqual([
      { operation: 'PutItem', input: { TableName, Item: key('a') } },
      { operation: 'GetItem', input: { TableName, Key: key('a') } },
    ]);
    table.failNext('GetItem', 'InternalServerError');
    table.reset();
    expect(table.requests).toEqual([]);
    expect(table.pendingHooks).toBe(0);
    expect(table.items(TableName)).toEqual([]);
  });

  it('hook options are checked', () => {
    expect(() => table.loseResponseOfNext('PutItem', undefined, { times: 0 })).toThrow(RangeError);
    expect(() => table.leaveUnprocessedInNext(0)).toThrow(RangeError);
  });
});
