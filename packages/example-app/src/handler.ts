/**
 * An example Lambda of a multi-tenant app: it keeps its partner API token and an hourly rate
 * limit in `storage.secrets`, as the OCP documentation shows. The stack deploys it with the grant
 * and the environment variables of the secrets store; the demo runs it locally.
 */
import { type SecretsStore, storage } from '@secrets-store/core';

export interface Token {
  token: string;
  siteId: number;
  expiresAt: number;
}

export interface TokenRateLimit {
  counter: number;
  hour: number;
}

export interface ExampleEvent {
  readonly siteId: number;
  /** What one call to the partner API costs against the hourly limit. @default 1 */
  readonly apiCallCost?: number;
}

export interface ExampleResult {
  readonly siteId: number;
  readonly authenticated: boolean;
  readonly refreshed: boolean;
  readonly callsThisHour: number;
}

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const REFRESH_MARGIN_MS = 60 * 1000;

/** Stands in for the partner's OAuth endpoint. */
export async function authenticate(siteId: number): Promise<string> {
  return `token-${siteId}-${crypto.randomUUID()}`;
}

/** The rate limit after one more call of `cost` at `hour`: a new hour starts from zero. */
export function nextRateLimit(
  previous: Partial<TokenRateLimit>,
  hour: number,
  cost: number,
): TokenRateLimit {
  const counter = previous.hour === hour ? (previous.counter ?? 0) : 0;
  return { hour, counter: counter + cost };
}

/**
 * A handler bound to a store; `handler` below binds it to `storage.secrets`.
 *
 * Warm, it makes one read of the token and one atomic patch of the rate limit (3 DynamoDB
 * requests, no KMS call): no `exists` before a `get` (a get of an absent secret is `{}`), no
 * check-then-put (the token is written with `patch`, whose result says what it replaced), and no
 * read after a patch (the patch resolves to the previous value, so the new one is computed).
 */
export function createHandler(secrets: () => SecretsStore) {
  return async (event: ExampleEvent): Promise<ExampleResult> => {
    const store = secrets();
    const now = Date.now();
    let authenticated = false;
    let refreshed = false;

    const saved = await store.get<Partial<Token>>('authToken');
    if (saved.token === undefined || (saved.expiresAt ?? 0) < now + REFRESH_MARGIN_MS) {
      // A new or refreshed token, the site id kept: one atomic write, whatever raced it.
      const previous = await store.patch<Token>('authToken', {
        token: await authenticate(event.siteId),
        siteId: event.siteId,
        expiresAt: now + TOKEN_LIFETIME_MS,
      });
      authenticated = previous.token === undefined;
      refreshed = !authenticated;
    }

    const hour = Math.floor(now / 3_600_000);
    const cost = event.apiCallCost ?? 1;
    const previous = await store.patch<TokenRateLimit>('rateLimit', (value) =>
      nextRateLimit(value, hour, cost),
    );
    // The patch applied nextRateLimit to exactly this previous value.
    const { counter } = nextRateLimit(previous, hour, cost);
    return { siteId: event.siteId, authenticated, refreshed, callsThisHour: counter };
  };
}

export const handler = createHandler(() => storage.secrets);
