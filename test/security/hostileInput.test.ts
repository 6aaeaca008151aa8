/**
 * Hostile input: prototype pollution, arbitrary bytes where an envelope belongs, huge and deeply
 * nested values, and keys with every kind of Unicode oddity.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DecryptionError,
  InvalidKeyError,
  InvalidValueError,
  LocalKeyring,
  SecretsStore,
  ValueTooLargeError,
} from '@secrets-store/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../packages/core/src/envelope.ts';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';

const NAMESPACE = 'app:1';
const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
let table: FakeTable;
let store: SecretsStore;

beforeEach(() => {
  table = fakeTable();
  store = new SecretsStore({
    tableName: 'secrets',
    namespace: NAMESPACE,
    keyring,
    client: table.client,
  });
});
afterEach(() => table.dynamodb.restore());

function expectPrototypesClean(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect((Array.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
}

describe('prototype pollution', () => {
  it('constructor and prototype are ordinary fields through put, get, patch and merge', async () => {
    await store.put('k', {
      constructor: { prototype: { polluted: 1 } },
      prototype: { polluted: 2 },
    });
    const value = await store.get('k');
    expect(value).toEqual({
      constructor: { prototype: { polluted: 1 } },
      prototype: { polluted: 2 },
    });
    await store.patch('k', { constructor: { polluted: 3 } });
    await store.patch('k', (previous) => ({ ...previous, prototype: { polluted: 4 } }));
    expect(await store.get('k')).toEqual({
      constructor: { polluted: 3 },
      prototype: { polluted: 4 },
    });
    expectPrototypesClean();
  });

  it('a __proto__ field is refused by put, patch and an updater, from JSON or not', async () => {
    const fromJson = JSON.parse('{"__proto__":{"polluted":true}}');
    const nested = JSON.parse('{"a":[{"__proto__":{"polluted":true}}]}');
    await expect(store.put('k', fromJson)).rejects.toThrow(InvalidValueError);
    await expect(store.put('k', nested)).rejects.toThrow(/a\[0\]\.__proto__/);
    await expect(store.patch('k', fromJson)).rejects.toThrow(InvalidValueError);
    await expect(store.patch('k', () => fromJson)).rejects.toThrow(InvalidValueError);
    // Only the updater's read reached the table: nothing was written.
    expect(table.memory.requests.map((request) => request.operation)).toEqual(['GetItem']);
    expectPrototypesClean();
  });

  it('a stored value whose JSON holds __proto__ (written with the data key) pollutes nothing', async () => {
    await store.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    if (!item) throw new Error('no item');
    const dataKey = await keyring.decryptDataKey(
      item.dataKey?.B ?? new Uint8Array(),
      item.keyId?.S ?? '',
      {
        namespace: NAMESPACE,
        secret: 'k',
      },
    );
    const json = Buffer.from('{"__proto__":{"polluted":true},"b":2}');
    item.ciphertext = { B: sealEnvelope(dataKey, json, { namespace: NAMESPACE, key: 'k' }) };
    await table.putItem(item);
    const value = await store.get('k');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true); // an own field, as JSON.parse makes it
    await expect(store.patch('k', { c: 3 })).rejects.toThrow(/__proto__/); // never written back
    expectPrototypesClean();
  });
});

/** Any bytes (up to `maxLength`) as the `attribute` of a sound item: get gives DecryptionError. */
async function expectAnyBytesAsDecryptionError(
  attribute: 'ciphertext' | 'dataKey',
  maxLength: number,
): Promise<void> {
  await store.put('k', { a: 1 });
  const item = await table.item(NAMESPACE, 'k');
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength }), async (bytes) => {
      await table.putItem({ ...item, [attribute]: { B: bytes } });
      await expect(store.get('k')).rejects.toThrow(DecryptionError);
    }),
    { numRuns: 300 },
  );
}

describe('arbitrary bytes where an envelope or a wrapped key belongs', () => {
  it('property: any bytes as the ciphertext give DecryptionError, never a crash', async () => {
    await expectAnyBytesAsDecryptionError('ciphertext', 400);
  });

  it('property: any bytes as the wrapped data key give DecryptionError', async () => {
    await expectAnyBytesAsDecryptionError('dataKey', 200);
  });

  it('an item with attributes of the wrong types gives DecryptionError', async () => {
    await store.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    if (!item) throw new Error('no item');
    for (const [attribute, value] of [
      ['ciphertext', { S: 'text' }],
      ['dataKey', { N: '1' }],
      ['keyId', { B: new Uint8Array(1) }],
      ['dataKeyCreatedAt', { N: '100000000000000000000' }], // beyond 2^53: not a time
      ['dataKeyCreatedAt', { S: 'now' }],
    ] as const) {
      await table.putItem({ ...item, [attribute]: value });
      await expect(store.get('k')).rejects.toThrow(DecryptionError);
    }
    // A damaged write count is no reason to refuse the secret: the next write restarts it.
    await table.putItem({ ...item, version: { S: 'one' } });
    expect(await store.get('k')).toEqual({ a: 1 });
  });
});

describe('huge and deeply nested values are refused before any AWS call', () => {
  it('a million fields, a 50 MB string, a million-element array: ValueTooLargeError', async () => {
    const manyFields = Object.fromEntries(
      Array.from({ length: 1_000_000 }, (_, index) => [`f${index}`, index]),
    );
    await expect(store.put('k', manyFields)).rejects.toThrow(ValueTooLargeError);
    await expect(store.put('k', { s: 'x'.repeat(50 * 1024 * 1024) })).rejects.toThrow(
      ValueTooLargeError,
    );
    await expect(store.put('k', { list: new Array(1_000_000).fill(true) })).rejects.toThrow(
      ValueTooLargeError,
    );
    expect(table.dynamodb.calls()).toHaveLength(0);
  });

  it('100,000 levels of nesting: InvalidValueError at level 33, no stack overflow', async () => {
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 100_000; level++) deep = { d: deep };
    const error = await store.put('k', deep as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).path.split('.')).toHaveLength(32);
    expect(table.dynamodb.calls()).toHaveLength(0);
  });
});

describe('keys with Unicode oddities', () => {
  const accepted: [string, string][] = [
    ['combining marks (NFD)', 'cafe\u0301'],
    ['precomposed (NFC)', 'caf\u00e9'],
    ['zero-width joiner emoji', '👩\u200d💻'],
    ['right-to-left override', 'abc\u202edcba'],
    ['byte order mark', '\ufeffkey'],
    ['control characters', 'a\u0001\u001f\u007f'],
    ['private use', '\ue000'],
    ['astral plane', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'],
    ['whitespace only', ' \t\n'],
    ['1024 bytes of 4-byte characters', '😀'.repeat(256)],
    ['the replacement character', '\ufffd'],
  ];

  it.each(accepted)('%s: stored and read back under exactly that key', async (_name, key) => {
    await store.put(key, { key });
    expect(await store.get(key)).toEqual({ key });
    const response = await table.client.send(
      new GetItemCommand({ TableName: 'secrets', Key: { pk: { S: NAMESPACE }, sk: { S: key } } }),
    );
    expect(response.Item?.sk?.S).toBe(key);
  });

  it('NFC and NFD spellings are two different secrets (keys are not normalised)', async () => {
    await store.put('caf\u00e9', { form: 'NFC' });
    await store.put('cafe\u0301', { form: 'NFD' });
    expect(await store.get('caf\u00e9')).toEqual({ form: 'NFC' });
    expect(await store.get('cafe\u0301')).toEqual({ form: 'NFD' });
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud83d'],
    ['a lone low surrogate', '\ude00a'],
    ['reversed surrogates', '\ude00\ud83d'],
    ['1025 bytes', `${'😀'.repeat(256)}a`],
    ['empty', ''],
  ])('%s is refused with InvalidKeyError before any call', async (_name, key) => {
    await expect(store.put(key, {})).rejects.toThrow(InvalidKeyError);
    await expect(store.get(key)).rejects.toThrow(InvalidKeyError);
    expect(table.dynamodb.calls()).toHaveLength(0);
  });
});
