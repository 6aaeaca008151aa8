/**
 * `npm run demo`: the example app of the OCP documentation, end to end, against a fresh local
 * store (dynalite on loopback + a local keyring) or, with the three SECRETS_STORE_* variables
 * set, against AWS. It prints each step and what each operation cost.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  type Keyring,
  KmsKeyring,
  SecretsStore,
  UNINSTALLED_EVENT,
  withDefaultTimeouts,
} from '@secrets-store/core';
import {
  authenticate,
  createHandler,
  type Token,
  type TokenRateLimit,
} from '@secrets-store/example-app';
import { handle, type TaskReport } from '@secrets-store/uninstall-handler';
import type { Io } from '../commands.ts';
import { EXIT, storeError } from '../errors.ts';
import { openLocalStore } from '../local/localStore.ts';
import { OperationCounter } from './instrument.ts';

export const DEMO_NAMESPACE = 'demo-app:install-1';
const SITE_ID = 123;
const CONCURRENT_INVOCATIONS = 50;

interface DemoTarget {
  readonly description: string;
  readonly namespace: string;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  readonly keyring: Keyring;
  close(): Promise<void>;
}

async function openDemoTarget(
  environment: Record<string, string | undefined>,
): Promise<DemoTarget> {
  const {
    SECRETS_STORE_TABLE: tableName,
    SECRETS_STORE_KEY_ID: keyId,
    SECRETS_STORE_NAMESPACE: namespace,
  } = environment;
  if (tableName && keyId && namespace) {
    const client = new DynamoDBClient(withDefaultTimeouts({}));
    return {
      description: `AWS: table ${tableName}, KMS key ${keyId}`,
      namespace,
      tableName,
      client,
      keyring: new KmsKeyring({ keyId, client: new KMSClient(withDefaultTimeouts({})) }),
      close: async () => client.destroy(),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'secrets-store-demo-'));
  const local = await openLocalStore(dir);
  return {
    description: `local store in ${dir} (dynalite on loopback, local keyring)`,
    namespace: DEMO_NAMESPACE,
    tableName: local.tableName,
    client: local.client,
    keyring: local.keyring,
    close: async () => {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Step 6: the token expires while 50 invocations run at once, each in its own store (as 50
 * containers: no flight is shared in process), each calling `refresh` with a provider that
 * rotates refresh tokens. One upstream call; none gets `invalid_grant`; all get the new token.
 */
async function refreshStep(
  say: (line?: string) => void,
  plainStore: SecretsStore,
  counter: OperationCounter,
  namespace: string,
): Promise<void> {
  const atOnce = ` (${CONCURRENT_INVOCATIONS} at once)`;
  await plainStore.patch<RefreshedToken>('authToken', {
    expiresAt: Date.now() - 1000,
    refreshToken: 'refresh-0',
  });
  let upstreamCalls = 0;
  let invalidGrants = 0;
  let accepted = 'refresh-0';
  // Stands in for the partner's token endpoint: a refresh token is good for one exchange.
  const exchange = async (refreshToken: string, signal: AbortSignal) => {
    upstreamCalls += 1;
    await new Promise((resolve) => setTimeout(resolve, 100));
    signal.throwIfAborted();
    if (refreshToken !== accepted) {
      invalidGrants += 1;
      throw storeError('the token endpoint answered invalid_grant');
    }
    accepted = `refresh-${upstreamCalls}`;
    return { token: await authenticate(SITE_ID), refreshToken: accepted, expiresIn: 3600 };
  };
  const containers = Array.from({ length: CONCURRENT_INVOCATIONS }, () =>
    counter.countStore(plainStore.forNamespace(namespace), atOnce),
  );
  const started = performance.now();
  const tokens = await Promise.all(
    containers.map((store) =>
      store.refresh<RefreshedToken>('authToken', {
        needsRefresh: (token) => !token.expiresAt || token.expiresAt < Date.now() + 60_000,
        refresh: async (token, { signal }) => {
          const answer = await exchange(token.refreshToken ?? '', signal);
          return {
            ...token,
            token: answer.token,
            refreshToken: answer.refreshToken,
            expiresAt: Date.now() + answer.expiresIn * 1000,
          };
        },
      }),
    ),
  );
  const elapsedMs = performance.now() - started;
  const distinct = new Set(tokens.map((token) => token.token));
  say(
    `6. the token expired; ${CONCURRENT_INVOCATIONS} concurrent invocations (separate stores, as containers) call refresh('authToken') -> ${upstreamCalls} upstream call, ${invalidGrants} invalid_grant, all ${CONCURRENT_INVOCATIONS} got ${[...distinct].map((token) => masked(token)).join(', ')} (in ${elapsedMs.toFixed(0)} ms)`,
  );
  if (upstreamCalls !== 1 || invalidGrants !== 0 || distinct.size !== 1) {
    throw storeError(
      `refresh made ${upstreamCalls} upstream calls (${invalidGrants} invalid_grant) for one expiry, expected 1`,
    );
  }
}

interface RefreshedToken extends Token {
  refreshToken?: string;
}

/** Enough of a token to tell two apart, not enough to use one. */
const masked = (token: string) => `…${token.slice(-6)}`;

export async function runDemo(io: Io, environment = process.env): Promise<number> {
  const say = (line = '') => io.stdout.write(`${line}\n`);
  const target = await openDemoTarget(environment);
  const counter = new OperationCounter();
  counter.countDynamoDB(target.client);
  const plainStore = new SecretsStore({
    tableName: target.tableName,
    namespace: target.namespace,
    keyring: counter.countKeyring(target.keyring),
    client: target.client,
  });
  const secrets = counter.countStore(plainStore);
  const started = performance.now();
  try {
    for await (const _key of plainStore.keys()) {
      throw storeError(
        `namespace ${target.namespace} is not empty; the demo deletes everything in its namespace, so point SECRETS_STORE_NAMESPACE at an empty one`,
      );
    }
    say('Secrets Store demo');
    say(`  store:     ${target.description}`);
    say(`  namespace: ${target.namespace}`);
    say();

    const token = await authenticate(SITE_ID);
    await secrets.put<Token>('authToken', {
      token,
      siteId: SITE_ID,
      expiresAt: Date.now() + 3_600_000,
    });
    say(`1. authenticate site ${SITE_ID}, put('authToken', { token, siteId, expiresAt }) -> true`);

    say(`2. exists('authToken') -> ${await secrets.exists('authToken')}`);

    const read = await secrets.get<Token>('authToken');
    say(`3. get('authToken') -> { token: ${masked(read.token)}, siteId: ${read.siteId} }`);

    const refreshed = await authenticate(SITE_ID);
    const previous = await secrets.patch<Token>('authToken', { token: refreshed });
    const afterPatch = await secrets.get<Token>('authToken');
    say(
      `4. patch('authToken', { token }) -> previous token ${masked(previous.token)}; now ${masked(afterPatch.token)}, siteId still ${afterPatch.siteId}`,
    );
    if (afterPatch.siteId !== SITE_ID || afterPatch.token !== refreshed) {
      throw storeError('patch did not keep the site id or did not store the new token');
    }

    const atOnce = ` (${CONCURRENT_INVOCATIONS} at once)`;
    const concurrentSecrets = counter.countStore(plainStore, atOnce);
    const handler = createHandler(() => concurrentSecrets);
    const concurrentStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_INVOCATIONS }, () =>
        counter.run(`example handler${atOnce}`, () => handler({ siteId: SITE_ID })),
      ),
    );
    const concurrentMs = performance.now() - concurrentStarted;
    const rate = await secrets.get<TokenRateLimit>('rateLimit');
    say(
      `5. ${CONCURRENT_INVOCATIONS} concurrent invocations of the example handler, each patching the rate limit with a callback -> counter ${rate.counter} (all ${CONCURRENT_INVOCATIONS} in ${concurrentMs.toFixed(0)} ms)`,
    );
    if (rate.counter !== CONCURRENT_INVOCATIONS) {
      throw storeError(
        `the rate limit counter is ${rate.counter}, expected ${CONCURRENT_INVOCATIONS}`,
      );
    }

    await refreshStep(say, plainStore, counter, target.namespace);

    const typed: Token = await secrets.get<Token>('authToken');
    say(
      `7. get<Token>('authToken') -> typed: expiresAt is a ${typeof typed.expiresAt}, ${Math.round((typed.expiresAt - Date.now()) / 60_000)} min from now`,
    );

    await secrets.delete('authToken');
    say(
      `8. delete('authToken') -> true; exists('authToken') -> ${await secrets.exists('authToken')}`,
    );

    // The EventBridge event, as the queue would deliver it, handled by the real cleanup code.
    const uninstalled = {
      id: randomUUID(),
      time: new Date().toISOString(),
      'detail-type': UNINSTALLED_EVENT,
      detail: { namespace: target.namespace },
    };
    const report = (await counter.run('uninstall (cleanup handler)', () =>
      handle(
        uninstalled,
        { getRemainingTimeInMillis: () => 60_000 },
        {
          dynamodb: target.client,
          sqs: undefined, // no queue here: the 15-minute second sweep is not scheduled
          tableName: target.tableName,
          queueUrl: undefined,
          sweepDelaySeconds: 900,
        },
        () => {}, // the demo prints the report itself
      ),
    )) as TaskReport;
    const left: string[] = [];
    for await (const key of plainStore.keys()) left.push(key);
    say(
      `9. AppUninstalled handled by the cleanup handler: deleted ${report.deleted} secret${report.deleted === 1 ? '' : 's'}, complete: ${report.complete} -> keys() ${JSON.stringify(left)}`,
    );
    if (left.length > 0)
      throw storeError(`the namespace still holds ${left.length} secrets after uninstall`);

    say();
    say('What each operation cost');
    const header = ['operation', 'calls', 'DynamoDB', 'keyring', 'per call', 'avg ms'];
    const rows = [...counter.rows].map(([operation, row]) => [
      operation,
      String(row.calls),
      String(row.dynamodb),
      String(row.keyring),
      `${(row.dynamodb / row.calls).toFixed(1)} + ${(row.keyring / row.calls).toFixed(1)}`,
      (row.ms / row.calls).toFixed(1),
    ]);
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
    );
    for (const row of [header, ...rows]) {
      say(
        `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')}`,
      );
    }
    say();
    say(
      `"per call" is DynamoDB requests + keyring calls. Rows marked "${atOnce.trim()}" ran concurrently (the example handler and the store operations it made): their "avg ms" is each call's latency under that load, not comparable with the rows above them, which ran one at a time. Concurrent patches of one record in one process share writes (group commit), so a patch may cost less than one request.`,
    );
    say(`Done in ${(performance.now() - started).toFixed(0)} ms.`);
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
