/**
 * What the two purges share (purgeNamespace.ts, purgeWrittenBefore.ts): their options, the
 * Query of a namespace's keys, and the run that deletes them page after page in groups with a
 * small worker pool. Both skip reserved sort keys (the lifecycle record), stop starting work at
 * a deadline, and give up with an exact {@link PurgeIncompleteError}: the count deleted, and
 * every key still left in the namespace at that moment, across workers and pages.
 */
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { RetryOptions } from './backoff.ts';
import { callDynamo, sendDynamo } from './dynamoCall.ts';
import { ConfigurationError, PurgeIncompleteError } from './errors.ts';
import { type Item, isTombstone, keyOf, queryKeysInput } from './item/index.ts';
import { RESERVED_KEY_PREFIX } from './keys.ts';

export interface PurgeOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  /** Epoch ms after which no new delete starts; the result then says `complete: false`. @default none */
  readonly deadline?: number;
  /**
   * Delete calls in flight at once.
   * @default 4 (purgeNamespace: 25 keys a call; purgeWrittenBefore: 100 keys a call)
   */
  readonly concurrency?: number;
  /** Retries of UnprocessedItems, and of transactions cancelled by a conflict. @default { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 } (PURGE_RETRY) */
  readonly retry?: RetryOptions;
  /** Called after each delete call with the running count, e.g. for a progress bar. */
  readonly onProgress?: (deleted: number) => void;
  /**
   * Aborts the purge: no new call starts, the calls in flight are aborted, and it ends in a
   * {@link PurgeIncompleteError} (cause: the signal's reason) that says what it deleted.
   * @default none
   */
  readonly signal?: AbortSignal | undefined;
}

export interface PurgeResult {
  /** Secrets deleted by this call (reserved items and tombstones are never counted). */
  readonly deleted: number;
  /** False when the deadline stopped the purge before it was done. */
  readonly complete: boolean;
}

export interface GroupOutcome {
  readonly deleted: number;
  readonly spared: number;
  /** Keys this group gave up on. */
  readonly left: readonly string[];
  /** Why it gave up, when a call failed (rather than retries running out). */
  readonly error?: unknown;
}

export interface Page {
  /** The secrets' keys. */
  readonly keys: readonly string[];
  /** Keys of tombstones (what deletes leave for a day): deleted too, never counted as secrets. */
  readonly tombstones: readonly string[];
  readonly next: Item | undefined;
}

/** A group of keys to delete in one go; only groups of secrets count and can fail a purge. */
interface Group {
  readonly keys: readonly string[];
  readonly secrets: boolean;
}

export interface Strategy {
  readonly groupSize: number;
  readonly defaultConcurrency: number;
  readonly query: (startKey: Item | undefined) => Promise<Page>;
  readonly deleteGroup: (keys: readonly string[]) => Promise<GroupOutcome>;
}
/**
 * Page after page: split the page's keys into groups and delete them with a small worker pool.
 * When a group gives up, no new group starts; the groups in flight finish, and the keys left
 * are everything not deleted: the groups' leftovers, the groups never started, and the keys of
 * the pages not yet read (listed with further Queries).
 */
export async function runPurge(
  options: PurgeOptions,
  strategy: Strategy,
): Promise<{ deleted: number; spared: number; complete: boolean }> {
  const { namespace, deadline, signal } = options;
  const concurrency = options.concurrency ?? strategy.defaultConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(`concurrency must be a positive integer, received ${concurrency}`);
  }
  const pastDeadline = () => deadline !== undefined && Date.now() >= deadline;
  let deleted = 0;
  let spared = 0;

  let startKey: Item | undefined;
  do {
    if (pastDeadline()) return { deleted, spared, complete: false };
    if (signal?.aborted) throw abortedPurge(namespace, deleted, [], signal.reason);
    const page = await strategy.query(startKey);
    const groups: Group[] = [];
    for (const [keys, secrets] of [
      [page.keys, true],
      [page.tombstones, false],
    ] as const) {
      for (let start = 0; start < keys.length; start += strategy.groupSize) {
        groups.push({ keys: keys.slice(start, start + strategy.groupSize), secrets });
      }
    }
    let next = 0;
    let stoppedByDeadline = false;
    const left: string[] = [];
    let gaveUp = false;
    let firstError: unknown;
    const worker = async () => {
      while (next < groups.length && !gaveUp) {
        if (signal?.aborted) {
          gaveUp = true;
          return;
        }
        if (pastDeadline()) {
          stoppedByDeadline = true;
          return;
        }
        const group = groups[next++] as Group;
        const outcome = await strategy.deleteGroup(group.keys);
        // A tombstone left behind holds no value and expires with the table's TTL.
        if (!group.secrets) continue;
        deleted += outcome.deleted;
        spared += outcome.spared;
        options.onProgress?.(deleted);
        if (outcome.left.length > 0) {
          gaveUp = true;
          left.push(...outcome.left);
          firstError ??= outcome.error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
    if (gaveUp) {
      left.push(...groups.slice(next).flatMap((group) => (group.secrets ? group.keys : [])));
      // Aborted: the caller wants no more calls, not even the Queries that would list the rest.
      if (signal?.aborted) throw abortedPurge(namespace, deleted, left, signal.reason);
      throw await incomplete(strategy, namespace, deleted, left, page.next, firstError);
    }
    if (stoppedByDeadline) return { deleted, spared, complete: false };
    startKey = page.next;
  } while (startKey);
  return { deleted, spared, complete: true };
}

/** A purge its caller aborted: what it deleted, and the keys known left (more may be). */
function abortedPurge(
  namespace: string,
  deleted: number,
  left: readonly string[],
  reason: unknown,
): PurgeIncompleteError {
  return new PurgeIncompleteError(namespace, deleted, left, {
    remainingKeysComplete: false,
    cause: reason,
  });
}

/** Lists the pages not yet read, so that the error names every key left. */
async function incomplete(
  strategy: Strategy,
  namespace: string,
  deleted: number,
  left: string[],
  startKey: Item | undefined,
  error: unknown,
): Promise<PurgeIncompleteError> {
  let next = startKey;
  try {
    while (next) {
      const page = await strategy.query(next);
      left.push(...page.keys);
      next = page.next;
    }
  } catch (listingError) {
    return new PurgeIncompleteError(namespace, deleted, left, {
      remainingKeysComplete: false,
      cause: listingError,
    });
  }
  return new PurgeIncompleteError(namespace, deleted, left, {
    remainingKeysComplete: true,
    cause: error,
  });
}

export async function queryKeys(
  options: PurgeOptions,
  startKey: Item | undefined,
  writtenBefore: number | undefined,
): Promise<Page> {
  const { client, tableName, namespace } = options;
  const page = await callDynamo(purgeCall('Query', namespace), () =>
    sendDynamo(
      client,
      new QueryCommand(queryKeysInput(tableName, namespace, true, startKey, writtenBefore)),
      { signal: options.signal },
    ),
  );
  const keys: string[] = [];
  const tombstones: string[] = [];
  for (const item of page.Items ?? []) {
    const key = keyOf(item);
    if (key === undefined || key.startsWith(RESERVED_KEY_PREFIX)) continue;
    (isTombstone(item) ? tombstones : keys).push(key);
  }
  return { keys, tombstones, next: page.LastEvaluatedKey };
}

/** How an error names a purge's call: `the purge's Query in namespace n`. */
export function purgeCall(operation: string, namespace: string): string {
  return `the purge's ${operation} in namespace ${namespace}`;
}
