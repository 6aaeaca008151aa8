/**
 * N patchers appending a unique id each to one secret, on dynalite behind the proxy that returns
 * ALL_OLD as DynamoDB does, side by side in one run:
 *
 * - separate stores: N warm stores (each has read the secret: its connection open, its data key
 *   cached), each with its own DynamoDB client, KMS client and data-key cache, as N warm Lambda
 *   containers would be, all at once, beside the same N patches from one warm store one after
 *   another (goal: at most 4x);
 * - one store: N concurrent patches in one warm store, which group-commits them, beside the same
 *   one after another (goal: at most 0.5x).
 *
 * Every run checks the outcome exactly: each patch resolved, and the list holds every id once.
 */
import { KmsKeyring, SecretsStore } from '@secrets-store/core';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN } from '../test/support/kmsServer.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { median, percentile, type Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const WRITERS = [10, 100, 200];
const ROUNDS = 3;

interface Log {
  ids: string[];
}

interface Run {
  readonly ms: number;
  readonly failures: number;
  readonly exact: boolean;
  /** Every id that landed is there once, and only those of patches that resolved. */
  readonly landedOnce: boolean;
  readonly updaterRuns: number[];
}

export async function contentionBenchmark(servers: Servers): Promise<Row[]> {
  let namespaces = 0;
  const storeFor = (namespace: string) =>
    new SecretsStore({
      tableName: TABLE,
      namespace,
      keyring: new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: servers.kms.client() }),
      client: localDynamoDBClient(servers.proxy.endpoint),
    });

  /** Runs `writers` patches with `patchOf(index)` and checks the list afterwards. */
  async function measure(
    writers: number,
    run: (patch: (store: SecretsStore, index: number) => Promise<void>) => Promise<unknown>,
    namespace: string,
  ): Promise<Run> {
    const checker = storeFor(namespace);
    const updaterRuns: number[] = [];
    let failures = 0;
    const patch = async (store: SecretsStore, index: number) => {
      let runs = 0;
      try {
        await store.patch<Log>('log', (value) => {
          runs++;
          return { ids: [...value.ids, `writer-${index}`] };
        });
        updaterRuns.push(runs);
      } catch {
        failures++;
      }
    };
    const started = performance.now();
    await run(patch);
    const ms = performance.now() - started;
    const { ids } = await checker.get<Log>('log');
    const expected = Array.from({ length: writers }, (_, index) => `writer-${index}`);
    const exact =
      failures === 0 &&
      ids.length === writers &&
      [...ids].sort().join() === [...expected].sort().join();
    // Without failures, `exact` says it all; with some (ConcurrentUpdateError past the budget,
    // allowed on a saturated machine), what must still hold: no id twice, none that failed.
    const landedOnce = new Set(ids).size === ids.length && ids.length === writers - failures;
    return { ms, failures, exact, landedOnce, updaterRuns };
  }

  /** A store that has read the secret once: its connection open, its data key cached. */
  async function warmStore(namespace: string): Promise<SecretsStore> {
    const store = storeFor(namespace);
    await store.get('log');
    return store;
  }

  const rows: Row[] = [];
  for (const writers of WRITERS) {
    const runs: Record<'serial' | 'separate' | 'shared', Run[]> = {
      serial: [],
      separate: [],
      shared: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      // One warm store, the N patches one after another: the time N writes take with no race.
      const serialNamespace = `contention-${++namespaces}`;
      await storeFor(serialNamespace).put('log', { ids: [] });
      const serialStore = await warmStore(serialNamespace);
      runs.serial.push(
        await measure(
          writers,
          async (patch) => {
            for (let index = 0; index < writers; index++) await patch(serialStore, index);
          },
          serialNamespace,
        ),
      );
      // N warm stores (N Lambda containers), all at once.
      const separateNamespace = `contention-${++namespaces}`;
      await storeFor(separateNamespace).put('log', { ids: [] });
      const stores = await Promise.all(
        Array.from({ length: writers }, () => warmStore(separateNamespace)),
      );
      runs.separate.push(
        await measure(
          writers,
          (patch) => Promise.all(stores.map((store, index) => patch(store, index))),
          separateNamespace,
        ),
      );
      // One warm store, N patches at once: group commit.
      const sharedNamespace = `contention-${++namespaces}`;
      await storeFor(sharedNamespace).put('log', { ids: [] });
      const shared = await warmStore(sharedNamespace);
      runs.shared.push(
        await measure(
          writers,
          (patch) =>
            Promise.all(Array.from({ length: writers }, (_, index) => patch(shared, index))),
          sharedNamespace,
        ),
      );
    }
    const ms = (list: Run[]) => median(list.map((run) => run.ms));
    const separateRuns = runs.separate.flatMap((run) => run.updaterRuns);
    rows.push({
      writers,
      'one warm store, one after another ms': ms(runs.serial),
      'separate warm stores, all at once ms': ms(runs.separate),
      'ratio (goal <= 4)': ms(runs.separate) / ms(runs.serial),
      'one store, all at once ms': ms(runs.shared),
      'ratio (goal <= 0.5)': ms(runs.shared) / ms(runs.serial),
      'every patch resolved, each id once': Object.values(runs)
        .flat()
        .every((run) => run.exact),
      'patches given up (ConcurrentUpdateError)': Object.values(runs)
        .flat()
        .reduce((sum, run) => sum + run.failures, 0),
      'landed ids each once': Object.values(runs)
        .flat()
        .every((run) => run.landedOnce),
      'separate: updater runs p50': percentile(separateRuns, 0.5),
      'separate: updater runs p99': percentile(separateRuns, 0.99),
    });
  }
  return rows;
}
