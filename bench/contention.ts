/**
 * N patchers appending a unique id each to one secret, on dynalite behind the proxy that returns
 * ALL_OLD as DynamoDB does, side by side in one run:
 *
 * - separate stores: N stores, each with its own DynamoDB client, KMS client and data-key cache,
 *   as N Lambda containers would be, all at once, beside the same N patches of N such stores
 *   one after another (goal: at most 4x);
 * - one store: N concurrent patches in one store, which group-commits them, beside the same N
 *   patches of that store one after another (goal: at most 0.5x).
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
    await checker.put('log', { ids: [] });
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
    return { ms, failures, exact, updaterRuns };
  }

  const rows: Row[] = [];
  for (const writers of WRITERS) {
    const runs: Record<'serialSeparate' | 'separate' | 'serialShared' | 'shared', Run[]> = {
      serialSeparate: [],
      separate: [],
      serialShared: [],
      shared: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      const serialSeparateNamespace = `contention-${++namespaces}`;
      const coldStores = Array.from({ length: writers }, () => storeFor(serialSeparateNamespace));
      runs.serialSeparate.push(
        await measure(
          writers,
          async (patch) => {
            for (const [index, store] of coldStores.entries()) await patch(store, index);
          },
          serialSeparateNamespace,
        ),
      );
      const serialSharedNamespace = `contention-${++namespaces}`;
      const serialStore = storeFor(serialSharedNamespace);
      runs.serialShared.push(
        await measure(
          writers,
          async (patch) => {
            for (let index = 0; index < writers; index++) await patch(serialStore, index);
          },
          serialSharedNamespace,
        ),
      );
      const separateNamespace = `contention-${++namespaces}`;
      const stores = Array.from({ length: writers }, () => storeFor(separateNamespace));
      runs.separate.push(
        await measure(
          writers,
          (patch) => Promise.all(stores.map((store, index) => patch(store, index))),
          separateNamespace,
        ),
      );
      const sharedNamespace = `contention-${++namespaces}`;
      const shared = storeFor(sharedNamespace);
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
      'separate stores: one after another ms': ms(runs.serialSeparate),
      'all at once ms': ms(runs.separate),
      ratio: ms(runs.separate) / ms(runs.serialSeparate),
      'one store: one after another ms': ms(runs.serialShared),
      'all at once ms ': ms(runs.shared),
      'ratio ': ms(runs.shared) / ms(runs.serialShared),
      'every patch resolved, each id once': Object.values(runs)
        .flat()
        .every((run) => run.exact),
      'separate: updater runs p50': percentile(separateRuns, 0.5),
      'separate: updater runs p99': percentile(separateRuns, 0.99),
    });
  }
  return rows;
}
