/**
 * Moving secrets to another key: `rewrap` (AWS: a namespace or every namespace, to the current
 * KMS key) and `rotate-key` (the local store: a new master key, every secret re-wrapped, the old
 * key retired). Each prints a JSON summary on stdout and exits 3 when any secret failed.
 */
import { listNamespaces } from '@secrets-store/core';
import type { Io } from './commands.ts';
import { EXIT, usageError } from './errors.ts';
import { retirePreviousMasterKeys } from './local/keyFiles.ts';
import { startOrResumeRotation } from './local/rotateKey.ts';
import { printJson } from './output.ts';
import { startProgress } from './progress.ts';
import { describeFailures, type RewrapReport, rewrapNamespaces } from './rewrapNamespaces.ts';
import { openTable, type TargetOptions } from './target.ts';

export interface RewrapCommandOptions extends TargetOptions {
  readonly allNamespaces?: boolean;
}

/** KMS calls in flight per namespace: ReEncrypt is a network round trip worth overlapping. */
const AWS_CONCURRENCY = 8;

/**
 * Local secrets go one at a time (dynalite runs in this process): 1000 secrets take about 6 s,
 * against about 4 s four at a time, and one at a time the crash hook below stops at an exact
 * secret, which the crash test relies on.
 */
const LOCAL_CONCURRENCY = 1;

/**
 * For the crash test only: `rotate-key` kills its own process (SIGKILL, as a power cut would)
 * right after this many secrets have been re-wrapped, with both keys on disk.
 */
const CRASH_AFTER_VARIABLE = 'SECRETS_STORE_TEST_CRASH_AFTER';

function reportFailures(report: RewrapReport, io: Io, advice: string): number {
  if (report.failed === 0) return EXIT.ok;
  io.stderr.write(`secrets-store: ${describeFailures(report)}; ${advice}\n`);
  return EXIT.store;
}

export async function rewrapCommand(
  options: RewrapCommandOptions,
  environment: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  if (options.local !== undefined && options.local !== false) {
    throw usageError(
      'rewrap is for AWS; a local store moves to a new master key with: secrets-store --local [dir] rotate-key',
    );
  }
  if (options.allNamespaces && options.namespace !== undefined) {
    throw usageError('--all-namespaces cannot be combined with --namespace: choose one');
  }
  const table = await openTable(options, environment, 'write', false);
  try {
    let namespaces: string[];
    if (options.allNamespaces) {
      namespaces = await listNamespaces({ client: table.client, tableName: table.tableName });
    } else if (table.namespace !== undefined) {
      namespaces = [table.namespace];
    } else {
      throw usageError(
        'rewrap needs --namespace (or SECRETS_STORE_NAMESPACE), or --all-namespaces for every namespace of the table',
      );
    }
    const progress = startProgress('rewrapping', io.stderr);
    let report: RewrapReport;
    try {
      report = await rewrapNamespaces({
        client: table.client,
        tableName: table.tableName,
        keyring: table.keyring,
        namespaces,
        concurrency: AWS_CONCURRENCY,
        onProgress: (done) => progress.update(done),
      });
    } finally {
      progress.stop();
    }
    printJson(report, io.stdout);
    return reportFailures(
      report,
      io,
      'give the key each was wrapped by with --previous-key-id, then run rewrap again',
    );
  } finally {
    await table.close();
  }
}

export async function rotateKeyCommand(
  options: TargetOptions,
  environment: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  if (options.local === undefined || options.local === false) {
    throw usageError(
      'rotate-key is for the local store (--local [dir]); against AWS, deploy the new KMS key id with the old one as a previous key, then run: secrets-store rewrap --all-namespaces',
    );
  }
  if (options.namespace !== undefined) {
    throw usageError('rotate-key re-wraps every namespace of the local store; drop --namespace');
  }
  const crashAfter = parseCrashAfter(environment[CRASH_AFTER_VARIABLE]);
  // 'read': a folder with no store is refused, never created. The lock is held throughout.
  const table = await openTable(options, environment, 'read', false);
  try {
    const dir = table.localDir as string;
    const { keyring, resumed } = await startOrResumeRotation(dir);
    const namespaces = await listNamespaces({ client: table.client, tableName: table.tableName });
    const progress = startProgress('rewrapping', io.stderr);
    let report: RewrapReport;
    try {
      report = await rewrapNamespaces({
        client: table.client,
        tableName: table.tableName,
        keyring,
        namespaces,
        concurrency: LOCAL_CONCURRENCY,
        onProgress: (done) => {
          progress.update(done);
          if (done === crashAfter) process.kill(process.pid, 'SIGKILL');
        },
      });
    } finally {
      progress.stop();
    }
    // The old keys go only once no secret needs them.
    const retiredKeys = report.failed === 0 ? await retirePreviousMasterKeys(dir) : 0;
    printJson({ resumed, ...report, retiredKeys }, io.stdout);
    return reportFailures(
      report,
      io,
      'the previous keys stay in place; fix or delete those secrets, then run rotate-key again to finish',
    );
  } finally {
    await table.close();
  }
}

function parseCrashAfter(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw usageError(
      `${CRASH_AFTER_VARIABLE} must be a positive integer, received ${JSON.stringify(value)}`,
    );
  }
  return count;
}
