/**
 * The options of `refresh` (DESIGN.md, "Coordinated refresh (leases)") and their
 * preconditions, checked before any call.
 */
import { checkSignal } from './abort.ts';
import { ConfigurationError } from './errors.ts';
import type { ValueHash } from './values.ts';

/** What the `refresh` callback gets besides the value. */
export interface RefreshContext {
  /**
   * Aborts when this caller loses the lease (then nothing it returns is stored) or when every
   * caller waiting for it aborted. Pass it to `fetch` so that a lost lease stops the upstream call.
   */
  readonly signal: AbortSignal;
}

export interface RefreshOptions<T extends object = ValueHash> {
  /** Whether the stored value (`{}` when there is none) must be refreshed; synchronous. */
  readonly needsRefresh: (value: T) => boolean;
  /**
   * Called at most once across every container per expiry, by the lease holder, with a copy of
   * the stored value; resolves to the next value. The fields it changes (or removes) are written
   * over the item as it is then. If it throws, nothing is written, the lease is released at once
   * and its error reaches the caller unchanged.
   */
  readonly refresh: (value: T, context: RefreshContext) => T | Promise<T>;
  /** How long a silent holder keeps the lease; it renews it every third of this. @default 10000 */
  readonly leaseMs?: number;
  /** How long to wait for another caller's lease before {@link RefreshTimeoutError}. @default 3 x leaseMs */
  readonly waitMs?: number;
  /**
   * Aborts this caller's wait: it rejects at once with a `StorageError` whose cause is the
   * signal's reason; a running refresh goes on for the other callers.
   */
  readonly signal?: AbortSignal;
}

export interface CheckedOptions {
  readonly needsRefresh: (value: ValueHash) => boolean;
  readonly refresh: (value: ValueHash, context: RefreshContext) => unknown;
  readonly leaseMs: number;
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
}

export const DEFAULT_LEASE_MS = 10_000;
/** Below this a heartbeat (every third) would beat faster than DynamoDB answers under load. */
const MIN_LEASE_MS = 100;

/** Preconditions of `refresh`'s options: two functions, durations in range, a real signal. */
export function checkRefreshOptions(options: unknown): CheckedOptions {
  const given = (options ?? {}) as Partial<RefreshOptions<ValueHash>>;
  for (const name of ['needsRefresh', 'refresh'] as const) {
    if (typeof given[name] !== 'function') {
      throw new ConfigurationError(
        `refresh needs the option ${name} (a function), received ${describe(given[name])}`,
      );
    }
  }
  const leaseMs = given.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < MIN_LEASE_MS) {
    throw new ConfigurationError(
      `refresh's leaseMs must be an integer of at least ${MIN_LEASE_MS}, received ${describe(given.leaseMs)}`,
    );
  }
  const waitMs = given.waitMs ?? 3 * leaseMs;
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    throw new ConfigurationError(
      `refresh's waitMs must be a number of at least 0, received ${describe(given.waitMs)}`,
    );
  }
  const signal = checkSignal(given.signal);
  return {
    needsRefresh: given.needsRefresh as CheckedOptions['needsRefresh'],
    refresh: given.refresh as CheckedOptions['refresh'],
    leaseMs,
    waitMs,
    signal,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return typeof value;
}
