/**
 * Reads at scale on a real DynamoDB API (dynalite, and the MemoryTable in the integration-memory
 * project): getMany across pages of 100 and namespaces, with absent keys and tombstones, and the
 * value cache's write-through.
 */
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { countRequests, endpoint, newStore, putTombstone } from '../support/integration.ts';

describe('getMany', () => {
  it('reads 230 keys in ceil(230 / 100) = 3 BatchGetItem calls, leaving out absent keys and tombstones', async () => {
    const client = localDynamoDBClient(endpoint);
    const calls = countRequests(client);
    const store = newStore({ client: client });
    const keys = Array.from({ length: 220 }, (_, index) => `key-${index}`);
    for (let start = 0; start < keys.length; start += 20) {
      await Promise.all(keys.slice(start, start + 20).map((key) => store.put(key, { key })));
    }
    await putTombstone(store.namespace, 'key-7', {
      writeId: 'tombstone',
      updatedAt: Date.now(),
      expiresAt: Math.floor(Date.now() / 1000) + 86400,
    });
    const other = store.forNamespace(`${store.namespace}-other`);
    await other.put('only-there', { other: true });
    const asked = [...keys, ...Array.from({ length: 9 }, (_, index) => `absent-${index}`)];
    calls.reset();
    const found = await store.getMany([...asked, 'only-there', 'key-0']);
    expect(calls.of('BatchGetItemCommand')).toBe(3);
    expect(calls.total()).toBe(3);
    expect(found.size).toBe(219);
    expect(found.has('key-7')).toBe(false);
    expect(found.has('only-there')).toBe(false);
    expect(found.get('key-219')).toEqual({ key: 'key-219' });
    expect([...found.keys()]).toEqual(keys.filter((key) => key !== 'key-7'));
    expect(await store.exists('key-7')).toBe(false);
    expect(await store.get('key-7')).toEqual({});
    client.destroy();
  });
});

describe('the value cache', () => {
  it("reads a container's own writes at once and another's after forceFetch", async () => {
    const client = localDynamoDBClient(endpoint);
    const calls = countRequests(client);
    const store = newStore({ client: client, valueCache: { maxAgeMs: 60_000 } });
    const other = newStore({ namespace: store.namespace });
    await store.put('k', { v: 1 });
    await store.patch('k', { w: 2 });
    calls.reset();
    expect(await store.get('k')).toEqual({ v: 1, w: 2 });
    expect(calls.total()).toBe(0);
    await other.put('k', { v: 3 });
    expect(await store.get('k')).toEqual({ v: 1, w: 2 });
    expect(await store.get('k', { forceFetch: true })).toEqual({ v: 3 });
    expect(await store.getMany(['k'])).toEqual(new Map([['k', { v: 3 }]]));
    expect(calls.total()).toBe(1);
    await store.delete('k');
    expect(await store.get('k')).toEqual({});
    expect(await other.get('k')).toEqual({});
    client.destroy();
  });
});
