import { GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  DecryptionError,
  InvalidKeyError,
  InvalidValueError,
  type SecretsStore,
  StorageError,
  ValueTooLargeError,
} from '@secrets-store/core';
import { describe, expect, it, vi } from 'vitest';
import { itemSize } from '../../packages/core/src/testing/attributeValues.ts';
import { KEY_ARN } from '../support/fakeKms.ts';
import {
  calls,
  kms,
  NAMESPACE,
  subject,
  TABLE,
  table,
  useStoreHarness,
} from '../support/storeHarness.ts';

useStoreHarness();

describe('get', () => {
  it('resolves {} for an absent key', async () => {
    expect(await subject().get('missing')).toEqual({});
  });

  it('returns what put stored, read with ConsistentRead', async () => {
    const store = subject();
    await store.put('authToken', { token: 'abc', siteId: 123 });
    expect(await store.get('authToken')).toEqual({ token: 'abc', siteId: 123 });
    expect(table.dynamodb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: NAMESPACE }, sk: { S: 'authToken' } },
      ConsistentRead: true,
    });
  });

  it('with fields returns only listed fields that exist', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2, c: 3 });
    expect(await store.get('k', ['a', 'c', 'zzz', 'toString'])).toEqual({ a: 1, c: 3 });
  });

  it('uses eventually consistent reads when consistentRead is false', async () => {
    const store = subject({ consistentRead: false });
    await store.get('k');
    expect(table.dynamodb).toHaveReceivedCommandWith(GetItemCommand, { ConsistentRead: false });
  });

  it('decrypts with KeyId pinned and the encryption context { namespace, secret }', async () => {
    const store = subject({ dataKeyCache: false });
    await store.put('k', { a: 1 });
    await store.get('k');
    expect(kms.kms).toHaveReceivedCommandWith(DecryptCommand, {
      KeyId: KEY_ARN,
      EncryptionContext: { namespace: NAMESPACE, secret: 'k' },
    });
  });
});

describe('put', () => {
  it('resolves true and sends one UpdateItem that sets the attributes, counts the version and shifts the history', async () => {
    const store = subject();
    await expect(store.put('k', { a: 1 })).resolves.toBe(true);
    expect(table.dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: NAMESPACE }, sk: { S: 'k' } },
      UpdateExpression: expect.stringMatching(
        /^SET #ciphertext = :ciphertext, #dataKey = :dataKey, #keyId = :keyId, #dataKeyCreatedAt = :now, #updatedAt = :now, #version = if_not_exists\(#version, :zero\) \+ :one, #h1 = if_not_exists\(#h0, :none\), .*#h7 = if_not_exists\(#h6, :none\), #h0 = :writeId REMOVE #expiresAt$/,
      ),
      // A re-sent copy of a put that landed finds its own id in the history and does nothing.
      ConditionExpression: expect.stringContaining(
        'NOT (#h0 = :writeId OR #h1 = :writeId OR #h2 = :writeId',
      ),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const first = await table.item(NAMESPACE, 'k');
    expect(first?.version).toEqual({ N: '1' });
    expect(first?.keyId).toEqual({ S: KEY_ARN });
    expect(first?.writeId?.S).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await store.put('k', { a: 2 });
    const second = await table.item(NAMESPACE, 'k');
    expect(second?.version).toEqual({ N: '2' });
    expect(second?.priorWriteId1).toEqual(first?.writeId);
  });

  it('asks KMS for a fresh AES_256 data key with the encryption context, every time', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    await store.put('k', { a: 2 });
    expect(kms.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    expect(kms.kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { namespace: NAMESPACE, secret: 'k' },
    });
  });

  it('put(key, {}) stores an empty hash, which exists', async () => {
    const store = subject();
    await store.put('empty', {});
    expect(await store.exists('empty')).toBe(true);
    expect(await store.get('empty')).toEqual({});
  });

  it('copies the value: mutating it afterwards changes nothing stored', async () => {
    const store = subject();
    const value = { list: [1, 2], nested: { a: 'x' } };
    await store.put('k', value);
    value.list.push(3);
    value.nested.a = 'changed';
    expect(await store.get('k')).toEqual({ list: [1, 2], nested: { a: 'x' } });
  });

  it('drops undefined fields', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: undefined });
    expect(await store.get('k')).toStrictEqual({ a: 1 });
  });

  it('zero-fills the plaintext data key KMS handed out', async () => {
    await subject().put('k', { a: 1 });
    expect(kms.issued).toHaveLength(1);
    expect(kms.issued[0]?.every((byte) => byte === 0)).toBe(true);
  });
});

describe('exists', () => {
  it('projects pk and the tombstone mark only and never calls KMS', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const made = await calls(async () => {
      expect(await store.exists('k')).toBe(true);
      expect(await store.exists('other')).toBe(false);
    });
    expect(made).toEqual({ dynamodb: 2, kms: 0 });
    expect(table.dynamodb).toHaveReceivedCommandWith(GetItemCommand, {
      Key: { pk: { S: NAMESPACE }, sk: { S: 'k' } },
      ProjectionExpression: '#namespace, #expiresAt',
      ExpressionAttributeNames: { '#namespace': 'pk', '#expiresAt': 'expiresAt' },
      ConsistentRead: true,
    });
  });
});

describe('delete', () => {
  it('writes a tombstone in one UpdateItem, carrying the history, and writes nothing for an absent key', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const before = await table.item(NAMESPACE, 'k');
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
    const made = await calls(async () => {
      await expect(store.delete('k')).resolves.toBe(true);
      await expect(store.delete('k')).resolves.toBe(true);
      await expect(store.delete('never-written')).resolves.toBe(true);
    });
    expect(made).toEqual({ dynamodb: 3, kms: 0 });
    expect(table.dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: NAMESPACE }, sk: { S: 'k' } },
      UpdateExpression: expect.stringMatching(
        /^SET #expiresAt = :expiresAt, #updatedAt = :now, #h1 = if_not_exists\(#h0, :none\), .*#h0 = :writeId REMOVE #ciphertext, #dataKey, #keyId, #dataKeyCreatedAt, #version$/,
      ),
      ConditionExpression: expect.stringMatching(
        /^attribute_exists\(#namespace\) AND attribute_not_exists\(#expiresAt\) AND NOT \(#h0 = :writeId OR .*#h7 = :writeId\)$/,
      ),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const tombstone = await table.item(NAMESPACE, 'k');
    expect(Object.keys(tombstone ?? {}).sort()).toEqual(
      [
        'pk',
        'sk',
        'expiresAt',
        'updatedAt',
        'writeId',
        ...[1, 2, 3, 4, 5, 6, 7].map((n) => `priorWriteId${n}`),
      ].sort(),
    );
    // One day after the delete, in epoch seconds (DynamoDB's TTL unit).
    expect(tombstone?.expiresAt).toEqual({ N: String(1_700_000_000 + 86_400) });
    expect(tombstone?.updatedAt).toEqual({ N: '1700000000123' });
    expect(tombstone?.priorWriteId1).toEqual(before?.writeId);
    expect(await table.item(NAMESPACE, 'never-written')).toBeUndefined();
    expect(await store.exists('k')).toBe(false);
    expect(await store.get('k')).toEqual({});
  });

  it('a secret written again over its tombstone is live, its count restarted, its history carried on', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    await store.delete('k');
    const tombstone = await table.item(NAMESPACE, 'k');
    await store.put('k', { a: 2 });
    const again = await table.item(NAMESPACE, 'k');
    expect(again?.expiresAt).toBeUndefined();
    expect(again?.version).toEqual({ N: '1' });
    expect(again?.priorWriteId1).toEqual(tombstone?.writeId);
    expect(await store.get('k')).toEqual({ a: 2 });
    await store.delete('k');
    expect(await store.patch('k', { b: 3 })).toEqual({});
    const patched = await table.item(NAMESPACE, 'k');
    expect(patched?.expiresAt).toBeUndefined();
    expect(patched?.version).toEqual({ N: '1' });
    expect(await store.get('k')).toEqual({ b: 3 });
  });

  it('with fields removes only those fields, as a conditional write', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2, c: 3 });
    await expect(store.delete('k', ['a', 'c', 'zzz'])).resolves.toBe(true);
    expect(await store.get('k')).toEqual({ b: 2 });
    expect(table.dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ConditionExpression: '#writeId = :readWriteId',
    });
  });

  it('with fields writes nothing when the key or the fields are absent', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    table.dynamodb.resetHistory();
    await store.delete('k', ['zzz']);
    await store.delete('absent', ['a']);
    expect(table.dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(await store.exists('absent')).toBe(false);
  });
});

describe('patch', () => {
  it('with an object merges shallowly and resolves the previous value', async () => {
    const store = subject();
    await store.put('authToken', { token: 'old', siteId: 123, extra: { a: 1 } });
    const previous = await store.patch('authToken', { token: 'new', extra: { b: 2 } });
    expect(previous).toEqual({ token: 'old', siteId: 123, extra: { a: 1 } });
    expect(await store.get('authToken')).toEqual({ token: 'new', siteId: 123, extra: { b: 2 } });
  });

  it('with an object removes fields set to undefined', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    await store.patch<{ a?: number; b?: number }>('k', { b: undefined });
    expect(await store.get('k')).toStrictEqual({ a: 1 });
  });

  it('creates an absent secret with attribute_not_exists and resolves {}', async () => {
    const store = subject();
    expect(await store.patch('new', { a: 1 })).toEqual({});
    expect(table.dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(#namespace)',
      ExpressionAttributeNames: expect.objectContaining({ '#namespace': 'pk' }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(await store.get('new')).toEqual({ a: 1 });
  });

  it('writes conditioned on the writeId it read, with ALL_OLD on a failed condition, and adds its id to the history', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    await store.put('k', { a: 2 });
    const read = await table.item(NAMESPACE, 'k');
    await store.patch('k', { a: 3 });
    expect(table.dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ConditionExpression: '#writeId = :readWriteId',
      ExpressionAttributeNames: expect.objectContaining({ '#writeId': 'writeId' }),
      ExpressionAttributeValues: expect.objectContaining({
        ':readWriteId': { S: read?.writeId?.S as string },
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const written = await table.item(NAMESPACE, 'k');
    expect(written?.version).toEqual({ N: '3' });
    expect([written?.priorWriteId1, written?.priorWriteId2]).toEqual([
      read?.writeId,
      read?.priorWriteId1,
    ]);
  });

  it('with an updater passes a deep copy and stores what it returns', async () => {
    const store = subject();
    await store.put('rate', { counter: 1, hour: 5, nested: { a: [1] } });
    let seen: unknown;
    const previous = await store.patch<{ counter: number; hour: number; nested: { a: number[] } }>(
      'rate',
      (value) => {
        seen = value;
        value.counter += 1; // mutating the copy, as the OCP example does
        value.nested.a.push(2);
        return value;
      },
    );
    expect(previous).toEqual({ counter: 1, hour: 5, nested: { a: [1] } });
    expect(previous).not.toBe(seen);
    expect(await store.get('rate')).toEqual({ counter: 2, hour: 5, nested: { a: [1, 2] } });
  });

  it('the updater gets {} when the secret is absent', async () => {
    const store = subject();
    const updater = vi.fn(() => ({ counter: 1 }));
    await store.patch('rate', updater);
    expect(updater).toHaveBeenCalledWith({});
  });

  it('if the updater throws, its error reaches the caller unchanged and nothing is written', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const failure = new RangeError('no');
    table.dynamodb.resetHistory();
    await expect(
      store.patch('k', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(table.dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(await store.get('k')).toEqual({ a: 1 });
  });

  it('an updater that returns nothing or a Promise is an InvalidValueError, nothing written', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    table.dynamodb.resetHistory();
    await expect(store.patch('k', (() => undefined) as never)).rejects.toThrow(InvalidValueError);
    await expect(store.patch('k', (async () => ({ a: 2 })) as never)).rejects.toThrow(
      /synchronously/,
    );
    expect(table.dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('re-uses the data key it just decrypted: a warm patch makes no KMS call', async () => {
    const store = subject();
    await store.put('counter', { n: 0 });
    await store.get('counter');
    const { dataKey } = (await table.item(NAMESPACE, 'counter')) ?? {};
    const made = await calls(() => store.patch('counter', { n: 1 }));
    expect(made).toEqual({ dynamodb: 2, kms: 0 });
    expect((await table.item(NAMESPACE, 'counter'))?.dataKey).toEqual(dataKey);
  });

  it('asks for a new data key once the current one is older than dataKeyMaxAgeMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = subject({ dataKeyMaxAgeMs: 1000 });
    await store.put('counter', { n: 0 });
    const wrappedKey = async () =>
      Buffer.from((await table.item(NAMESPACE, 'counter'))?.dataKey?.B ?? []).toString('hex');
    const firstKey = await wrappedKey();
    await store.patch('counter', { n: 1 });
    expect(await wrappedKey()).toBe(firstKey);
    vi.setSystemTime(Date.now() + 1001);
    await store.patch('counter', { n: 2 });
    expect(await wrappedKey()).not.toBe(firstKey);
    expect(kms.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    expect(await store.get('counter')).toEqual({ n: 2 });
  });
});

describe('keys and forNamespace', () => {
  it('lists the namespace keys over several pages, projecting sk and the tombstone mark only, skipping tombstones', async () => {
    const store = subject();
    for (const key of ['c', 'a', 'b', 'd', 'e', 'f']) await store.put(key, { v: key });
    await store.delete('f');
    await store.forNamespace('other').put('x', { v: 1 });
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(table.dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#namespace = :namespace',
      ProjectionExpression: '#key, #expiresAt',
      ExpressionAttributeNames: { '#namespace': 'pk', '#key': 'sk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':namespace': { S: NAMESPACE } },
    });
    expect(kms.kms).not.toHaveReceivedCommand(DecryptCommand);
  });

  it('never lists the uninstall marker', async () => {
    const store = subject();
    await store.put('a', { v: 1 });
    await table.putItem({ pk: { S: NAMESPACE }, sk: { S: '\u0000uninstalled' } });
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual(['a']);
  });

  it('forNamespace shares the clients and the data-key cache', async () => {
    const store = subject();
    const other = store.forNamespace('app-1:install-8');
    expect(other.namespace).toBe('app-1:install-8');
    await other.put('k', { v: 'other' });
    const made = await calls(() => other.get('k'));
    expect(made).toEqual({ dynamodb: 1, kms: 0 });
    expect(await store.get('k')).toEqual({});
  });

  it('forNamespace validates the namespace', () => {
    expect(() => subject().forNamespace('bad namespace')).toThrow(InvalidKeyError);
  });
});

describe('round trips per operation (DynamoDB + KMS), as in the design', () => {
  it.each([
    ['get (cold cache)', 'cold', (s: SecretsStore) => s.get('k'), { dynamodb: 1, kms: 1 }],
    ['get (warm cache)', 'warm', (s: SecretsStore) => s.get('k'), { dynamodb: 1, kms: 0 }],
    ['exists', 'warm', (s: SecretsStore) => s.exists('k'), { dynamodb: 1, kms: 0 }],
    ['put', 'warm', (s: SecretsStore) => s.put('k', { v: 2 }), { dynamodb: 1, kms: 1 }],
    [
      'patch (cold cache)',
      'cold',
      (s: SecretsStore) => s.patch('k', { v: 2 }),
      { dynamodb: 2, kms: 1 },
    ],
    [
      'patch (warm cache)',
      'warm',
      (s: SecretsStore) => s.patch('k', { v: 2 }),
      { dynamodb: 2, kms: 0 },
    ],
    ['delete', 'warm', (s: SecretsStore) => s.delete('k'), { dynamodb: 1, kms: 0 }],
    [
      'delete fields (warm)',
      'warm',
      (s: SecretsStore) => s.delete('k', ['v']),
      { dynamodb: 2, kms: 0 },
    ],
  ] as const)('%s', async (_name, cache, operation, expected) => {
    const writer = subject();
    await writer.put('k', { v: 1 });
    // A cold cache is a new process: a store with a cache of its own.
    const store = cache === 'cold' ? subject() : writer;
    expect(await calls(() => operation(store))).toEqual(expected);
  });

  it('dataKeyCache: false makes every read call KMS', async () => {
    const store = subject({ dataKeyCache: false });
    await store.put('k', { v: 1 });
    expect(await calls(() => store.get('k'))).toEqual({ dynamodb: 1, kms: 1 });
    expect(await calls(() => store.get('k'))).toEqual({ dynamodb: 1, kms: 1 });
  });
});

describe('bad input is refused before any AWS call', () => {
  const cases: [string, (s: SecretsStore) => Promise<unknown>, new (...args: never[]) => Error][] =
    [
      ['an empty key', (s) => s.get(''), InvalidKeyError],
      ['a key with NUL', (s) => s.put('a\u0000b', {}), InvalidKeyError],
      ['a key with a lone surrogate', (s) => s.exists('a\uD800'), InvalidKeyError],
      ['a key over 1024 bytes', (s) => s.delete('é'.repeat(513)), InvalidKeyError],
      ['a non-string key', (s) => s.get(42 as unknown as string), InvalidKeyError],
      ['an array value', (s) => s.put('k', [1] as never), InvalidValueError],
      ['a Date field', (s) => s.put('k', { d: new Date() } as never), InvalidValueError],
      ['a NaN field in a patch', (s) => s.patch('k', { n: Number.NaN }), InvalidValueError],
      ['fields that are not an array', (s) => s.get('k', 'a' as never), InvalidValueError],
      [
        'a value over 400 KB',
        (s) => s.put('k', { big: 'x'.repeat(400 * 1024) }),
        ValueTooLargeError,
      ],
    ];
  it.each(cases)('%s', async (_name, operation, errorClass) => {
    const store = subject();
    await expect(operation(store)).rejects.toBeInstanceOf(errorClass);
    expect(table.dynamodb.calls()).toHaveLength(0);
    expect(kms.kms.calls()).toHaveLength(0);
  });

  it('a too-large value reports sizes, not content', async () => {
    const error = await subject()
      .put('k', { big: 'SECRET'.repeat(80_000) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect((error as ValueTooLargeError).limit).toBe(400 * 1024);
    expect((error as ValueTooLargeError).size).toBeGreaterThan((error as ValueTooLargeError).limit);
    expect(String((error as Error).message)).not.toContain('SECRET');
  });

  it('configuration mistakes are ConfigurationErrors', () => {
    expect(() => subject({ tableName: '' })).toThrow(ConfigurationError);
    expect(() => subject({ namespace: 'has space' })).toThrow(InvalidKeyError);
    expect(() => subject({ patchRetry: { maxAttempts: 0 } })).toThrow(ConfigurationError);
    expect(() => subject({ dataKeyCache: { maxEntries: -1 } })).toThrow(ConfigurationError);
    expect(() => subject({ dataKeyMaxAgeMs: -5 })).toThrow(ConfigurationError);
  });
});

describe('failures are typed and carry no plaintext', () => {
  const CANARY = 'canary-7f3a9c-do-not-leak';

  it('a DynamoDB failure is a StorageError with the SDK error as cause', async () => {
    const store = subject();
    table.dynamodb.on(UpdateItemCommand).rejects(
      Object.assign(new Error('Throughput exceeds the current capacity'), {
        name: 'ProvisionedThroughputExceededException',
        // DynamoDB refused the only copy: nothing can have been written.
        $metadata: { httpStatusCode: 400, attempts: 1 },
      }),
    );
    const error = await store.put('k', { token: CANARY }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toMatch(/: ProvisionedThroughputExceededException$/);
    expect(JSON.stringify(error)).not.toContain(CANARY);
    expect(String((error as Error).cause)).not.toContain(CANARY);
  });

  it('a network failure names the system error code in the message', async () => {
    const store = subject();
    table.dynamodb
      .on(GetItemCommand)
      .rejects(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      );
    await expect(store.get('k')).rejects.toThrow(
      /^DynamoDB failed the get of "k" in namespace app-1:install-7 \(table secrets\): Error \(ECONNREFUSED\)$/,
    );
  });

  it('a ciphertext swapped between two keys fails with DecryptionError', async () => {
    const store = subject();
    await store.put('a', { token: CANARY });
    await store.put('b', { token: 'other' });
    const a = await table.item(NAMESPACE, 'a');
    const b = await table.item(NAMESPACE, 'b');
    if (!a || !b) throw new Error('items missing');
    await table.putItem({ ...b, ciphertext: a.ciphertext as never, dataKey: a.dataKey as never });
    const error = await subject()
      .get('b')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(JSON.stringify(error)).not.toContain(CANARY);
    // also with a warm cache: the cache is scoped to the item's identity
    const warm = await store.get('b').catch((caught: unknown) => caught);
    expect(warm).toBeInstanceOf(DecryptionError);
  });

  it('a malformed item is a DecryptionError naming the attribute', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    const item = await table.item(NAMESPACE, 'k');
    if (item) delete item.ciphertext;
    await table.putItem(item ?? {});
    await expect(store.get('k')).rejects.toThrow(/ciphertext is missing/);
  });
});

describe('item size', () => {
  it('a small secret under KMS (a 40-character token) with a full history of 8 write ids stays under 1 KB: one write capacity unit; 8 more ids would pass it', async () => {
    const store = subject();
    await store.put('authToken', { token: 't'.repeat(40), siteId: 123 });
    const putId = table.memory.items(TABLE)[0]?.writeId;
    for (let write = 1; write < 8; write++) await store.patch('authToken', { siteId: 123 + write });
    const [item] = table.memory.items(TABLE);
    // The history is full: the put's id is its oldest entry.
    expect(item?.priorWriteId7).toEqual(putId);
    const bytes = itemSize(item ?? {});
    expect(bytes).toBeLessThan(1024);
    // A history of 16: eight more attributes (`priorWriteId8`..`15`) of 22-character ids.
    const moreIds = Array.from({ length: 8 }, (_, index) => `priorWriteId${index + 8}`.length + 22);
    expect(bytes + moreIds.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(1024);
  });
});
