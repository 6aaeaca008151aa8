/**
 * Concurrency on the real DynamoDB API. A race of conditional writes needs writers that do not
 * share a store: concurrent patches of one key in ONE store are group-committed (one write per
 * batch) and never race each other's condition. So the race tests give each writer its own store
 * and client (as separate Lambda containers), and force the race they name: every writer's first
 * read is held until all have read the same item (clientSchedule.ts), so all but one first
 * write must be refused. The group-commit tests say so in their names.
 *
 * Not run by the moto tier (vitest.moto.config.ts excludes this file): moto's conditional writes
 * are not atomic under concurrency (several writers win one condition), so moto is no reference
 * for it; dynalite's tier and the MemoryTable's run it.
 */
import type { SecretsStore } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { type ClientSchedule, clientSchedule } from '../support/clientSchedule.ts';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { endpoint, newStore, uniqueNamespace } from '../support/integration.ts';

/**
 * `count` stores of one namespace, each with its own client and caches: separate Lambdas. With a
 * schedule, each client's first read waits for the others' (see clientSchedule.ts), and its
 * first write for `firstWriteAfter`.
 */
function separateStores(
  count: number,
  namespace = uniqueNamespace('race'),
  schedule?: ClientSchedule,
  firstWriteAfter?: Promise<unknown>,
): SecretsStore[] {
  return Array.from({ length: count }, () => {
    const client = localDynamoDBClient(endpoint);
    schedule?.attach(client, { firstWriteAfter });
    return newStore({ namespace, client, ...PATIENT });
  });
}

/** How many of each answer. */
function countOf(answers: readonly (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[String(answer)] = (counts[String(answer)] ?? 0) + 1;
  return counts;
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

  it('race: two creates of one key in separate stores that both read it absent: one is refused and merges on the winner', async () => {
    const schedule = clientSchedule(2);
    const [first, second] = separateStores(2, uniqueNamespace('race'), schedule) as [
      SecretsStore,
      SecretsStore,
    ];
    const previous = await Promise.all([first.patch('k', { a: 1 }), second.patch('k', { b: 2 })]);
    expect(schedule.firstWrites().sort()).toEqual(['applied', 'refused']);
    expect(await first.get('k')).toEqual({ a: 1, b: 2 });
    // The winner created the secret; the loser read it again and patched the winner's value.
    expect(previous.map((value) => Object.keys(value).length).sort()).toEqual([0, 1]);
  });

  it('race: 30 partial patches of different fields that all read the same item: 29 refused, every field survives', async () => {
    const fields = Array.from({ length: 30 }, (_, index) => `field${index}`);
    const namespace = uniqueNamespace('race');
    await newStore({ namespace }).put('settings', {});
    const schedule = clientSchedule(fields.length);
    const stores = separateStores(fields.length, namespace, schedule);
    await Promise.all(
      fields.map((field, index) => stores[index]?.patch('settings', { [field]: field })),
    );
    expect(countOf(schedule.firstWrites())).toEqual({ applied: 1, refused: 29 });
    expect(await newStore({ namespace }).get('settings')).toEqual(
      Object.fromEntries(fields.map((field) => [field, field])),
    );
  });

  it('race: 20 patchers of a counter that all read 0: 19 refused, the counter ends at 20, each count seen once', async () => {
    const namespace = uniqueNamespace('race');
    await newStore({ namespace }).put('counter', { count: 0 });
    const schedule = clientSchedule(20);
    const previous = await Promise.all(
      separateStores(20, namespace, schedule).map((store) =>
        store.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 })),
      ),
    );
    expect(countOf(schedule.firstWrites())).toEqual({ applied: 1, refused: 19 });
    expect(await newStore({ namespace }).get<Counter>('counter')).toEqual({ count: 20 });
    expect(previous.map((value) => value.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, index) => index),
    );
  });

  it("race: a put lands between 20 patchers' reads and their writes: every patch is refused once, then counts on from what put stored", async () => {
    const namespace = uniqueNamespace('race');
    const putter = newStore({ namespace });
    await putter.put('counter', { count: 0 });
    const schedule = clientSchedule(20);
    // The put goes out once every patcher has read count 0; their first writes wait for it.
    const putLanded = schedule.everyoneRead.then(() => putter.put('counter', { count: 1000 }));
    const stores = separateStores(20, namespace, schedule, putLanded);
    const previous = await Promise.all(
      stores.map((store) =>
        store.patch<Counter>('counter', (value) => ({ count: (value.count ?? 0) + 1 })),
      ),
    );
    await putLanded;
    expect(countOf(schedule.firstWrites())).toEqual({ refused: 20 });
    expect(await putter.get<Counter>('counter')).toEqual({ count: 1020 });
    expect(previous.map((value) => value.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, index) => 1000 + index),
    );
  });
});
