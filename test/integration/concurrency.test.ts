/**
 * Concurrency on the real DynamoDB API. A race of conditional writes needs writers that do not
 * share a store: concurrent patches of one key in ONE store are group-committed (one write per
 * batch) and never race each other's condition. So the race tests give each writer its own store
 * and client (as separate Lambda containers); the group-commit tests say so in their names.
 *
 * Not run by the moto tier (vitest.moto.config.ts excludes this file): moto's conditional writes
 * are not atomic under concurrency (several writers win one condition), so moto is no reference
 * for it; dynalite's tier and the MemoryTable's run it.
 */
import type { SecretsStore } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { endpoint, newStore, uniqueNamespace } from '../support/integration.ts';

/** `count` stores of one namespace, each with its own client and caches: separate Lambdas. */
function separateStores(count: number, namespace = uniqueNamespace('race')): SecretsStore[] {
  return Array.from({ length: count }, () =>
    newStore({ namespace, client: localDynamoDBClient(endpoint), ...PATIENT }),
  );
}

interface Counter {
  count?: number;
}

/**
 * A budget of time no busy machine exhausts: these tests check exactness (every id once), not
 * speed; `npm run bench -- contention` measures the time with the defaults, side by side.
 */
const PATIENT = { patchRetry: { budgetMs: 600_000 } };

describe('patch under concurrency', () => {
  it('100 patchers in separate stores (as 100 Lambdas) appending unique ids: every patch resolves, every id once', async () => {
    const namespace = uniqueNamespace('contention');
    await newStore({ namespace }).put('log', { ids: [] });
    const ids = Array.from({ length: 100 }, (_, index) => `writer-${index}`);
    const runs: number[] = [];
    // Each its own client and data-key cache: nothing shared but the table.
    await Promise.all(
      ids.map(async (id) => {
        let count = 0;
        await newStore({
          namespace,
          client: localDynamoDBClient(endpoint),
          ...PATIENT,
        }).patch<{
          ids: string[];
        }>('log', (value) => {
          count++;
          return { ids: [...value.ids, id] };
        });
        runs.push(count);
      }),
    );
    const stored = (await newStore({ namespace }).get<{ ids: string[] }>('log')).ids;
    expect([...stored].sort()).toEqual([...ids].sort());
    runs.sort((a, b) => a - b);
    console.log(
      `100 patchers in separate stores: updater runs p50 ${runs[50]}, p99 ${runs[98]}, max ${runs[99]}`,
    );
  }, 600_000);

  it('group commit: 100 concurrent updaters in one store incrementing one counter end at exactly 100', async () => {
    const secrets = newStore();
    const attempts: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        let runs = 0;
        await secrets.patch<Counter>('counter', (value) => {
          runs++;
          return { count: (value.count ?? 0) + 1 };
        });
        attempts.push(runs);
      }),
    );
    expect(await secrets.get<Counter>('counter')).toEqual({ count: 100 });
    // Nothing raced: every updater ran once, each on the value its predecessor left.
    expect(attempts).toEqual(Array.from({ length: 100 }, () => 1));
  });

  it('race: two concurrent creates of one key in separate stores never lose an update', async () => {
    for (let round = 0; round < 20; round++) {
      const [first, second] = separateStores(2) as [SecretsStore, SecretsStore];
      const previous = await Promise.all([first.patch('k', { a: 1 }), second.patch('k', { b: 2 })]);
      expect(await first.get('k')).toEqual({ a: 1, b: 2 });
      // exactly one of them created the secret
      expect(previous.filter((value) => Object.keys(value).length === 0)).toHaveLength(1);
    }
  });

  it('race: concurrent partial patches of different fields from separate stores all survive', async () => {
    const fields = Array.from({ length: 30 }, (_, index) => `field${index}`);
    const stores = separateStores(fields.length);
    await stores[0]?.put('settings', {});
    await Promise.all(
      fields.map((field, index) => stores[index]?.patch('settings', { [field]: field })),
    );
    expect(await stores[0]?.get('settings')).toEqual(
      Object.fromEntries(fields.map((field) => [field, field])),
    );
  });

  it('race: 20 patchers in separate stores of a counter that put created end at exactly 20', async () => {
    const stores = separateStores(21);
    await stores[0]?.put('counter', { count: 0 });
    await Promise.all(
      stores
        .slice(1)
        .map((store) =>
          store.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 })),
        ),
    );
    expect(await stores[0]?.get<Counter>('counter')).toEqual({ count: 20 });
  });

  it('race: a put from one store racing patchers in others: the counter counts on from whatever put stored', async () => {
    const stores = separateStores(21);
    const [putter] = stores as [SecretsStore];
    await putter.put('counter', { count: 0 });
    const patchers = stores.slice(1);
    const increment = (store: SecretsStore) =>
      store.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 }));
    const before = patchers.slice(0, 10).map(increment);
    const reset = putter.put('counter', { count: 1000 });
    const after = patchers.slice(10).map(increment);
    const previous = await Promise.all([...before, ...after]);
    await reset;
    // put overwrote whatever patches landed before it; each patch that landed after it read a
    // value of at least 1000 and counted one on from there.
    const landedAfterPut = previous.filter((value) => (value.count ?? 0) >= 1000).length;
    expect(await putter.get<Counter>('counter')).toEqual({ count: 1000 + landedAfterPut });
  });
});
