/**
 * Moving a namespace to the keyring's current key (`store.rewrap()`): the walk over its keys,
 * with bounded concurrency, a progress callback and a summary. What happens to one secret is
 * the write loop's business (a conditional write on its `writeId`, see writeLoop.ts).
 */
import { throwIfAborted } from './abort.ts';
import { ConfigurationError, SecretsStoreError } from './errors.ts';

/** What happened to one secret. */
export type RewrapOutcome =
  /** Its data key is now wrapped by the current key. */
  | 'moved'
  /** It was already (a rerun, or a write since then used the current key). */
  | 'current'
  /** It was deleted while the rewrap ran: nothing to move. */
  | 'gone';

export interface RewrapProgress {
  /** Secrets whose data key this run wrapped again under the current key. */
  readonly moved: number;
  /** Secrets already on the current key: nothing to do. */
  readonly alreadyCurrent: number;
  /** Secrets that could not be moved (listed in the summary). */
  readonly failed: number;
}

export interface RewrapFailure {
  readonly key: string;
  /** Why: e.g. a DecryptionError for a key in neither of the keyring's lists. Never a value. */
  readonly error: SecretsStoreError;
}

export interface RewrapSummary extends RewrapProgress {
  readonly failures: readonly RewrapFailure[];
}

export interface RewrapOptions {
  /** Called after each secret with the running counts, e.g. for a progress bar. */
  readonly onProgress?: (progress: RewrapProgress) => void;
  /** Secrets moved at once. @default 4 */
  readonly concurrency?: number;
  /**
   * Aborts the rewrap: no secret starts after it, those in flight are told as their writes
   * decide, and the rewrap rejects with a `StorageError` (cause: the signal's reason). A rerun
   * resumes where it stopped. @default none
   */
  readonly signal?: AbortSignal;
}

/**
 * Runs `rewrapOne` over every key with at most `concurrency` in flight. A secret that fails
 * with a SecretsStoreError is listed and the walk goes on; anything else (a bug) stops it.
 */
export async function rewrapKeys(
  keys: AsyncIterable<string>,
  rewrapOne: (key: string) => Promise<RewrapOutcome>,
  options: RewrapOptions = {},
): Promise<RewrapSummary> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(
      `rewrap concurrency must be a positive integer, received ${concurrency}`,
    );
  }
  let moved = 0;
  let alreadyCurrent = 0;
  const failures: RewrapFailure[] = [];
  // An async generator queues concurrent next() calls, so workers can share one iterator.
  const iterator = keys[Symbol.asyncIterator]();
  const worker = async () => {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      throwIfAborted(options.signal);
      const key = next.value;
      try {
        const outcome = await rewrapOne(key);
        if (outcome === 'moved') moved++;
        else if (outcome === 'current') alreadyCurrent++;
      } catch (error) {
        if (!(error instanceof SecretsStoreError)) throw error;
        // Aborted: the walk stops; what the aborted write was told is the rewrap's error.
        if (options.signal?.aborted) throw error;
        failures.push({ key, error });
      }
      options.onProgress?.({ moved, alreadyCurrent, failed: failures.length });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { moved, alreadyCurrent, failed: failures.length, failures };
}
