/**
 * The behaviour of the OCP documentation page, on a real DynamoDB API.
 */
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { countRequests, endpoint, newStore } from '../support/integration.ts';

interface Token {
  value: string;
  expiration: number;
}

interface TokenRateLimit {
  counter: number;
  hour: number;
  token: string;
}

describe('storage.secrets behaviour (the OCP reference)', () => {
  it('writes, gets, checks, updates without touching siteId, and deletes a secret', async () => {
    const secrets = newStore();
    const siteId = 123;
    await expect(secrets.put('authToken', { token: 'first', siteId })).resolves.toBe(true);
    expect((await secrets.get('authToken')).token).toBe('first');
    expect(await secrets.exists('authToken')).toBe(true);
    expect(await secrets.patch('authToken', { token: 'refreshed' })).toEqual({
      token: 'first',
      siteId,
    });
    expect(await secrets.get('authToken')).toEqual({ token: 'refreshed', siteId });
    await expect(secrets.delete('authToken')).resolves.toBe(true);
    expect(await secrets.exists('authToken')).toBe(false);
    expect(await secrets.get('authToken')).toEqual({});
  });

  it('runs the rate-limit callback of the documentation atomically', async () => {
    const secrets = newStore();
    const currentHour = 10;
    const apiCallCost = 3;
    const rateLimit = (value: TokenRateLimit) => {
      if (value.hour !== currentHour) {
        value.hour = currentHour;
        value.counter = 0;
      } else {
        value.counter += apiCallCost;
      }
      return value;
    };
    await secrets.patch<TokenRateLimit>('token', rateLimit);
    await secrets.patch<TokenRateLimit>('token', rateLimit);
    const previous = await secrets.patch<TokenRateLimit>('token', rateLimit);
    expect(previous).toEqual({ hour: 10, counter: 3 });
    expect(await secrets.get<TokenRateLimit>('token')).toEqual({ hour: 10, counter: 6 });
  });

  it('types get<Token>', async () => {
    const secrets = newStore();
    await secrets.put<Token>('token', { value: 'abc', expiration: Date.now() + 30_000 });
    const token = await secrets.get<Token>('token');
    expect(token.expiration < Date.now() + 60_000).toBe(true);
    expect(token.value.toUpperCase()).toBe('ABC');
  });

  it('stores hashes of strings, numbers, booleans, null, arrays and nested hashes', async () => {
    const secrets = newStore();
    const value = {
      url: 'https://hooks.example/private/abc',
      accountId: 9_007_199_254_740_991,
      ratio: -0.125,
      enabled: false,
      nothing: null,
      scopes: ['read', 'write', ['nested'], { deep: true }],
      unicode: 'ünï©ødé 😀',
      nested: { a: { b: { c: [1, 2, 3] } } },
    };
    await secrets.put('everything', value);
    expect(await secrets.get('everything')).toStrictEqual(value);
  });

  it('get with fields returns the listed fields that exist', async () => {
    const secrets = newStore();
    await secrets.put('k', { a: 1, b: 'two', c: [3] });
    expect(await secrets.get('k', ['a', 'c', 'missing'])).toStrictEqual({ a: 1, c: [3] });
    expect(await secrets.get('absent', ['a'])).toStrictEqual({});
  });

  it('delete with fields removes those fields only; the secret stays', async () => {
    const secrets = newStore();
    await secrets.put('k', { a: 1, b: 2 });
    await secrets.delete('k', ['a']);
    expect(await secrets.get('k')).toStrictEqual({ b: 2 });
    await secrets.delete('k', ['b']);
    expect(await secrets.exists('k')).toBe(true);
    expect(await secrets.get('k')).toStrictEqual({});
  });

  it('put overwrites, put(key, {}) stores an empty hash, patch on nothing creates', async () => {
    const secrets = newStore();
    await secrets.put('k', { a: 1, b: 2 });
    await secrets.put('k', { c: 3 });
    expect(await secrets.get('k')).toStrictEqual({ c: 3 });
    await secrets.put('empty', {});
    expect(await secrets.exists('empty')).toBe(true);
    expect(await secrets.patch('created', { a: 1 })).toStrictEqual({});
    expect(await secrets.get('created')).toStrictEqual({ a: 1 });
  });

  it('keeps namespaces apart and lists keys of its own namespace only', async () => {
    const secrets = newStore();
    const neighbour = secrets.forNamespace(`${secrets.namespace}1`);
    await secrets.put('shared-name', { owner: 'first' });
    await secrets.put('b', { v: 1 });
    await neighbour.put('shared-name', { owner: 'second' });
    expect(await secrets.get('shared-name')).toEqual({ owner: 'first' });
    expect(await neighbour.get('shared-name')).toEqual({ owner: 'second' });
    const keys: string[] = [];
    for await (const key of secrets.keys()) keys.push(key);
    expect(keys).toEqual(['b', 'shared-name']);
  });

  it('lists more keys than one Query page holds', async () => {
    const secrets = newStore();
    const padding = 'p'.repeat(900);
    // ~1.2 KB items with ProjectionExpression still page at 1 MB of items read: 1,000 keys
    // make at least one extra page on DynamoDB; on any server they exercise the loop.
    const names = Array.from(
      { length: 1000 },
      (_, index) => `key-${String(index).padStart(4, '0')}-${padding}`,
    );
    for (let start = 0; start < names.length; start += 50) {
      await Promise.all(names.slice(start, start + 50).map((name) => secrets.put(name, { v: 1 })));
    }
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const keys: string[] = [];
    for await (const key of newStore({
      namespace: secrets.namespace,
      client: client,
    }).keys()) {
      keys.push(key);
    }
    expect(keys).toEqual(names);
    expect(requests.total()).toBeGreaterThan(1);
  });
});
