/**
 * Deleting the secrets of a namespace, without a keyring, so the cleanup Lambda imports this alone.
 *
 * - {@link purgeNamespace} deletes every secret (`store.purge()`, the CLI's `purge`): `Query`
 *   keys only, then `BatchWriteItem` in groups of 25.
 * - {@link purgeWrittenBefore} deletes only the secrets last written before a cutoff (what an
 *   uninstall leaves to delete): `Query`, then `TransactWriteItems` of up to 100 deletes, each
 *   conditioned on the item still being older than the cutoff, because a batch delete takes no
 *   condition and a write that lands between the Query and the delete must survive.
 *
 * Both skip reserved sort keys (the lifecycle record), stop starting work at a deadline, and
 * give up with an exact {@link PurgeIncompleteError}: the count deleted, and every key still
 * left in the namespace at that moment, across workers and pages.
 */
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { describeAwsError, safeCause } from './awsErrors.ts';
import {
  fullJitterDelay,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './backoff.ts';
import { sendDynamo } from './dynamoCall.ts';
import { ConfigurationError, PurgeIncompleteError, StorageError } from './errors.ts';
import {
  batchDeleteRequest,
  deleteWrittenBeforeInput,
  type Item,
  isTombstone,
  keyOf,
  keyOfBatchDelete,
  queryKeysInput,
  transactDeleteWrittenBefore,
} from './item/index.ts';
import { checkNamespace, RESERVED_KEY_PREFIX } from './keys.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;

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
  /** Retries of UnprocessedItems, and of transactions cancelled by a conflict. @default { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 } */
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

export interface PurgeWrittenBeforeOptions extends PurgeOptions {
  /** Epoch ms: secrets whose `updatedAt` is older are deleted; an item without one counts as old. */
  readonly writtenBefore: number;
}

export interface PurgeWrittenBeforeResult extends PurgeResult {
  /**
   * Secrets the Query found older than the cutoff whose delete then failed its condition: a
   * write (or a delete) landed in between. They are left as that write made them.
   */
  readonly spared: number;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 };

/**
 * Deletes every secret of `namespace`: Query (keys only, all pages), then BatchWriteItem in
 * groups of 25 with bounded concurrency, retrying `UnprocessedItems` with full-jitter backoff.
 *
 * Throws {@link PurgeIncompleteError} when a group's retries run out or its call fails, and
 * {@link StorageError} when a Query fails after the SDK's own retries.
 */
export async function purgeNamespace(options: PurgeOptions): Promise<PurgeResult> {
  const { client, tableName, namespace } = options;
  checkNamespace(namespace);
  const retry = retryPolicy(options.retry, DEFAULT_RETRY, 'retry');

  const deleteGroup = async (keys: readonly string[]): Promise<GroupOutcome> => {
    let pending: WriteRequest[] = keys.map((key) => batchDeleteRequest(namespace, key));
    let deleted = 0;
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const response = await send('BatchWriteItem', namespace, () =>
          sendDynamo(
            client,
            new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
            { signal: options.signal },
          ),
        );
        unprocessed = response.UnprocessedItems?.[tableName] ?? [];
      } catch (error) {
        // The call may or may not have deleted them: they are reported as left, not as deleted.
        return { deleted, spared: 0, left: keysOf(pending), error };
      }
      deleted += pending.length - unprocessed.length;
      if (unprocessed.length === 0) return { deleted, spared: 0, left: [] };
      if (attempt >= retry.maxAttempts) return { deleted, spared: 0, left: keysOf(unprocessed) };
      pending = unprocessed;
      await sleep(fullJitterDelay(attempt, retry));
    }
  };

  const { deleted, complete } = await runPurge(options, {
    groupSize: BATCH_SIZE,
    defaultConcurrency: 4,
    query: (startKey) => queryKeys(options, startKey, undefined),
    deleteGroup,
  });
  return { deleted, complete };
}

/**
 * Deletes the secrets of `namespace` last written before `writtenBefore` (epoch ms), and its
 * tombstones: Query with a filter on `updatedAt`, then the keys in groups of 100, each group one
 * `TransactWriteItems` of conditional deletes (the item still exists and is still older than the
 * cutoff, or a tombstone). A write that lands after the Query read an item makes that item's
 * condition fail; DynamoDB then cancels the whole transaction and says which condition failed
 * (`CancellationReasons`): that item is spared (counted in `spared`, never deleted) and the
 * transaction is sent again without it. A conflict with a concurrent write or throttling is
 * retried with backoff. One call for 100 items keeps the uninstall near the speed of a
 * `BatchWriteItem` purge, which takes no condition (`npm run bench purge`); a transactional
 * delete costs two write units where a batch delete costs one.
 *
 * A server without transactions (dynalite, which the local mode uses) answers
 * `UnknownOperationException`: the purge then deletes one conditional `DeleteItem` per key.
 *
 * Throws {@link PurgeIncompleteError} when a delete fails after the SDK's retries (or a group's
 * retries run out), and {@link StorageError} when a Query does.
 */
export async function purgeWrittenBefore(
  options: PurgeWrittenBeforeOptions,
): Promise<PurgeWrittenBeforeResult> {
  const { client, tableName, namespace, writtenBefore } = options;
  checkNamespace(namespace);
  // Precondition: the cutoff is a time, or every comparison in DynamoDB fails.
  if (!Number.isSafeInteger(writtenBefore) || writtenBefore < 0) {
    throw new ConfigurationError(
      `writtenBefore must be epoch milliseconds (a non-negative integer), received ${writtenBefore}`,
    );
  }
  const retry = retryPolicy(options.retry, DEFAULT_RETRY, 'retry');
  let transactions = true;

  const deleteOne = async (key: string): Promise<GroupOutcome> => {
    try {
      await sendDynamo(
        client,
        new DeleteItemCommand(
          deleteWrittenBeforeInput({ tableName, namespace, key }, writtenBefore),
        ),
        { signal: options.signal },
      );
      return { deleted: 1, spared: 0, left: [] };
    } catch (error) {
      // Rewritten (or deleted) since the Query read it: not ours to delete.
      if (error instanceof ConditionalCheckFailedException)
        return { deleted: 0, spared: 1, left: [] };
      return {
        deleted: 0,
        spared: 0,
        left: [key],
        error: storageError('DeleteItem', namespace, error),
      };
    }
  };

  const deleteOneByOne = async (keys: readonly string[]): Promise<GroupOutcome> => {
    const outcomes: GroupOutcome[] = [];
    for (let start = 0; start < keys.length; start += SINGLE_DELETES_IN_FLIGHT) {
      outcomes.push(
        ...(await Promise.all(keys.slice(start, start + SINGLE_DELETES_IN_FLIGHT).map(deleteOne))),
      );
      if (outcomes.some((outcome) => outcome.left.length > 0)) {
        outcomes.push({
          deleted: 0,
          spared: 0,
          left: keys.slice(start + SINGLE_DELETES_IN_FLIGHT),
        });
        break;
      }
    }
    return {
      deleted: outcomes.reduce((sum, outcome) => sum + outcome.deleted, 0),
      spared: outcomes.reduce((sum, outcome) => sum + outcome.spared, 0),
      left: outcomes.flatMap((outcome) => outcome.left),
      error: outcomes.find((outcome) => outcome.error !== undefined)?.error,
    };
  };

  const deleteGroup = async (keys: readonly string[]): Promise<GroupOutcome> => {
    let pending = [...keys];
    let spared = 0;
    // Attempts that made no progress: a conflict or throttling. A cancellation by a failed
    // condition always removes at least one key, so it cannot loop.
    let fruitless = 0;
    while (pending.length > 0) {
      if (!transactions) {
        const rest = await deleteOneByOne(pending);
        return { ...rest, spared: spared + rest.spared };
      }
      try {
        await sendDynamo(
          client,
          new TransactWriteItemsCommand({
            TransactItems: pending.map((key) =>
              transactDeleteWrittenBefore({ tableName, namespace, key }, writtenBefore),
            ),
          }),
          { signal: options.signal },
        );
        return { deleted: pending.length, spared, left: [] };
      } catch (error) {
        if (isUnknownOperation(error)) {
          transactions = false;
          continue;
        }
        const reasons = cancellationReasons(error, pending.length);
        if (reasons === undefined || reasons.some((code) => !RETRYABLE_CANCELLATION.has(code))) {
          // The transaction was not applied: every key is still there to delete.
          return {
            deleted: 0,
            spared,
            left: pending,
            error: storageError('TransactWriteItems', namespace, error),
          };
        }
        const failed = pending.filter((_, index) => reasons[index] === 'ConditionalCheckFailed');
        if (failed.length > 0) {
          spared += failed.length;
          pending = pending.filter((_, index) => reasons[index] !== 'ConditionalCheckFailed');
          continue;
        }
        fruitless++;
        if (fruitless >= retry.maxAttempts) {
          return {
            deleted: 0,
            spared,
            left: pending,
            error: storageError('TransactWriteItems', namespace, error),
          };
        }
        await sleep(fullJitterDelay(fruitless, retry));
      }
    }
    return { deleted: 0, spared, left: [] };
  };

  return runPurge(options, {
    groupSize: MAX_TRANSACTION_ITEMS,
    defaultConcurrency: 4,
    query: (startKey) => queryKeys(options, startKey, writtenBefore),
    deleteGroup,
  });
}

/** TransactWriteItems takes at most 100 actions. */
const MAX_TRANSACTION_ITEMS = 100;

/** Conditional DeleteItems in flight per group on a server without transactions. */
const SINGLE_DELETES_IN_FLIGHT = 16;

/**
 * Cancellation reasons after which the transaction is sent again: `None` (cancelled because of
 * another action), a failed condition (that item is then left out), a conflict with a
 * concurrent write, throttling.
 */
const RETRYABLE_CANCELLATION = new Set([
  'None',
  'ConditionalCheckFailed',
  'TransactionConflict',
  'ThrottlingError',
]);

/** The code of each action of a cancelled transaction, in order; undefined for another error. */
function cancellationReasons(error: unknown, actions: number): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reasons = error.CancellationReasons;
  if (!reasons || reasons.length !== actions) return undefined;
  return reasons.map((reason) => reason.Code ?? 'None');
}

function isUnknownOperation(error: unknown): boolean {
  return error instanceof Error && error.name === 'UnknownOperationException';
}

interface GroupOutcome {
  readonly deleted: number;
  readonly spared: number;
  /** Keys this group gave up on. */
  readonly left: readonly string[];
  /** Why it gave up, when a call failed (rather than retries running out). */
  readonly error?: unknown;
}

interface Page {
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

interface Strategy {
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
async function runPurge(
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

async function queryKeys(
  options: PurgeOptions,
  startKey: Item | undefined,
  writtenBefore: number | undefined,
): Promise<Page> {
  const { client, tableName, namespace } = options;
  const page = await send('Query', namespace, () =>
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

function keysOf(requests: readonly WriteRequest[]): string[] {
  return requests.map((request) => keyOfBatchDelete(request) ?? '?');
}

async function send<Output>(
  operation: string,
  namespace: string,
  call: () => Promise<Output>,
): Promise<Output> {
  try {
    return await call();
  } catch (error) {
    throw storageError(operation, namespace, error);
  }
}

function storageError(operation: string, namespace: string, error: unknown): StorageError {
  return new StorageError(
    `DynamoDB failed the purge's ${operation} in namespace ${namespace}: ${describeAwsError(error)}`,
    { cause: safeCause(error) },
  );
}
