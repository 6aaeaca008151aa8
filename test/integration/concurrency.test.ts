/**
 * Patch under real concurrency: no lost update, each unique id once. Not run by the moto tier
 * (vitest.moto.config.ts excludes this file): moto's conditional writes are not atomic under
 * concurrency (several writers win one condition), so moto is no reference for it; dynalite's
 * tier and the MemoryTable's run it.
 */
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { endpoint, newStore, uniqueNamespace } from '../support/integration.ts';

interface Counter {
  count?: number;
}

describe('patch under concurrency, with default settings', () => {
  it('100 patchers in separate stores (as 100 Lambdas) appending unique ids: every patch resolves, every id once', async () => {
    const namespace = uniqueNamespace('contention');
    await newStore({ namespace }).put('log', { ids: [] });
    const ids = Array.from({ length: 100 }, (_, index) => `writer-${index}`);
    const runs: number[] = [];
    // Each its own client and data-key cache: nothing shared but the table.
    await Promise.all(
      ids.map(async (id) => {
        let count = 0;
        await newStore({ namespace, dynamoDBClient: localDynamoDBClient(endpoint) }).patch<{
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
  });

  it('100 concurrent updaters in one store incrementing one counter end at exactly 100', async () => {
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
    attempts.sort((a, b) => a - b);
    console.log(
      `100 concurrent patchers: attempts p50 ${attempts[50]}, p99 ${attempts[98]}, max ${attempts[99]}`,
    );
  });

  it('two concurrent creates of one key never lose an update', async () => {
    for (let round = 0; round < 20; round++) {
      const secrets = newStore();
      const previous = await Promise.all([
        secrets.patch('k', { a: 1 }),
        secrets.patch('k', { b: 2 }),
      ]);
      expect(await secrets.get('k')).toEqual({ a: 1, b: 2 });
      // exactly one of them created the secret
      expect(previous.filter((value) => Object.keys(value).length === 0)).toHaveLength(1);
    }
  });

  it('concurrent partial patches of different fields all survive', async () => {
    const secrets = newStore();
    await secrets.put('settings', {});
    const fields = Array.from({ length: 30 }, (_, index) => `field${index}`);
    await Promise.all(fields.map((field) => secrets.patch('settings', { [field]: field })));
    expect(await secrets.get('settings')).toEqual(
      Object.fromEntries(fields.map((field) => [field, field])),
    );
  });

  it('20 concurrent patchers of a counter that put created end at exactly 20', async () => {
    const secrets = newStore();
    await secrets.put('counter', { count: 0 });
    await Promise.all([
      ...Array.from({ length: 20 }, () =>
        secrets.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 })),
      ),
    ]);
    expect(await secrets.get<Counter>('counter')).toEqual({ count: 20 });
  });

  it('a put racing patchers: the counter counts on from whatever put stored', async () => {
    const secrets = newStore();
    await secrets.put('counter', { count: 0 });
    const increment = () =>
      secrets.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 }));
    const before = Array.from({ length: 10 }, increment);
    const reset = secrets.put('counter', { count: 1000 });
    const after = Array.from({ length: 10 }, increment);
    const previous = await Promise.all([...before, ...after]);
    await reset;
    // put overwrote whatever patches landed before it; each patch that landed after it read a
    // value of at least 1000 and counted one on from there.
    const landedAfterPut = previous.filter((value) => (value.count ?? 0) >= 1000).length;
    expect(await secrets.get<Counter>('counter')).toEqual({ count: 1000 + landedAfterPut });
  });
});
