/**
 * Every class of bad input is refused with its error and leaves the table exactly as it was.
 */
import {
  InvalidKeyError,
  InvalidValueError,
  type SecretsStore,
  ValueTooLargeError,
} from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { countRequests, endpoint, itemsOf, newStore } from '../support/integration.ts';

type Attempt = [string, (store: SecretsStore) => Promise<unknown>, new (...args: never[]) => Error];

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;
let deep: Record<string, unknown> = {};
for (let level = 0; level < 40; level++) deep = { deep };

const badValues: [string, unknown][] = [
  ['a function', { f: () => 1 }],
  ['a symbol', { s: Symbol('s') }],
  ['a bigint', { b: 10n }],
  ['NaN', { n: Number.NaN }],
  ['Infinity', { n: Number.NEGATIVE_INFINITY }],
  ['a Date', { d: new Date() }],
  ['a Map', { m: new Map([[1, 2]]) }],
  ['a Set', { s: new Set([1]) }],
  ['a typed array', { t: new Float64Array(1) }],
  ['a class instance', { c: new URL('https://example.com') }],
  ['undefined in an array', { a: [undefined] }],
  ['a cycle', cyclic],
  ['nesting deeper than 32', deep],
  ['a __proto__ field', JSON.parse('{"__proto__":{"x":1}}')],
  ['an array at the top', [1, 2]],
  ['a string at the top', 'token'],
  ['null at the top', null],
];

const attempts: Attempt[] = [
  ...badValues.flatMap(([name, value]): Attempt[] => [
    [`put of ${name}`, (store) => store.put('existing', value as never), InvalidValueError],
    [
      `put of ${name} under a new key`,
      (store) => store.put('new', value as never),
      InvalidValueError,
    ],
    [`patch of ${name}`, (store) => store.patch('existing', value as never), InvalidValueError],
    [
      `patch updater returning ${name}`,
      (store) => store.patch('existing', () => value as never),
      InvalidValueError,
    ],
  ]),
  ['an empty key', (store) => store.put('', { a: 1 }), InvalidKeyError],
  ['a key with NUL', (store) => store.patch('a\u0000', { a: 1 }), InvalidKeyError],
  ['a key with a lone surrogate', (store) => store.put('\uDFFF', { a: 1 }), InvalidKeyError],
  ['a key of 1025 bytes', (store) => store.put('k'.repeat(1025), { a: 1 }), InvalidKeyError],
  ['delete of a bad key', (store) => store.delete('\u0000uninstalled'), InvalidKeyError],
  ['delete with bad fields', (store) => store.delete('existing', [1] as never), InvalidValueError],
  [
    'a value over the item limit',
    (store) => store.put('existing', { v: 'x'.repeat(409_600) }),
    ValueTooLargeError,
  ],
  [
    'a patch over the item limit',
    (store) => store.patch('existing', { v: 'x'.repeat(409_600) }),
    ValueTooLargeError,
  ],
];

describe('bad input gets a typed error and changes nothing', () => {
  it.each(attempts)('%s', async (_name, attempt, errorClass) => {
    const store = newStore();
    await store.put('existing', { token: 'keep-me', n: 1 });
    const before = await itemsOf(store.namespace);
    await expect(attempt(store)).rejects.toThrow(errorClass);
    expect(await itemsOf(store.namespace)).toEqual(before);
    expect(await store.get('existing')).toEqual({ token: 'keep-me', n: 1 });
  });

  it('every attempt that fails validation first makes no DynamoDB request', async () => {
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const store = newStore({ client: client });
    for (const [, value] of badValues) {
      await expect(store.put('k', value as never)).rejects.toThrow(InvalidValueError);
      await expect(store.patch('k', value as never)).rejects.toThrow(InvalidValueError);
    }
    expect(requests.total()).toBe(0);
  });
});
