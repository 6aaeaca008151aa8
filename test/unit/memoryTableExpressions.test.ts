/**
 * The MemoryTable's expression language, through the real SDK client: conditions (functions,
 * comparisons, DynamoDB's precedence), update actions (operands read before the update),
 * and the requests DynamoDB refuses.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryTable } from '@secrets-store/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

type Item = Record<string, AttributeValue>;
const TableName = 'expressions';
const Key: Item = { pk: { S: 'p' }, sk: { S: 's' } };

let client: ReturnType<MemoryTable['client']>;

beforeEach(() => {
  client = new MemoryTable().client();
});

const sample: Item = {
  ...Key,
  s: { S: 'text' },
  n: { N: '10.5' },
  b: { B: new Uint8Array([1, 2, 3]) },
  t: { BOOL: true },
  z: { NULL: true },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2.5'] },
  bs: { BS: [new Uint8Array([9])] },
  l: { L: [{ S: 'zero' }, { N: '1' }] },
  m: { M: { x: { N: '1' }, y: { L: [{ S: 'y0' }] } } },
};

async function putSample(): Promise<void> {
  await client.send(new PutItemCommand({ TableName, Item: sample }));
}

/** Whether `condition` holds on the sample item (a conditional put that changes nothing). */
async function holds(condition: string, values?: Item, names?: Record<string, string>) {
  try {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: sample,
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
        ...(names ? { ExpressionAttributeNames: names } : {}),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

async function update(
  expression: string,
  values?: Item,
  names?: Record<string, string>,
): Promise<Item> {
  const output = await client.send(
    new UpdateItemCommand({
      TableName,
      Key,
      UpdateExpression: expression,
      ReturnValues: 'ALL_NEW',
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ...(names ? { ExpressionAttributeNames: names } : {}),
    }),
  );
  return output.Attributes ?? {};
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  // The SDK has no class of its own for ValidationException: its base class, with the name.
  expect(error).toBeInstanceOf(DynamoDBServiceException);
  expect((error as Error).name).toBe('ValidationException');
  return (error as Error).message;
}

describe('condition expressions', () => {
  beforeEach(putSample);

  it('AND binds tighter than OR', async () => {
    const values = { ':yes': { S: 'text' }, ':no': { S: 'other' } };
    // true OR (false AND false)
    expect(await holds('s = :yes OR s = :no AND s = :no', values)).toBe(true);
    // (true OR false) AND false
    expect(await holds('(s = :yes OR s = :no) AND s = :no', values)).toBe(false);
  });

  it('NOT binds tighter than AND, and parentheses regroup', async () => {
    const values = { ':yes': { S: 'text' }, ':no': { S: 'other' } };
    // (NOT false) AND true
    expect(await holds('NOT s = :no AND s = :yes', values)).toBe(true);
    // NOT (true AND true)
    expect(await holds('NOT (s = :yes AND s <> :no)', values)).toBe(false);
    expect(await holds('NOT NOT s = :yes', { ':yes': { S: 'text' } })).toBe(true);
  });

  it('BETWEEN takes its own AND inside a chain of ANDs', async () => {
    const values = { ':low': { N: '10' }, ':high': { N: '11' }, ':s': { S: 'text' } };
    expect(await holds('n BETWEEN :low AND :high AND s = :s', values)).toBe(true);
    expect(await holds('n BETWEEN :high AND :high', { ':high': { N: '11' } })).toBe(false);
  });

  it('compares numbers by value, strings by UTF-8 bytes, binary by bytes', async () => {
    expect(await holds('n = :v', { ':v': { N: '10.50' } })).toBe(true);
    expect(await holds('n < :v', { ':v': { N: '9.99999999999999999999999999999' } })).toBe(false);
    expect(await holds('s > :v', { ':v': { S: 'tex' } })).toBe(true);
    expect(await holds('b < :v', { ':v': { B: new Uint8Array([1, 2, 4]) } })).toBe(true);
    // U+FFFF sorts before U+10000 in UTF-8; in UTF-16 it would sort after.
    await client.send(new PutItemCommand({ TableName, Item: { ...Key, u: { S: '\uffff' } } }));
    const before = await client.send(
      new PutItemCommand({
        TableName,
        Item: { ...Key, u: { S: '\uffff' } },
        ConditionExpression: 'u < :v',
        ExpressionAttributeValues: { ':v': { S: '\u{10000}' } },
      }),
    );
    expect(before.$metadata.httpStatusCode).toBe(200);
  });

  it('an ordering of values of different types is false, and <> of a absent attribute is true', async () => {
    expect(await holds('s < :v', { ':v': { N: '1' } })).toBe(false);
    expect(await holds('s >= :v', { ':v': { N: '1' } })).toBe(false);
    expect(await holds('absent <> :v', { ':v': { S: 'x' } })).toBe(true);
    expect(await holds('absent = :v', { ':v': { S: 'x' } })).toBe(false);
    expect(await holds('s <> :v', { ':v': { S: 'text' } })).toBe(false);
  });

  it('IN matches any listed value', async () => {
    const values = { ':a': { S: 'x' }, ':b': { N: '10.5' }, ':c': { S: 'text' } };
    expect(await holds('s IN (:a, :b, :c)', values)).toBe(true);
    expect(await holds('s IN (:a, :b)', { ':a': { S: 'x' }, ':b': { N: '10.5' } })).toBe(false);
  });

  it('attribute_exists and attribute_not_exists follow nested paths', async () => {
    expect(await holds('attribute_exists(m.y[0]) AND attribute_not_exists(m.y[1])')).toBe(true);
    expect(await holds('attribute_exists(l[2])')).toBe(false);
    expect(await holds('attribute_not_exists(pk)')).toBe(false);
  });

  it('attribute_type knows every type', async () => {
    const types: [string, string][] = [
      ['s', 'S'],
      ['n', 'N'],
      ['b', 'B'],
      ['t', 'BOOL'],
      ['z', 'NULL'],
      ['ss', 'SS'],
      ['ns', 'NS'],
      ['bs', 'BS'],
      ['l', 'L'],
      ['m', 'M'],
    ];
    for (const [name, type] of types) {
      expect(await holds(`attribute_type(${name}, :t)`, { ':t': { S: type } })).toBe(true);
      expect(
        await holds(`attribute_type(${name}, :t)`, { ':t': { S: type === 'S' ? 'N' : 'S' } }),
      ).toBe(false);
    }
    await refused(holds('attribute_type(s, :t)', { ':t': { S: 'STRING' } }));
  });

  it('begins_with works on strings and binary', async () => {
    expect(await holds('begins_with(s, :p)', { ':p': { S: 'te' } })).toBe(true);
    expect(await holds('begins_with(s, :p)', { ':p': { S: 'ext' } })).toBe(false);
    expect(await holds('begins_with(b, :p)', { ':p': { B: new Uint8Array([1, 2]) } })).toBe(true);
    expect(await holds('begins_with(n, :p)', { ':p': { S: '1' } })).toBe(false);
  });

  it('contains finds substrings, set members (numbers by value) and list elements', async () => {
    expect(await holds('contains(s, :v)', { ':v': { S: 'ex' } })).toBe(true);
    expect(await holds('contains(ss, :v)', { ':v': { S: 'b' } })).toBe(true);
    expect(await holds('contains(ss, :v)', { ':v': { S: 'c' } })).toBe(false);
    expect(await holds('contains(ns, :v)', { ':v': { N: '2.50' } })).toBe(true);
    expect(await holds('contains(bs, :v)', { ':v': { B: new Uint8Array([9]) } })).toBe(true);
    expect(await holds('contains(l, :v)', { ':v': { N: '1' } })).toBe(true);
  });

  it('size counts characters, bytes, members, elements and map entries', async () => {
    const three = { ':n': { N: '3' } };
    expect(await holds('size(s) > :n', three)).toBe(true);
    expect(await holds('size(b) = :n', three)).toBe(true);
    expect(await holds('size(ss) = :n', { ':n': { N: '2' } })).toBe(true);
    expect(await holds('size(l) = :n', { ':n': { N: '2' } })).toBe(true);
    expect(await holds('size(m) = :n', { ':n': { N: '2' } })).toBe(true);
    expect(await holds('size(absent) = :n', three)).toBe(false);
  });

  it('#names stand for attribute names, including reserved words', async () => {
    expect(await holds('#size = :v', { ':v': { S: 'text' } }, { '#size': 's' })).toBe(true);
    expect(await holds('attribute_exists(#name)', undefined, { '#name': 'name' })).toBe(false);
    expect(await holds('attribute_exists(#n.#x)', undefined, { '#n': 'm', '#x': 'x' })).toBe(true);
  });

  it('refuses what DynamoDB refuses, before evaluating anything', async () => {
    const value = { ':v': { S: 'x' } };
    expect(await refused(holds('name = :v', value))).toContain('reserved keyword: name');
    expect(await refused(holds('s = :v AND (s = :v', value))).toContain('Syntax error');
    expect(await refused(holds('s = :undefined', value))).toContain('not defined');
    expect(await refused(holds('#undefined = :v', value))).toContain('not defined');
    expect(await refused(holds('s = :v', { ...value, ':unused': { S: 'u' } }))).toContain(
      'unused in expressions: keys: {:unused}',
    );
    expect(await refused(holds('s = :v', value, { '#unused': 'x' }))).toContain('#unused');
    expect(await refused(holds('no_such_function(s)'))).toContain('Invalid function name');
    expect(await refused(holds('if_not_exists(s, :v)', value))).toContain('if_not_exists');
    expect(await refused(holds('begins_with(s)'))).toContain('number of operands: 1');
    expect(await refused(holds('s < :v', { ':v': { SS: ['a'] } }))).toContain('operand type: SS');
    expect(
      await refused(holds('n BETWEEN :b AND :a', { ':a': { N: '1' }, ':b': { N: '2' } })),
    ).toContain('upper bound');
    expect(await refused(holds('   '))).toContain('can not be empty');
    expect(await refused(holds(`s = :v${' '.repeat(4096)}`, value))).toContain(
      'maximum allowed size',
    );
  });

  it('refuses expression names or values in a request without expressions', async () => {
    const message = await refused(
      client.send(
        new PutItemCommand({
          TableName,
          Item: sample,
          ExpressionAttributeValues: { ':v': { S: 'x' } },
        }),
      ),
    );
    expect(message).toBe('ExpressionAttributeValues can only be specified when using expressions');
  });
});

describe('update expressions', () => {
  beforeEach(putSample);

  it('reads every operand from the item as it was before the update', async () => {
    await update('SET w1 = :first', { ':first': { S: 'first' } });
    const item = await update('SET w2 = w1, w1 = :second', { ':second': { S: 'second' } });
    expect(item.w1).toEqual({ S: 'second' });
    expect(item.w2).toEqual({ S: 'first' });
    // an operand written later in the same expression still reads the old value
    const swapped = await update('SET w1 = w2, w2 = w1');
    expect([swapped.w1, swapped.w2]).toEqual([{ S: 'first' }, { S: 'second' }]);
  });

  it('adds and subtracts numbers exactly, to 38 digits', async () => {
    await update('SET a = :x', { ':x': { N: '0.1' } });
    expect((await update('SET a = a + :y', { ':y': { N: '0.2' } })).a).toEqual({ N: '0.3' });
    await update('SET big = :big', { ':big': { N: '99999999999999999999999999999999999999' } });
    expect((await update('SET big = big - :one', { ':one': { N: '1' } })).big).toEqual({
      N: '99999999999999999999999999999999999998',
    });
    await refused(update('SET big = big + :tiny', { ':tiny': { N: '0.1' } }));
  });

  it('if_not_exists keeps an existing value and fills a absent one', async () => {
    const item = await update('SET s = if_not_exists(s, :v), c = if_not_exists(c, :v)', {
      ':v': { S: 'fallback' },
    });
    expect(item.s).toEqual({ S: 'text' });
    expect(item.c).toEqual({ S: 'fallback' });
  });

  it('list_append joins lists in the order given', async () => {
    const item = await update('SET l = list_append(:front, l), k = list_append(l, :tail)', {
      ':front': { L: [{ S: 'front' }] },
      ':tail': { L: [{ S: 'tail' }] },
    });
    expect(item.l).toEqual({ L: [{ S: 'front' }, { S: 'zero' }, { N: '1' }] });
    expect(item.k).toEqual({ L: [{ S: 'zero' }, { N: '1' }, { S: 'tail' }] });
    await refused(update('SET l = list_append(l, :s)', { ':s': { S: 'x' } }));
    await refused(update('SET l = list_append(s, l)'));
  });

  it('writes nested paths; a list index past the end appends', async () => {
    const item = await update('SET m.y[0] = :v, m.x = :v, l[7] = :v', { ':v': { S: 'v' } });
    expect(item.m).toEqual({ M: { x: { S: 'v' }, y: { L: [{ S: 'v' }] } } });
    expect(item.l).toEqual({ L: [{ S: 'zero' }, { N: '1' }, { S: 'v' }] });
    expect(await refused(update('SET absent.deeper = :v', { ':v': { S: 'v' } }))).toContain(
      'document path provided in the update expression is invalid',
    );
    await refused(update('SET s[0] = :v', { ':v': { S: 'v' } }));
  });

  it('REMOVE deletes attributes, nested entries and list elements at their old positions', async () => {
    await update('SET l = :l', { ':l': { L: ['0', '1', '2', '3', '4'].map((N) => ({ N })) } });
    const item = await update('REMOVE l[0], l[2], m.x, s, absent, l[9]');
    expect(item.l).toEqual({ L: [{ N: '1' }, { N: '3' }, { N: '4' }] });
    expect(item.m).toEqual({ M: { y: { L: [{ S: 'y0' }] } } });
    expect(item.s).toBeUndefined();
  });

  it('ADD adds to numbers, unites sets, and creates what is absent', async () => {
    const item = await update('ADD n :one, ss :more, tally :one, fresh :set', {
      ':one': { N: '1' },
      ':more': { SS: ['b', 'c'] },
      ':set': { NS: ['1'] },
    });
    expect(item.n).toEqual({ N: '11.5' });
    expect(item.ss).toEqual({ SS: ['a', 'b', 'c'] });
    expect(item.tally).toEqual({ N: '1' });
    expect(item.fresh).toEqual({ NS: ['1'] });
    await refused(update('ADD s :one', { ':one': { N: '1' } }));
    await refused(update('ADD ss :n', { ':n': { NS: ['1'] } }));
    await refused(update('ADD l :s', { ':s': { S: 'x' } }));
  });

  it('DELETE removes set members, and the attribute with its last member', async () => {
    const item = await update('DELETE ss :a, ns :all', {
      ':a': { SS: ['a', 'not there'] },
      ':all': { NS: ['1.0', '2.5'] },
    });
    expect(item.ss).toEqual({ SS: ['b'] });
    expect(item.ns).toBeUndefined();
    await refused(update('DELETE s :a', { ':a': { SS: ['a'] } }));
  });

  it('keywords are case-insensitive and clauses come in any order', async () => {
    const item = await update('remove s add n :one set x = :one', { ':one': { N: '1' } });
    expect([item.s, item.n, item.x]).toEqual([undefined, { N: '11.5' }, { N: '1' }]);
  });

  it('refuses overlapping paths, key attributes, absent operands, repeated clauses', async () => {
    const v = { ':v': { S: 'v' } };
    expect(await refused(update('SET m = :v, m.x = :v', v))).toContain('overlap');
    expect(await refused(update('SET l[0] = :v REMOVE l[0]', v))).toContain('overlap');
    expect(await refused(update('SET m.x = :v, m[0] = :v', v))).toContain('overlap');
    expect(await refused(update('SET sk = :v', v))).toContain('part of the key');
    expect(await refused(update('REMOVE pk'))).toContain('part of the key');
    expect(await refused(update('SET a = absent'))).toContain('does not exist in the item');
    expect(await refused(update('SET a = absent + :one', { ':one': { N: '1' } }))).toContain(
      'does not exist',
    );
    expect(await refused(update('SET a = s + :one', { ':one': { N: '1' } }))).toContain(
      'incorrect data type',
    );
    expect(await refused(update('SET a = :v SET b = :v', v))).toContain('only be used once');
    expect(await refused(update('SET a = size(s)'))).toContain('size');
    // nothing of a refused update was written
    const stored = await client.send(new GetItemCommand({ TableName, Key }));
    expect(stored.Item).toEqual(sample);
  });

  it('an update of a absent item creates it from its key', async () => {
    const output = await client.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: 'p' }, sk: { S: 'new' } },
        UpdateExpression: 'REMOVE nothing',
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(output.Attributes).toEqual({ pk: { S: 'p' }, sk: { S: 'new' } });
  });
});
