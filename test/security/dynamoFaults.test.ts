/**
 * DynamoDB faults through a real server: dynalite behind a loopback proxy that drops connections
 * (before and after forwarding), answers 500/503 and throttling errors, and adds delay, at a
 * seeded random rate. The real SDK client retries as it does against AWS.
 */
import {
  ConcurrentUpdateError,
  LocalKeyring,
  OutcomeUnknownError,
  SecretsStore,
  SecretsStoreError,
  StorageError,
} from '@secrets-store/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createSecretsTable,
  localDynamoDBClient,
  type RunningDynamoDB,
  startDynalite,
} from '../support/dynamodb.ts';
import {
  type DynamoProxy,
  faultStreamMiddleware,
  seededRandom,
  startDynamoProxy,
} from '../support/dynamoProxy.ts';

const TABLE = 'secrets';
const SEED = 20261126;
const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
let dynalite: RunningDynamoDB;
let proxy: DynamoProxy;
let plainProxy: DynamoProxy;
let namespaces = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
  const setup = localDynamoDBClient(dynalite.endpoint);
  await createSecretsTable(setup, TABLE);
  setup.destroy();
  proxy = await startDynamoProxy({ target: dynalite.endpoint, allOld: true, seed: SEED });
  plainProxy = await startDynamoProxy({ target: dynalite.endpoint, allOld: false });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await proxy.stop();
  await plainProxy.stop();
  await dynalite.stop();
});

let writers = 0;

/** A store (one Lambda) on its own client, drawing its faults from a stream of its own. */
function storeVia(endpoint: string, namespace = `faults-${++namespaces}`): SecretsStore {
  const client = localDynamoDBClient(endpoint);
  const stream = faultStreamMiddleware(`writer-${++writers}`);
  client.middlewareStack.add(stream.middleware as never, stream.options);
  return new SecretsStore({ tableName: TABLE, namespace, keyring, client });
}

describe('a write whose response is lost is not applied twice', () => {
  it.each([
    ['with ALL_OLD (as DynamoDB)', () => proxy],
    ['without ALL_OLD (as dynalite)', () => plainProxy],
  ])(
    '%s: the SDK retries the write, which fails its own condition; patch sees its writeId',
    async (_name, via) => {
      const server = via();
      const store = storeVia(server.endpoint);
      await store.put('counter', { n: 0 });
      let updaterRuns = 0;
      server.dropResponseOfNext('UpdateItem');
      const previous = await store.patch<{ n: number }>('counter', (value) => {
        updaterRuns++;
        return { n: value.n + 1 };
      });
      expect(previous).toEqual({ n: 0 });
      expect(updaterRuns).toBe(1);
      expect(await store.get('counter')).toEqual({ n: 1 });
    },
  );

  it('a create whose response is lost is not applied twice either', async () => {
    const store = storeVia(proxy.endpoint);
    proxy.dropResponseOfNext('UpdateItem');
    let updaterRuns = 0;
    await store.patch<{ n?: number }>('fresh', (value) => {
      updaterRuns++;
      return { n: (value.n ?? 0) + 1 };
    });
    expect(updaterRuns).toBe(1);
    expect(await store.get('fresh')).toEqual({ n: 1 });
  });
});

describe('under random faults (seed 20261126)', () => {
  it('100 patchers in separate stores appending unique ids, and a mix of put/get/delete: typed errors only, every resolved patch present exactly once, none twice', async () => {
    // Every random choice is seeded: the faults (a stream per writer), the backoff's jitter.
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(SEED));
    const namespace = `faults-${++namespaces}`;
    const clean = storeVia(dynalite.endpoint, namespace);
    const faulty = storeVia(proxy.endpoint, namespace);
    await clean.put('log', { ids: [] });
    proxy.setFaults({
      dropBefore: 0.02,
      dropAfter: 0.02,
      serverError: 0.03,
      throttle: 0.03,
      delay: 0.2,
      maxDelayMs: 20,
    });
    const resolved: string[] = [];
    const unknown: string[] = [];
    const notLanded: string[] = [];
    const untyped: unknown[] = [];
    // Separate stores (each its own client), as separate Lambda containers: one store would
    // group-commit its patches into a few writes.
    const patchers = Array.from({ length: 100 }, async (_, index) => {
      const id = `patch-${index}`;
      try {
        await storeVia(proxy.endpoint, namespace).patch<{ ids: string[] }>('log', (value) => ({
          ids: [...value.ids, id],
        }));
        resolved.push(id);
      } catch (error) {
        if (error instanceof OutcomeUnknownError) {
          unknown.push(id);
          console.log(`unknown: ${error.message}`);
        } else if (error instanceof StorageError || error instanceof ConcurrentUpdateError) {
          notLanded.push(id);
          if (notLanded.length <= 3) console.log(`not landed: ${(error as Error).message}`);
        } else untyped.push(error);
      }
    });
    const mixed = Array.from({ length: 60 }, async (_, index) => {
      const key = `mixed-${index % 12}`;
      try {
        if (index % 3 === 0) await faulty.put(key, { v: index, token: `t-${index}` });
        else if (index % 3 === 1) await faulty.get(key);
        else await faulty.delete(key);
      } catch (error) {
        if (!(error instanceof SecretsStoreError)) untyped.push(error);
      }
    });
    await Promise.all([...patchers, ...mixed]);
    proxy.setFaults(undefined);

    const injected = Object.fromEntries(proxy.injected);
    console.log(
      `faults injected ${JSON.stringify(injected)}; patches: ${resolved.length} resolved, ${unknown.length} outcome unknown, ${notLanded.length} failed before landing`,
    );
    expect(untyped).toEqual([]);
    expect(Object.values(injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(20);
    const { ids } = await clean.get<{ ids: string[] }>('log');
    const times = (id: string) => ids.filter((each) => each === id).length;
    // Exact, per call: a resolved patch landed once; one that certainly failed never landed; an
    // unknown outcome landed at most once. Nothing else is in the list.
    expect(resolved.filter((id) => times(id) !== 1)).toEqual([]);
    expect(notLanded.filter((id) => times(id) !== 0)).toEqual([]);
    expect(unknown.filter((id) => times(id) > 1)).toEqual([]);
    expect(ids.filter((id) => !resolved.includes(id) && !unknown.includes(id))).toEqual([]);
    // Every key left opens, and holds what one of its own puts wrote (or the log).
    for await (const key of clean.keys()) {
      if (key === 'log') continue;
      const { v, token } = await clean.get<{ v: number; token: string }>(key);
      expect({ key, v, token }).toEqual({
        key: `mixed-${v % 12}`,
        v: 3 * (v / 3),
        token: `t-${v}`,
      });
      expect(v % 3).toBe(0);
    }
  });
});
