import { ConfigurationError } from './errors.ts';

/** How often and how patiently a conflicting write is retried. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 40 */
  readonly maxAttempts?: number;
  /**
   * Smallest cap of the first backoff; the store uses the observed round trip when it is
   * longer, and doubles the cap on every further attempt. @default 2
   */
  readonly baseDelayMs?: number;
  /** Largest backoff cap. @default 1000 */
  readonly maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

/**
 * Defaults sized for the worst case the design names: 100 Lambdas patching one key at once
 * all succeed (see the contention test and `npm run bench`).
 */
export const DEFAULT_PATCH_RETRY: RetryPolicy = {
  maxAttempts: 40,
  baseDelayMs: 2,
  maxDelayMs: 1000,
};

export function retryPolicy(
  options: RetryOptions | undefined,
  defaults: RetryPolicy,
  name: string,
): RetryPolicy {
  const policy = { ...defaults, ...definedOnly(options ?? {}) };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new ConfigurationError(
      `${name}.maxAttempts must be an integer of at least 1, received ${policy.maxAttempts}`,
    );
  }
  for (const field of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(policy[field]) || policy[field] < 0) {
      throw new ConfigurationError(
        `${name}.${field} must be a number of at least 0, received ${policy[field]}`,
      );
    }
  }
  return policy;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform delay between 0
 * and min(maxDelay, base * 2^(attempt-1)), which spreads contenders out better than fixed steps.
 */
export function fullJitterDelay(attempt: number, policy: RetryPolicy): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.random() * cap;
}

/**
 * The backoff of a conflicting write before its `retry`-th retry, as full jitter on a cap that
 * starts at the write's observed round trip (or `baseDelayMs`, if longer) and doubles: a sleep
 * sized to the server, not to a constant, so the server does not idle while writers wait.
 */
export function contentionDelay(retry: number, roundTripMs: number, policy: RetryPolicy): number {
  const cap = Math.min(
    policy.maxDelayMs,
    Math.max(policy.baseDelayMs, roundTripMs) * 2 ** (retry - 1),
  );
  return Math.random() * cap;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
