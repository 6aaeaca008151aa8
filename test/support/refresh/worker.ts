/**
 * One container of the cross-process refresh tests: its own process, DynamoDB client and store.
 * Configured by a JSON argument ({@link WorkerConfig}); prints `ready`, waits for `go` on stdin
 * (so that every process starts at once), then runs `callers` concurrent refreshes of one token
 * against the fake OAuth endpoint and prints one JSON line of what each caller got. In `hold`
 * mode it takes the lease and prints `entered` from inside the refresh callback, then hangs there
 * (the test SIGKILLs it).
 */
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, SecretsStore } from '@secrets-store/core';

export interface WorkerConfig {
  readonly endpoint: string;
  readonly tableName: string;
  readonly namespace: string;
  readonly masterKeyHex: string;
  readonly oauthUrl: string;
  readonly key: string;
  readonly callers: number;
  readonly leaseMs: number;
  readonly mode: 'refresh' | 'hold';
}

/** What a caller got: the stored token, or the error's name and code (never a value). */
export type CallerOutcome =
  | { readonly token: string; readonly refreshToken: string; readonly siteId: unknown }
  | { readonly error: string; readonly code?: string };

interface Token {
  token: string;
  refreshToken: string;
  expiresAt: number;
  siteId?: number;
}

const config = JSON.parse(process.argv[2] as string) as WorkerConfig;
const store = new SecretsStore({
  tableName: config.tableName,
  namespace: config.namespace,
  keyring: new LocalKeyring({ masterKey: Buffer.from(config.masterKeyHex, 'hex') }),
  client: new DynamoDBClient({
    endpoint: config.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
});

async function exchange(refreshToken: string, signal: AbortSignal) {
  const response = await fetch(config.oauthUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    signal,
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`the token endpoint answered ${String(body.error)}`);
  return body as { access_token: string; refresh_token: string; expires_in: number };
}

const needsRefresh = (token: Partial<Token>) =>
  !token.expiresAt || token.expiresAt < Date.now() + 60_000;

async function caller(): Promise<CallerOutcome> {
  try {
    const token = await store.refresh<Partial<Token>>(config.key, {
      needsRefresh,
      refresh: async (current, { signal }) => {
        if (config.mode === 'hold') {
          process.stdout.write('entered\n');
          await new Promise(() => {});
        }
        const answer = await exchange(current.refreshToken as string, signal);
        return {
          ...current,
          token: answer.access_token,
          refreshToken: answer.refresh_token,
          expiresAt: Date.now() + answer.expires_in * 1000,
        };
      },
      leaseMs: config.leaseMs,
    });
    return {
      token: token.token as string,
      refreshToken: token.refreshToken as string,
      siteId: token.siteId,
    };
  } catch (error) {
    return { error: (error as Error).name, code: (error as { code?: string }).code };
  }
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== 'go') continue;
  const outcomes = await Promise.all(Array.from({ length: config.callers }, () => caller()));
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
  process.exit(0);
}
