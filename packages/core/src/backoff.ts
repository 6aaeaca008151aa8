/**
 * Every store-level retry: the policies (how often, how patiently) as named constants, and the
 * one sleep they all take ({@link backOff}, or for a lost race {@link ContentionBackoff}'s
 * window through the same {@link sleepUnlessAborted}), so that each counts once as a retry.
 */
import { sleepUnlessAborted } from './abort.ts';
import { ConfigurationError } from './errors.ts';

/**
 * How often and how patiently a call is retried: a purge's `UnprocessedItems` and cancelled
 * transactions ({@link PURGE_RETRY}), or a write that lost races ({@link PatchRetryOptions}).
 */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 8 (a purge) */
  readonly maxAttempts?: number;
  /** The first backoff window; it doubles per attempt. @default 50 (a purge) */
  readonly baseDelayMs?: number;
  /** Largest backoff window. @default 5000 (a purge) */
  readonly maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

/** How a conditional write that keeps losing races is retried: patch, field deletes, rewrap. */
export interface PatchRetryOptions extends RetryOptions {
  /**
   * Smallest round trip the backoff window is scaled from: the window after a lost race spans 16
   * observed round trips (at least 16 x this) and grows by a quarter per further loss. @default 2
   */
  readonly baseDelayMs?: number;
  /** Largest backoff window. @default 1000 */
  readonly maxDelayMs?: number;
  /**
   * Attempts in all, the first included. @default unlimited: `budgetMs` decides. A budget of
   * time, not of attempts: the more writers race, the more attempts each needs, while the time
   * they all take grows with their number, not with the attempts (npm run bench, contention).
   */
  readonly maxAttempts?: number;
  /**
   * How long a write may keep losing races, from its first attempt, before
   * ConcurrentUpdateError. Keep it below the function's timeout. @default 20000
   */
  readonly budgetMs?: number;
}

export type PatchRetryPolicy = Required<PatchRetryOptions>;

/**
 * Defaults sized for the worst case the design names: 200 Lambdas patching one key at once all
 * succeed (see the contention test and `npm run bench`).
 */
export const DEFAULT_PATCH_RETRY: PatchRetryPolicy = {
  maxAttempts: Number.POSITIVE_INFINITY,
  budgetMs: 20_000,
  baseDelayMs: 2,
  maxDelayMs: 1000,
};

/**
 * A purge's retries of `UnprocessedItems` and of transactions cancelled by a conflict: a purge
 * runs in the background (an uninstall, an operator's command), so it waits longer (a window
 * of up to 5 s, about 6.4 s in all at worst) rather than give up on a throttled table.
 */
export const PURGE_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 };

/**
 * getMany's retries of `UnprocessedKeys`: about 3.5 s in all at worst before the keys left are
 * an error, because a caller is waiting on the read.
 */
export const BATCH_READ_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1000 };

/**
 * How many times a write is sent again while a copy of it may still land and its condition
 * still holds. A copy in doubt ends the SDK's send (copyAnswers.ts), and the store re-sends only
 * after a read succeeded, so a network that is down ends at the read, with OutcomeUnknownError.
 */
export const MAX_RESENDS = 4;

/** The sleep before a re-send: DynamoDB may be failing (5xx) or throttling, so not at once. */
export const RESEND_BACKOFF: RetryPolicy = {
  maxAttempts: MAX_RESENDS,
  baseDelayMs: 25,
  maxDelayMs: 1000,
};

export function retryPolicy<Policy extends RetryPolicy>(
  options: Partial<Policy> | undefined,
  defaults: Policy,
  name: string,
): Policy {
  const policy = { ...defaults, ...definedOnly(options ?? {}) };
  const unlimited = policy.maxAttempts === Number.POSITIVE_INFINITY;
  if (!unlimited && (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)) {
    throw new ConfigurationError(
      `${name}.maxAttempts must be an integer of at least 1, received ${policy.maxAttempts}`,
    );
  }
  const budget = (policy as Partial<PatchRetryPolicy>).budgetMs;
  if (budget !== undefined && !(budget > 0)) {
    throw new ConfigurationError(`${name}.budgetMs must be a number above 0, received ${budget}`);
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

/** How many round trips the first contention window spans, and how it grows per conflict. */
const CONTENTION_SPREAD = 16;
const CONTENTION_GROWTH = 1.25;

/**
 * The sleep before retrying a write that lost its `conflicts`-th race: full jitter on a window
 * of 16 observed round trips (or `baseDelayMs`, if longer) that grows by a quarter per conflict,
 * capped by `maxDelayMs`. Scaled to the server, not to a constant: a loaded server answers
 * slowly and the writers spread out further; an idle one is not left waiting. The figures were
 * chosen by comparing candidates with `npm run bench -- contention`: with them 100 writers in
 * separate stores finish within 4x the time of the same patches one after another.
 */
export function contentionDelay(
  conflicts: number,
  roundTripMs: number,
  policy: RetryPolicy,
): number {
  const window =
    Math.max(policy.baseDelayMs, roundTripMs) *
    CONTENTION_SPREAD *
    CONTENTION_GROWTH ** (conflicts - 1);
  return Math.random() * Math.min(policy.maxDelayMs, window);
}

/**
 * The retries of one conditional write that lost races: how long to sleep before the next
 * attempt, or `undefined` once the attempts or the time budget are spent (the sleep would end
 * past the budget). Started when the write's first attempt starts.
 */
export class ContentionBackoff {
  readonly #policy: PatchRetryPolicy;
  readonly #started = performance.now();

  constructor(policy: PatchRetryPolicy) {
    this.#policy = policy;
  }

  /** The milliseconds spent since the first attempt. */
  get elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /** After the `attempt`-th attempt lost (it took `roundTripMs`): the sleep before the next. */
  next(attempt: number, roundTripMs: number): number | undefined {
    if (attempt >= this.#policy.maxAttempts) return undefined;
    const delay = contentionDelay(attempt, roundTripMs, this.#policy);
    return this.elapsedMs + delay < this.#policy.budgetMs ? delay : undefined;
  }
}

/**
 * The sleep before the next attempt after the `attempt`-th failed: full jitter on `policy`
 * ({@link fullJitterDelay}), ended by `signal` as {@link sleepUnlessAborted} ends it. Every
 * jittered retry (a re-send, unprocessed keys or items, a cancelled transaction) waits here.
 */
export function backOff(
  attempt: number,
  policy: RetryPolicy,
  signal?: AbortSignal | undefined,
): Promise<void> {
  return sleepUnlessAborted(fullJitterDelay(attempt, policy), signal);
}
