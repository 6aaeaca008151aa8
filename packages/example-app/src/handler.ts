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

/** A handler bound to a store; `handler` below binds it to `storage.secrets`. */
export function createHandler(secrets: () => SecretsStore) {
  return async (event: ExampleEvent): Promise<ExampleResult> => {
    const store = secrets();
    const now = Date.now();
    let authenticated = false;
    let refreshed = false;

    if (!(await store.exists('authToken'))) {
      const token = await authenticate(event.siteId);
      await store.put<Token>('authToken', {
        token,
        siteId: event.siteId,
        expiresAt: now + TOKEN_LIFETIME_MS,
      });
      authenticated = true;
    }
    const token = await store.get<Token>('authToken');
    if (token.expiresAt < now + REFRESH_MARGIN_MS) {
      // update the token without changing the site id
      await store.patch<Token>('authToken', {
        token: await authenticate(event.siteId),
        expiresAt: now + TOKEN_LIFETIME_MS,
      });
      refreshed = true;
    }

    const currentHour = Math.floor(now / 3_600_000);
    const cost = event.apiCallCost ?? 1;
    await store.patch<TokenRateLimit>('rateLimit', (value) => {
      if (value.hour !== currentHour) {
        value.hour = currentHour;
        value.counter = 0;
      }
      value.counter += cost;
      return value;
    });
    const { counter } = await store.get<TokenRateLimit>('rateLimit', ['counter']);
    return { siteId: event.siteId, authenticated, refreshed, callsThisHour: counter };
  };
}

export const handler = createHandler(() => storage.secrets);
