/**
 * The opt-in value cache (DESIGN.md, "Reads at scale"): no call within maxAgeMs, write-through
 * of the store's own writes (and its forNamespace siblings'), eviction when a write fails or its
 * outcome is unknown, forceFetch, one read for concurrent misses, callers' own copies, LRU, purge
 * and rewrap, tombstones cached as absent.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand } from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  KmsKeyring,
  OutcomeUnknownError,
  SecretsStore,
  StorageError,
  secretsStoreFromEnvironment,
  ValueCache,
} from '@secrets-store/core';
import { describe, expect, it, vi } from 'vitest';
import { valueCacheFrom as valueCacheFromEnvironment } from '../../packages/core/src/environment.ts';
import { KEY_ARN } from '../support/fakeKms.ts';
import { gate } from '../support/gate.ts';
import {
  calls,
  kms,
  loseResponseWhileRivalsWrite,
  NAMESPACE,
  NONE,
  ONE_READ,
  rival as otherContainer,
  subject,
  TABLE,
  table,
  useStoreHarness,
} from '../support/storeHarness.ts';

useStoreHarness({ valueCache: {} });

/** `key` is cached as absent: get and exists say so, with no call. */
async function expectCachedAsAbsent(store: SecretsStore, key: string): Promise<void> {
  expect(
    await calls(async () => {
      expect(await store.get(key)).toEqual({});
      expect(await store.exists(key)).toBe(false);
    }),
  ).toEqual(NONE);
}

describe('off by default', () => {
  it('every get reads the table', async () => {
    const store = subject({ valueCache: undefined });
    await store.put('k', { v: 1 });
    expect(await calls(() => store.get('k'))).toEqual(ONE_READ);
    expect(await calls(() => store.get('k'))).toEqual(ONE_READ);
  });
});

describe('within maxAgeMs', () => {
  it('a get makes no call; after maxAgeMs it reads again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const writer = otherContainer();
    await writer.put('k', { v: 1 });
    const store = subject({ valueCache: { maxAgeMs: 1000 } });
    expect(await calls(() => store.get('k'))).toEqual({ dynamodb: 1, kms: 1 });
    vi.setSystemTime(Date.now() + 999);
    expect(await calls(async () => expect(await store.get('k')).toEqual({ v: 1 }))).toEqual(NONE);
    vi.setSystemTime(Date.now() + 1);
    expect(await calls(() => store.get('k'))).toEqual(ONE_READ);
  });

  it('an absent key is cached as absent, for get and exists', async () => {
    const store = subject();
    expect(await calls(() => store.get('missing'))).toEqual(ONE_READ);
    await expectCachedAsAbsent(store, 'missing');
  });

  it('fields are picked from the cached value', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    expect(
      await calls(async () => {
        expect(await store.get('k', ['a', 'zzz'])).toEqual({ a: 1 });
        expect(await store.get('k', { fields: ['b'] })).toEqual({ b: 2 });
        expect(await store.exists('k')).toBe(true);
      }),
    ).toEqual(NONE);
  });
});

describe('write-through: a container reads its own writes at once, with no call', () => {
  it('after put', async () => {
    const store = subject();
    await store.put('k', { v: 1 });
    await store.get('k');
    await store.put('k', { v: 2, list: [1] });
    expect(
      await calls(async () => expect(await store.get('k')).toEqual({ v: 2, list: [1] })),
    ).toEqual(NONE);
  });

  it('after patch with a partial and with an updater', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    await store.patch('k', { a: 10, b: undefined });
    expect(await calls(async () => expect(await store.get('k')).toEqual({ a: 10 }))).toEqual(NONE);
    await store.patch<{ a: number }>('k', (value) => ({ a: value.a + 1 }));
    expect(await calls(async () => expect(await store.get('k')).toEqual({ a: 11 }))).toEqual(NONE);
  });

  it('after a field delete', async () => {
    const store = subject();
    await store.put('k', { a: 1, b: 2 });
    await store.delete('k', ['b']);
    expect(await calls(async () => expect(await store.get('k')).toEqual({ a: 1 }))).toEqual(NONE);
  });

  it('after delete: absent, for get and exists', async () => {
    const store = subject();
    await store.put('k', { a: 1 });
    await store.get('k');
    await store.delete('k');
    await expectCachedAsAbsent(store, 'k');
  });

  it('of a forNamespace sibling, in its namespace only', async () => {
    const store = subject();
    const sibling = store.forNamespace('app-1:install-8');
    await store.put('k', { mine: true });
    await sibling.put('k', { sibling: true });
    const again = store.forNamespace('app-1:install-8');
    expect(
      await calls(async () => {
        expect(await again.get('k')).toEqual({ sibling: true });
        expect(await store.get('k')).toEqual({ mine: true });
      }),
    ).toEqual(NONE);
  });

  it('a read that began before the store wrote never replaces what the write left', async () => {
    const writer = otherContainer();
    await writer.put('k', { v: 1 });
    // The read has fetched v1 and waits on its data key while the store writes v2.
    const decrypting = gate();
    const keyring = new KmsKeyring({ keyId: KEY_ARN, client: kms.client });
    const decrypt = keyring.decryptDataKey.bind(keyring);
    vi.spyOn(keyring, 'decryptDataKey').mockImplementationOnce(async (...args) => {
      decrypting.arrive();
      await decrypting.opened;
      return decrypt(...args);
    });
    const store = subject({ keyring });
    const staleRead = store.get('k');
    await decrypting.reached;
    await store.put('k', { v: 2 });
    decrypting.release();
    expect(await staleRead).toEqual({ v: 1 });
    expect(await calls(async () => expect(await store.get('k')).toEqual({ v: 2 }))).toEqual(NONE);
  });
});

describe('a write that fails or whose outcome is unknown evicts the key', () => {
  it('put refused by DynamoDB (StorageError): the next get reads', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('k', { v: 1 });
    table.memory.failNext('UpdateItem', 'ValidationException');
    await expect(store.put('k', { v: 2 })).rejects.toBeInstanceOf(StorageError);
    const before = table.memory.requests.length;
    expect(await store.get('k')).toEqual({ v: 1 });
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'GetItem',
    ]);
  });

  it('patch whose outcome is unknown (OutcomeUnknownError): the next get reads what landed', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 3 }) });
    await store.put('log', { ids: [] });
    await loseResponseWhileRivalsWrite('log', async () => {
      const rival = otherContainer();
      for (let index = 1; index <= 8; index++) {
        await rival.patch<{ ids: string[] }>('log', (value) => ({
          ids: [...value.ids, `rival-${index}`],
        }));
      }
    });
    const error = await store
      .patch<{ ids: string[] }>('log', (value) => ({ ids: [...value.ids, 'subject'] }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    const before = table.memory.requests.length;
    const { ids } = await store.get<{ ids: string[] }>('log');
    expect(ids).toHaveLength(9);
    expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
      'GetItem',
    ]);
  });

  it('delete refused by DynamoDB: the next get reads', async () => {
    const store = subject({ client: table.memory.client({ maxAttempts: 1 }) });
    await store.put('k', { v: 1 });
    table.memory.failNext('UpdateItem', 'ValidationException');
    await expect(store.delete('k')).rejects.toBeInstanceOf(StorageError);
    const before = table.memory.requests.length;
    expect(await store.get('k')).toEqual({ v: 1 });
    expect(table.memory.requests.length - before).toBe(1);
  });
});

describe("another container's write", () => {
  it('shows after maxAgeMs, and at once with forceFetch (which refreshes the cache)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = subject({ valueCache: { maxAgeMs: 5000 } });
    await store.put('k', { v: 1 });
    await otherContainer().put('k', { v: 2 });
    expect(await store.get('k')).toEqual({ v: 1 });
    vi.setSystemTime(Date.now() + 5000);
    expect(await store.get('k')).toEqual({ v: 2 });

    await otherContainer().put('k', { v: 3 });
    expect(await store.get('k')).toEqual({ v: 2 });
    expect(
      await calls(async () => expect(await store.get('k', { forceFetch: true })).toEqual({ v: 3 })),
    ).toEqual({ dynamodb: 1, kms: 1 });
    expect(await calls(async () => expect(await store.get('k')).toEqual({ v: 3 }))).toEqual(NONE);
  });
});

describe('concurrent misses and copies', () => {
  it('50 concurrent cold gets of one key make one read and one keyring call', async () => {
    await otherContainer().put('k', { v: 1 });
    const store = subject();
    const made = await calls(async () => {
      const values = await Promise.all(Array.from({ length: 50 }, () => store.get('k')));
      expect(values).toEqual(Array.from({ length: 50 }, () => ({ v: 1 })));
      // Each caller has its own copy.
      expect(new Set(values).size).toBe(50);
    });
    expect(made).toEqual({ dynamodb: 1, kms: 1 });
    expect(table.dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(kms.kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('a returned value mutated, or the value given to put mutated, changes nothing cached', async () => {
    const store = subject();
    const value = { token: 't', scopes: ['read'], nested: { n: 1 } };
    await store.put('k', value);
    value.scopes.push('admin');
    value.nested.n = 2;
    const first = await store.get<typeof value>('k');
    first.scopes.push('write');
    first.nested.n = 3;
    first.token = 'changed';
    expect(
      await calls(async () =>
        expect(await store.get('k')).toEqual({
          token: 't',
          scopes: ['read'],
          nested: { n: 1 },
        }),
      ),
    ).toEqual(NONE);
  });
});

describe('bounds and clearing', () => {
  it('holds at most maxEntries keys, evicting the least recently used', async () => {
    const store = subject({ valueCache: { maxEntries: 2 } });
    await store.put('a', { v: 'a' });
    await store.put('b', { v: 'b' });
    await store.get('a'); // a is now the most recent
    await store.put('c', { v: 'c' }); // evicts b
    expect(await calls(() => Promise.all([store.get('a'), store.get('c')]))).toEqual(NONE);
    expect(await calls(() => store.get('b'))).toEqual(ONE_READ);
  });

  it("purge clears the namespace's entries and no other's", async () => {
    const store = subject();
    const sibling = store.forNamespace('other');
    await store.put('k', { v: 1 });
    await sibling.put('k', { v: 2 });
    expect(await store.purge()).toBe(1);
    expect(await calls(async () => expect(await sibling.get('k')).toEqual({ v: 2 }))).toEqual(NONE);
    expect(await calls(async () => expect(await store.get('k')).toEqual({}))).toEqual(ONE_READ);
  });

  it("rewrap clears the namespace's entries", async () => {
    const store = subject();
    await store.put('k', { v: 1 });
    await store.rewrap();
    expect(await calls(async () => expect(await store.get('k')).toEqual({ v: 1 }))).toEqual({
      dynamodb: 1,
      kms: 0,
    });
  });
});

describe('tombstones (write protocol v3)', () => {
  it('read as absent by get and exists, and are cached as absent', async () => {
    const store = subject();
    await store.put('k', { v: 1 });
    const written = await table.item(NAMESPACE, 'k');
    // What v3's delete leaves: the key and its history, no value, a TTL.
    await table.putItem({
      pk: { S: NAMESPACE },
      sk: { S: 'k' },
      writeId: written?.writeId ?? { S: 'x' },
      updatedAt: { N: String(Date.now()) },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86400) },
    });
    expect(await calls(async () => expect(await store.exists('k')).toBe(true))).toEqual(NONE);
    const fresh = subject();
    expect(
      await calls(async () => {
        expect(await fresh.exists('k')).toBe(false);
        expect(await fresh.get('k')).toEqual({});
      }),
    ).toEqual({ dynamodb: 2, kms: 0 });
    expect(await calls(async () => expect(await fresh.get('k')).toEqual({}))).toEqual(NONE);
    expect(
      await calls(async () => expect(await subject({ valueCache: false }).exists('k')).toBe(false)),
    ).toEqual(ONE_READ);
  });
});

describe('configuration', () => {
  it('refuses a maxAgeMs or maxEntries that is not positive', () => {
    expect(() => subject({ valueCache: { maxAgeMs: 0 } })).toThrow(ConfigurationError);
    expect(() => subject({ valueCache: { maxEntries: 1.5 } })).toThrow(ConfigurationError);
    expect(new ValueCache()).toMatchObject({ maxAgeMs: 5000, maxEntries: 1000 });
  });

  it('refuses get options that are neither fields nor { fields, forceFetch }', async () => {
    const store = subject();
    await expect(store.get('k', 'a' as never)).rejects.toThrow(/array of field names/);
    await expect(store.get('k', { forceFetch: 'yes' as never })).rejects.toThrow(/boolean/);
    expect(table.dynamodb.calls()).toHaveLength(0);
  });

  it('storage.secrets turns it on with SECRETS_STORE_VALUE_CACHE_MS (its maxAgeMs; unset or 0: off)', () => {
    expect(valueCacheFromEnvironment({ SECRETS_STORE_VALUE_CACHE_MS: '2500' })).toEqual({
      maxAgeMs: 2500,
    });
    expect(valueCacheFromEnvironment({})).toBe(false);
    expect(valueCacheFromEnvironment({ SECRETS_STORE_VALUE_CACHE_MS: '0' })).toBe(false);
    expect(() => valueCacheFromEnvironment({ SECRETS_STORE_VALUE_CACHE_MS: '5s' })).toThrow(
      /SECRETS_STORE_VALUE_CACHE_MS must be a number of milliseconds.*"5s"/,
    );
    const environment = {
      SECRETS_STORE_TABLE: TABLE,
      SECRETS_STORE_KEY_ID: KEY_ARN,
      SECRETS_STORE_NAMESPACE: NAMESPACE,
    };
    expect(() =>
      secretsStoreFromEnvironment({ ...environment, SECRETS_STORE_VALUE_CACHE_MS: '-1' }),
    ).toThrow(ConfigurationError);
    expect(
      secretsStoreFromEnvironment({ ...environment, SECRETS_STORE_VALUE_CACHE_MS: '2500' }),
    ).toBeInstanceOf(SecretsStore);
  });
});
