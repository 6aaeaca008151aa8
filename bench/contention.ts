/**
 * N concurrent patchers incrementing one counter, through the proxy that returns ALL_OLD as
 * DynamoDB does: this library's default retry policy beside the OCP reference implementation's
 * (5 immediate retries, no backoff).
 */
import { ConcurrentUpdateError, KmsKeyring, SecretsStore } from '@secrets-store/core';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN } from '../test/support/kmsServer.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { median, percentile, type Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const WRITERS = [1, 10, 50, 100];
const ROUNDS = 3;
const POLICIES = {
  'this library (default)': undefined,
  'OCP reference (5 immediate retries)': { maxAttempts: 6, baseDelayMs: 0, maxDelayMs: 0 },
} as const;

interface Run {
  successes: number;
  failures: number;
  lost: number;
  attempts: number[];
  ms: number;
}

export async function contentionBenchmark(servers: Servers): Promise<Row[]> {
  const client = localDynamoDBClient(servers.proxy.endpoint);
  const keyring = new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: servers.kms.client() });
  let namespaces = 0;
  const rows: Row[] = [];
  for (const writers of WRITERS) {
    for (const [policy, patchRetry] of Object.entries(POLICIES)) {
      const runs: Run[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const store = new SecretsStore({
          tableName: TABLE,
          namespace: `contention-${++namespaces}`,
          keyring,
          dynamoDBClient: client,
          patchRetry,
        });
        await store.put('counter', { n: 0 });
        const attempts: number[] = [];
        let failures = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: writers }, async () => {
            let runsOfUpdater = 0;
            try {
              await store.patch<{ n: number }>('counter', (value) => {
                runsOfUpdater++;
                return { n: value.n + 1 };
              });
              attempts.push(runsOfUpdater);
            } catch (error) {
              if (!(error instanceof ConcurrentUpdateError)) throw error;
              failures++;
            }
          }),
        );
        const ms = performance.now() - started;
        const { n } = await store.get<{ n: number }>('counter');
        runs.push({
          successes: attempts.length,
          failures,
          lost: attempts.length - n,
          attempts,
          ms,
        });
      }
      const all = runs.flatMap((run) => run.attempts);
      rows.push({
        writers,
        policy,
        'success %': (100 * runs.reduce((sum, run) => sum + run.successes, 0)) / (writers * ROUNDS),
        'lost updates': runs.reduce((sum, run) => sum + run.lost, 0),
        'attempts p50': all.length ? percentile(all, 0.5) : 0,
        'attempts p99': all.length ? percentile(all, 0.99) : 0,
        'total ms (median)': median(runs.map((run) => run.ms)),
      });
    }
  }
  client.destroy();
  return rows;
}
