/**
 * Cancellation (DESIGN.md, "Deadlines and cancellation"): every operation takes
 * `{ signal?: AbortSignal }`. A caller that aborts leaves at once, even while it waits on work
 * it shares with other callers (a single flight, a group commit, a shared read): the shared work
 * goes on for them, and only the caller's own wait ends. What the operation then reports
 * (`StorageError`, or for a write whose copy may land `OutcomeUnknownError`) is decided where
 * the operation knows it; here are the means.
 */
import { setMaxListeners } from 'node:events';
import { InvalidValueError } from './errors.ts';
import { noteRetry } from './observability/operationMeter.ts';

/** A caller's options that can carry a signal. */
export interface SignalOptions {
  /** Aborts the operation: it rejects at once, with the signal's reason as the error's cause. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Where the store stopped waiting because the caller's signal aborted. Internal: each operation
 * turns it into its own typed error (a StorageError for a read), with `reason` as the cause.
 */
export class Aborted extends Error {
  readonly reason: unknown;

  constructor(reason: unknown) {
    super('the caller aborted', { cause: reason });
    this.name = 'AbortError';
    this.reason = reason;
  }
}

/** Whether `value` is an AbortSignal: Node's, or one from another realm or polyfill. */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  const candidate = value as Partial<AbortSignal> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function'
  );
}

/** Precondition: a signal is an AbortSignal or absent, checked before any call. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || isAbortSignal(signal)) return signal;
  throw new InvalidValueError(
    'signal',
    `signal must be an AbortSignal, received ${signal === null ? 'null' : typeof signal}`,
  );
}

/**
 * How a message names an abort's reason: its name only (`TimeoutError` for
 * `AbortSignal.timeout`, `AbortError` for `abort()`), never its message, which is the caller's.
 */
export function reasonName(reason: unknown): string {
  if (reason instanceof Error) return reason.name;
  if (typeof DOMException !== 'undefined' && reason instanceof DOMException) return reason.name;
  return reason === undefined ? 'AbortError' : typeof reason;
}

/**
 * The signal one operation listens to: it aborts with the caller's, with the same reason. The
 * store's own listeners (a race, a sleep, the SDK's per request) go on it, not on the caller's:
 * Node warns past 10 listeners on one signal, and a rewrap, a getMany or a purge with a signal
 * adds more than that; this one is the store's own, so its limit is lifted. The caller's signal
 * gets none that outlive the operation (`AbortSignal.any` follows it without a listener).
 */
export function operationSignal(signal: unknown): AbortSignal | undefined {
  const given = checkSignal(signal);
  if (given === undefined || given.aborted || typeof AbortSignal.any !== 'function') return given;
  const own = AbortSignal.any([given]);
  setMaxListeners(0, own);
  return own;
}

/** Throws {@link Aborted} when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Aborted(signal.reason);
}

/**
 * `work`, or {@link Aborted} as soon as `signal` aborts, whichever comes first. `work` is not
 * stopped (it may be shared); its later failure is not left unhandled.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Aborted(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(new Aborted(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Sleeps `ms`, or throws {@link Aborted} as soon as `signal` aborts. Only store-level retries
 * wait here (backoff.ts): each counts as one more attempt of the operation.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  noteRetry();
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Aborted(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether `error` came of the caller's abort (and not of something else that failed meanwhile):
 * {@link Aborted}, the signal's reason itself, or an error whose causes hold either, or the
 * SDK's `AbortError` (a KMS or DynamoDB call aborted by the signal).
 */
export function causedByAbort(error: unknown, reason: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth++) {
    if (current === reason || current instanceof Aborted) return true;
    if (!(current instanceof Error)) return false;
    if (current.name === 'AbortError') return true;
    current = current.cause;
  }
  return false;
}
