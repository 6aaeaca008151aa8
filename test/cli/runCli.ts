/**
 * Runs the built CLI as a child process, for the CLI tests.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(import.meta.dirname, '../../packages/cli/bin/secrets-store.mjs');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The signal that ended the process, if one did (a forced crash). */
  readonly signal?: NodeJS.Signals | null;
}

/** No SECRETS_STORE_* from the environment of whoever runs the tests. */
export const CLEAN_ENVIRONMENT = {
  SECRETS_STORE_TABLE: '',
  SECRETS_STORE_KEY_ID: '',
  SECRETS_STORE_NAMESPACE: '',
};

export function runCli(
  args: readonly string[],
  options: { cwd: string; input?: string; env?: Record<string, string>; timeoutMs?: number },
): CliResult {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, ...CLEAN_ENVIRONMENT, ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    signal: result.signal,
  };
}

/**
 * Runs the CLI against "AWS" served by this process (dynalite and the KMS stand-in behind the
 * SDK's endpoint variables): asynchronously, since the servers it talks to live in this
 * process and a synchronous spawn would block them.
 */
export function runCliAgainst(
  endpoints: { readonly dynamodb: string; readonly kms: string },
  args: readonly string[],
  environment: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_KMS: endpoints.kms,
        ...CLEAN_ENVIRONMENT,
        SECRETS_STORE_PREVIOUS_KEY_IDS: '',
        ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, stdout, stderr, signal }));
  });
}

/** A failure: the exit code, nothing on stdout, one `secrets-store:` line on stderr, no stack. */
export function expectOneLineError(result: CliResult, code: number, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^secrets-store: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(code);
}
