/**
 * The MemoryTable's operations through the real SDK client: return values, the item in a
 * failed condition, pagination, the 400 KB and 1 MB limits, batches, transactions, key checks.
 * Its expression language has its own file; its schedule hooks too.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryTable } from '@secrets-store/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

type Item = Record<string, AttributeValue>;
const TableName = 'operations';
const key = (sk: string, pk = 'p'): Item => ({ pk: { S: pk }, sk: { S: sk } });

let table: MemoryTable;
let client: ReturnType<MemoryTable['client']>;

beforeEach(() => {
  table = new MemoryTable();
  client = table.client();
});

/** The sort keys of the stored items, read from the table directly. */
function sortKeys(): string[] {
  return table.items(TableName).map((item) => (item.sk as { S: string }).S);
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DynamoDBServiceException);
  return error as Error & Record<string, unknown>;
}

async function validationMessage(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  expect(error.name).toBe('ValidationException');
  return error.message;
}

describe('single-item writes', () => {
  it('PutItem returns the replaced item with ALL_OLD, nothing for a new one', async () => {
    const first = await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...key('a'), v: { N: '1' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(first.Attributes).toBeUndefined();
    const second = await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...key('a'), v: { N: '2' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(second.Attributes).toEqual({ ...key('a'), v: { N: '1' } });
    await validationMessage(
      client.send(new PutItemCommand({ TableName, Item: key('a'), ReturnValues: 'ALL_NEW' })),
    );
  });

  it('a failed condition carries the current item when ReturnValuesOnConditionCheckFailure is ALL_OLD', async () => {
    const stored = { ...key('a'), v: { N: '1' }, b: { B: new Uint8Array([7]) } };
    await client.send(new PutItemCommand({ TableName, Item: stored }));
    const withItem = await rejection(
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key('a'),
          UpdateExpression: 'SET v = :two',
          ConditionExpression: 'v = :zero',
          ExpressionAttributeValues: { ':two': { N: '2' }, ':zero': { N: '0' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(withItem).toBeInstanceOf(ConditionalCheckFailedException);
    expect(withItem.Item).toEqual(stored);
    const without = await rejection(
      client.send(
        new DeleteItemCommand({
          TableName,
          Key: key('a'),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(without).toBeInstanceOf(ConditionalCheckFailedException);
    expect(without.Item).toBeUndefined();
    // No item: nothing to return, even with ALL_OLD.
    const absent = await rejection(
      client.send(
        new PutItemCommand({
          TableName,
          Item: key('b'),
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(absent.Item).toBeUndefined();
    expect((await client.send(new GetItemCommand({ TableName, Key: key('a') }))).Item).toEqual(
      stored,
    );
  });

  it('UpdateItem returns ALL_OLD, ALL_NEW, and whole top-level attributes for UPDATED_*', async () => {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...key('a'), m: { M: { x: { N: '1' }, y: { N: '2' } } }, other: { S: 'o' } },
      }),
    );
    const set = (
      returnValues: 'ALL_OLD' | 'ALL_NEW' | 'UPDATED_OLD' | 'UPDATED_NEW',
      value: string,
    ) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key('a'),
          UpdateExpression: 'SET m.x = :v, fresh = :v',
          ExpressionAttributeValues: { ':v': { N: value } },
          ReturnValues: returnValues,
        }),
      );
    // DynamoDB Local returns the whole top-level attribute of an updated nested path.
    expect((await set('UPDATED_OLD', '5')).Attributes).toEqual({
      m: { M: { x: { N: '1' }, y: { N: '2' } } },
    });
    expect((await set('UPDATED_NEW', '6')).Attributes).toEqual({
      m: { M: { x: { N: '6' }, y: { N: '2' } } },
      fresh: { N: '6' },
    });
    expect((await set('ALL_OLD', '7')).Attributes).toMatchObject({
      other: { S: 'o' },
      fresh: { N: '6' },
    });
    expect((await set('ALL_NEW', '8')).Attributes).toMatchObject({
      other: { S: 'o' },
      fresh: { N: '8' },
    });
  });

  it('DeleteItem of a missing item succeeds and returns nothing', async () => {
    const output = await client.send(
      new DeleteItemCommand({ TableName, Key: key('none'), ReturnValues: 'ALL_OLD' }),
    );
    expect(output.Attributes).toBeUndefined();
  });

  it('stores numbers in canonical form', async () => {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...key('a'), n: { N: '0010.500' }, e: { N: '1.5e3' } },
      }),
    );
    const { Item } = await client.send(new GetItemCommand({ TableName, Key: key('a') }));
    expect([Item?.n, Item?.e]).toEqual([{ N: '10.5' }, { N: '1500' }]);
    expect(
      await validationMessage(
        client.send(
          new PutItemCommand({ TableName, Item: { ...key('a'), n: { N: '1'.repeat(39) } } }),
        ),
      ),
    ).toContain('38 significant digits');
    await validationMessage(
      client.send(new PutItemCommand({ TableName, Item: { ...key('a'), n: { N: 'NaN' } } })),
    );
  });

  it('GetItem projects nested paths and list elements', async () => {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: {
          ...key('a'),
          l: { L: [{ S: 'l0' }, { S: 'l1' }, { M: { deep: { S: 'd' }, other: { S: 'o' } } }] },
          m: { M: { x: { N: '1' }, y: { N: '2' } } },
        },
      }),
    );
    const { Item } = await client.send(
      new GetItemCommand({
        TableName,
        Key: key('a'),
        ProjectionExpression: 'l[2].deep, l[0], m.y, nope',
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual({
      l: { L: [{ S: 'l0' }, { M: { deep: { S: 'd' } } }] },
      m: { M: { y: { N: '2' } } },
    });
    await validationMessage(
      client.send(new GetItemCommand({ TableName, Key: key('a'), ProjectionExpression: 'm, m.y' })),
    );
  });
});

describe('keys and tables', () => {
  it('refuses keys that do not match the schema', async () => {
    for (const Key of [
      { pk: { S: 'p' } },
      { pk: { S: 'p' }, sk: { N: '1' } },
      { pk: { S: 'p' }, sk: { S: 's' }, extra: { S: 'x' } },
      { pk: { S: '' }, sk: { S: 's' } },
      { pk: { S: 'p' }, sk: { S: 'x'.repeat(1025) } },
    ] as Item[]) {
      await validationMessage(client.send(new GetItemCommand({ TableName, Key })));
    }
    expect(
      await validationMessage(
        client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'p' } } })),
      ),
    ).toContain('Missing the key sk');
  });

  it('answers ResourceNotFoundException for a table it was not given', async () => {
    const declared = new MemoryTable({ tableNames: ['known'] }).client();
    await declared.send(new PutItemCommand({ TableName: 'known', Item: key('a') }));
    const error = await rejection(
      declared.send(new GetItemCommand({ TableName: 'unknown', Key: key('a') })),
    );
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses the legacy pre-expression parameters instead of ignoring them', async () => {
    const message = await validationMessage(
      client.send(new GetItemCommand({ TableName, Key: key('a'), AttributesToGet: ['v'] })),
    );
    expect(message).toContain('AttributesToGet');
  });

  it('answers UnknownOperationException for an operation it does not implement', async () => {
    await expect(table.send('DescribeTable', { TableName })).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });
});

describe('the 400 KB item limit, attribute names included', () => {
  // pk (2 + 1 bytes), sk (2 + 1), the attribute's name (7): the rest of 409,600 is the value.
  const largest = 409_600 - 3 - 3 - 7;

  it('accepts an item of exactly 400 KB and refuses one byte more', async () => {
    await client.send(
      new PutItemCommand({ TableName, Item: { ...key('a'), padding: { S: 'x'.repeat(largest) } } }),
    );
    expect(
      await validationMessage(
        client.send(
          new PutItemCommand({
            TableName,
            Item: { ...key('b'), padding: { S: 'x'.repeat(largest + 1) } },
          }),
        ),
      ),
    ).toBe('Item size has exceeded the maximum allowed size');
  });

  it('counts nested map names, list overhead, numbers by digits, binary by bytes', async () => {
    // M: 3 + name (1) + 1 + value; L: 3 + 1 + value; N '12345' = 3 + 1; B of 10 bytes = 10.
    const nested = { M: { k: { L: [{ N: '12345' }, { B: new Uint8Array(10) }] } } };
    const nestedBytes = 3 + 1 + 1 + (3 + (1 + 4) + (1 + 10));
    const padding = largest - nestedBytes - 1; // 'n' is the nested attribute's name
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...key('a'), padding: { S: 'x'.repeat(padding) }, n: nested },
      }),
    );
    await validationMessage(
      client.send(
        new PutItemCommand({
          TableName,
          Item: { ...key('a'), padding: { S: 'x'.repeat(padding + 1) }, n: nested },
        }),
      ),
    );
  });

  it('refuses an update that would grow the item past the limit, and keeps the item', async () => {
    await client.send(
      new PutItemCommand({ TableName, Item: { ...key('a'), padding: { S: 'x'.repeat(largest) } } }),
    );
    const message = await validationMessage(
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key('a'),
          UpdateExpression: 'SET y = :y',
          ExpressionAttributeValues: { ':y': { S: 'y' } },
        }),
      ),
    );
    expect(message).toBe('Item size to update has exceeded the maximum allowed size');
    expect(
      (await client.send(new GetItemCommand({ TableName, Key: key('a') }))).Item?.y,
    ).toBeUndefined();
  });
});

describe('Query', () => {
  async function putKeys(count: number, padding = 0): Promise<void> {
    for (let index = 0; index < count; index++) {
      await client.send(
        new PutItemCommand({
          TableName,
          Item: {
            ...key(`k${String(index).padStart(2, '0')}`),
            n: { N: String(index) },
            pad: { S: 'x'.repeat(padding) },
          },
        }),
      );
    }
    await client.send(new PutItemCommand({ TableName, Item: key('other', 'another partition') }));
  }

  async function allPages(input: Partial<ConstructorParameters<typeof QueryCommand>[0]>) {
    const pages: { keys: string[]; last?: string; scanned?: number }[] = [];
    let start: Item | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ...input,
          ExpressionAttributeValues: { ':p': { S: 'p' }, ...input.ExpressionAttributeValues },
          ...(start ? { ExclusiveStartKey: start } : {}),
        } as ConstructorParameters<typeof QueryCommand>[0]),
      );
      pages.push({
        keys: (page.Items ?? []).map((item) => item.sk?.S as string),
        ...(page.LastEvaluatedKey ? { last: page.LastEvaluatedKey.sk?.S } : {}),
        scanned: page.ScannedCount,
      });
      start = page.LastEvaluatedKey;
    } while (start);
    return pages;
  }

  it('pages by Limit in sort key order, each item once; a full last page still has a LastEvaluatedKey', async () => {
    await putKeys(6);
    expect(await allPages({ Limit: 3, ProjectionExpression: 'sk' })).toEqual([
      { keys: ['k00', 'k01', 'k02'], last: 'k02', scanned: 3 },
      { keys: ['k03', 'k04', 'k05'], last: 'k05', scanned: 3 },
      { keys: [], scanned: 0 },
    ]);
  });

  it('pages backwards with ScanIndexForward false', async () => {
    await putKeys(5);
    const pages = await allPages({ Limit: 2, ScanIndexForward: false });
    expect(pages.flatMap((page) => page.keys)).toEqual(['k04', 'k03', 'k02', 'k01', 'k00']);
  });

  it('applies Limit before the filter, as DynamoDB does', async () => {
    await putKeys(6);
    const pages = await allPages({
      Limit: 4,
      FilterExpression: 'n >= :three',
      ExpressionAttributeValues: { ':three': { N: '3' } },
    });
    expect(pages).toEqual([
      { keys: ['k03'], last: 'k03', scanned: 4 },
      { keys: ['k04', 'k05'], scanned: 2 },
    ]);
  });

  it('stops a page once it has read 1 MB, the item that crosses it included', async () => {
    await putKeys(6, 300_000);
    const pages = await allPages({ Select: 'COUNT' });
    // 4 items of ~300 KB cross 1 MB (1,048,576 bytes).
    expect(pages.map((page) => [page.scanned, page.last])).toEqual([
      [4, 'k03'],
      [2, undefined],
    ]);
  });

  it('narrows by sort key with comparisons, BETWEEN and begins_with', async () => {
    await putKeys(12);
    const keys = async (condition: string, values: Item) =>
      (
        await allPages({
          KeyConditionExpression: `pk = :p AND ${condition}`,
          ExpressionAttributeValues: values,
        })
      ).flatMap((page) => page.keys);
    expect(await keys('sk BETWEEN :a AND :b', { ':a': { S: 'k03' }, ':b': { S: 'k05' } })).toEqual([
      'k03',
      'k04',
      'k05',
    ]);
    expect(await keys('begins_with(sk, :p1)', { ':p1': { S: 'k1' } })).toEqual(['k10', 'k11']);
    expect(await keys('sk >= :a', { ':a': { S: 'k10' } })).toEqual(['k10', 'k11']);
    expect(await keys(':a > sk', { ':a': { S: 'k01' } })).toEqual(['k00']);
  });

  it('refuses key conditions DynamoDB refuses', async () => {
    const query = (condition: string, values: Item) =>
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
    await validationMessage(query('sk = :s', { ':s': { S: 's' } }));
    await validationMessage(query('pk = :p AND sk <> :s', { ':p': { S: 'p' }, ':s': { S: 's' } }));
    await validationMessage(query('pk = :p OR sk = :s', { ':p': { S: 'p' }, ':s': { S: 's' } }));
    await validationMessage(query('pk = :p AND n = :n', { ':p': { S: 'p' }, ':n': { N: '1' } }));
    await validationMessage(query('pk = :p', { ':p': { N: '1' } }));
    await validationMessage(
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'p' } },
          ExclusiveStartKey: key('x', 'elsewhere'),
        }),
      ),
    );
  });
});

describe('Scan', () => {
  async function putItems(keys: readonly [pk: string, sk: string][], padding = 0): Promise<void> {
    for (const [index, [pk, sk]] of keys.entries()) {
      await client.send(
        new PutItemCommand({
          TableName,
          Item: { ...key(sk, pk), n: { N: String(index) }, pad: { S: 'x'.repeat(padding) } },
        }),
      );
    }
  }

  async function allPages(input: Partial<ConstructorParameters<typeof ScanCommand>[0]>) {
    const pages: { keys: string[]; last?: string; scanned?: number; count?: number }[] = [];
    let start: Item | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      pages.push({
        keys: (page.Items ?? []).map((item) => `${item.pk?.S}/${item.sk?.S}`),
        ...(page.LastEvaluatedKey
          ? { last: `${page.LastEvaluatedKey.pk?.S}/${page.LastEvaluatedKey.sk?.S}` }
          : {}),
        scanned: page.ScannedCount,
        count: page.Count,
      });
      start = page.LastEvaluatedKey;
    } while (start);
    return pages;
  }

  const fiveItems: [string, string][] = [
    ['b', 'k1'],
    ['a', 'k2'],
    ['b', 'k0'],
    ['a', 'k1'],
    ['c', 'k0'],
  ];

  it('pages by Limit across partitions, each item once; a full last page still has a LastEvaluatedKey', async () => {
    await putItems(fiveItems);
    expect(await allPages({ Limit: 2 })).toEqual([
      { keys: ['a/k1', 'a/k2'], last: 'a/k2', scanned: 2, count: 2 },
      { keys: ['b/k0', 'b/k1'], last: 'b/k1', scanned: 2, count: 2 },
      { keys: ['c/k0'], scanned: 1, count: 1 },
    ]);
    expect((await allPages({ Limit: 5 })).map((page) => page.keys.length)).toEqual([5, 0]);
  });

  it('projects with ProjectionExpression and names', async () => {
    await putItems(fiveItems);
    const { Items } = await client.send(
      new ScanCommand({
        TableName,
        ProjectionExpression: '#namespace',
        ExpressionAttributeNames: { '#namespace': 'pk' },
      }),
    );
    expect(Items).toEqual(['a', 'a', 'b', 'b', 'c'].map((pk) => ({ pk: { S: pk } })));
  });

  it('applies Limit before the filter, and the filter may name key attributes', async () => {
    await putItems(fiveItems);
    const pages = await allPages({
      Limit: 3,
      FilterExpression: 'sk = :k1',
      ExpressionAttributeValues: { ':k1': { S: 'k1' } },
    });
    expect(pages).toEqual([
      { keys: ['a/k1'], last: 'b/k0', scanned: 3, count: 1 },
      { keys: ['b/k1'], scanned: 2, count: 1 },
    ]);
  });

  it('stops a page once it has read 1 MB, the item that crosses it included', async () => {
    await putItems(
      Array.from({ length: 6 }, (_, index): [string, string] => [`p${index % 2}`, `k${index}`]),
      300_000,
    );
    const pages = await allPages({ Select: 'COUNT' });
    expect(pages.map((page) => [page.scanned, page.count, page.last])).toEqual([
      [4, 4, 'p1/k1'],
      [2, 2, undefined],
    ]);
  });

  it('resumes after an ExclusiveStartKey that no longer exists', async () => {
    await putItems(fiveItems);
    const { Items } = await client.send(
      new ScanCommand({ TableName, ExclusiveStartKey: key('k3', 'a') }),
    );
    expect(Items?.map((item) => `${item.pk?.S}/${item.sk?.S}`)).toEqual(['b/k0', 'b/k1', 'c/k0']);
  });

  it('answers an empty page for an empty table', async () => {
    expect(await allPages({})).toEqual([{ keys: [], scanned: 0, count: 0 }]);
  });

  it('refuses what DynamoDB refuses, and parallel scans it does not implement', async () => {
    await validationMessage(client.send(new ScanCommand({ TableName, Limit: 0 })));
    await validationMessage(
      client.send(new ScanCommand({ TableName, Select: 'COUNT', ProjectionExpression: 'pk' })),
    );
    await validationMessage(
      client.send(new ScanCommand({ TableName, ExclusiveStartKey: { pk: { S: 'a' } } })),
    );
    expect(
      await validationMessage(
        client.send(new ScanCommand({ TableName, Segment: 0, TotalSegments: 2 })),
      ),
    ).toMatch(/parallel scans/);
  });
});

describe('batches', () => {
  const put = (sk: string) => ({ PutRequest: { Item: { ...key(sk), v: { S: sk } } } });

  it('BatchWriteItem applies up to 25 puts and deletes and refuses 26', async () => {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TableName]: Array.from({ length: 25 }, (_, i) => put(`b${i}`)) },
      }),
    );
    expect(table.items(TableName)).toHaveLength(25);
    await validationMessage(
      client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: Array.from({ length: 26 }, (_, i) => put(`c${i}`)) },
        }),
      ),
    );
    const output = await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TableName]: [{ DeleteRequest: { Key: key('b0') } }, put('new')] },
      }),
    );
    expect(output.UnprocessedItems).toEqual({});
    expect(sortKeys()).toContain('new');
    expect(sortKeys()).not.toContain('b0');
  });

  it('refuses duplicate keys in one batch, applying none of it', async () => {
    const message = await validationMessage(
      client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: [put('a'), { DeleteRequest: { Key: key('a') } }] },
        }),
      ),
    );
    expect(message).toBe('Provided list of item keys contains duplicates');
    expect(table.items(TableName)).toEqual([]);
  });

  it('BatchGetItem returns the items that exist, projected, and refuses duplicates', async () => {
    await client.send(
      new BatchWriteItemCommand({ RequestItems: { [TableName]: [put('a'), put('b')] } }),
    );
    const output = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [TableName]: { Keys: [key('a'), key('b'), key('none')], ProjectionExpression: 'v' },
        },
      }),
    );
    expect(output.Responses?.[TableName]).toEqual([{ v: { S: 'a' } }, { v: { S: 'b' } }]);
    await validationMessage(
      client.send(
        new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key('a'), key('a')] } } }),
      ),
    );
  });
});

describe('TransactWriteItems', () => {
  const increment = (sk: string, expected: string) => ({
    Update: {
      TableName,
      Key: key(sk),
      UpdateExpression: 'SET v = v + :one',
      ConditionExpression: 'v = :expected',
      ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: expected } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  });

  beforeEach(async () => {
    await client.send(new PutItemCommand({ TableName, Item: { ...key('a'), v: { N: '1' } } }));
  });

  it('applies every action or none, with one cancellation reason per action', async () => {
    const error = await rejection(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { ...key('b'), v: { N: '1' } } } },
            increment('a', '5'),
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { ...key('a'), v: { N: '1' } },
      },
    ]);
    expect(sortKeys()).toEqual(['a']);

    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { ...key('b'), v: { N: '1' } } } },
          increment('a', '1'),
        ],
      }),
    );
    expect(table.items(TableName).map((item) => item.v)).toEqual([{ N: '2' }, { N: '1' }]);
  });

  it('refuses two actions on one item', async () => {
    const message = await validationMessage(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            increment('a', '1'),
            {
              ConditionCheck: {
                TableName,
                Key: key('a'),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      ),
    );
    expect(message).toBe('Transaction request cannot include multiple operations on one item');
  });

  it('a repeated ClientRequestToken is applied once; with other parameters it is refused', async () => {
    const request = { TransactItems: [increment('a', '1')], ClientRequestToken: 'token-1' };
    await client.send(new TransactWriteItemsCommand(request));
    await client.send(new TransactWriteItemsCommand(request));
    expect(table.items(TableName)[0]?.v).toEqual({ N: '2' });
    const error = await rejection(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [increment('a', '2')],
          ClientRequestToken: 'token-1',
        }),
      ),
    );
    expect(error.name).toBe('IdempotentParameterMismatchException');
  });
});
