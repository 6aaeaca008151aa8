/**
 * Deleting the secrets of a namespace, without a keyring, so the cleanup Lambda imports this alone.
 *
 * - {@link purgeNamespace} deletes every secret (`store.purge()`, the CLI's `purge`): `Query`
 *   keys only, then `BatchWriteItem` in groups of 25.
 * - {@link purgeWrittenBefore} deletes only the secrets last written before a cutoff (what an
 *   uninstall leaves to delete): `Query`, then one `DeleteItem` per secret conditioned on the
 *   item still being older than the cutoff, because a batch delete takes no condition and a
 *   write that lands between the Query and the delete must survive.
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
import { ConfigurationError, PurgeIncompleteError, StorageError } from './errors.ts';
import {
  batchDeleteRequest,
  deleteWrittenBeforeInput,
  type Item,
  keyOf,
  keyOfBatchDelete,
  queryKeysInput,
} from './item.ts';
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
   * @default 4 for purgeNamespace (25 keys a call), 16 for purgeWrittenBefore (one key a call)
   */
  readonly concurrency?: number;
  /** Retries of UnprocessedItems. @default { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: RetryOptions;
  /** Called after each delete call with the running count, e.g. for a progress bar. */
  readonly onProgress?: (deleted: number) => void;
}

export interface PurgeResult {
  /** Secrets deleted by this call (reserved items are never counted). */
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
          client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } })),
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
 * Deletes the secrets of `namespace` last written before `writtenBefore` (epoch ms): Query with a
 * filter on `updatedAt`, then a `DeleteItem` per secret conditioned on the item still existing
 * and still being older than the cutoff. A write that lands after the Query read the item makes
 * the condition fail, and the item is spared (counted in `spared`), never deleted.
 *
 * Throws {@link PurgeIncompleteError} when a delete fails after the SDK's retries, and
 * {@link StorageError} when a Query does.
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

  const deleteGroup = async (keys: readonly string[]): Promise<GroupOutcome> => {
    const [key] = keys as [string];
    try {
      await client.send(
        new DeleteItemCommand(
          deleteWrittenBeforeInput({ tableName, namespace, key }, writtenBefore),
        ),
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

  return runPurge(options, {
    groupSize: 1,
    defaultConcurrency: 16,
    query: (startKey) => queryKeys(options, startKey, writtenBefore),
    deleteGroup,
  });
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
  readonly keys: readonly string[];
  readonly next: Item | undefined;
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
  const { namespace, deadline } = options;
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
    const page = await strategy.query(startKey);
    const groups: (readonly string[])[] = [];
    for (let start = 0; start < page.keys.length; start += strategy.groupSize) {
      groups.push(page.keys.slice(start, start + strategy.groupSize));
    }
    let next = 0;
    let stoppedByDeadline = false;
    const left: string[] = [];
    let gaveUp = false;
    let firstError: unknown;
    const worker = async () => {
      while (next < groups.length && !gaveUp) {
        if (pastDeadline()) {
          stoppedByDeadline = true;
          return;
        }
        const outcome = await strategy.deleteGroup(groups[next++] as readonly string[]);
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
      left.push(...groups.slice(next).flat());
      throw await incomplete(strategy, namespace, deleted, left, page.next, firstError);
    }
    if (stoppedByDeadline) return { deleted, spared, complete: false };
    startKey = page.next;
  } while (startKey);
  return { deleted, spared, complete: true };
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
    client.send(
      new QueryCommand(queryKeysInput(tableName, namespace, true, startKey, writtenBefore)),
    ),
  );
  const keys = (page.Items ?? [])
    .map(keyOf)
    .filter((key): key is string => key !== undefined && !key.startsWith(RESERVED_KEY_PREFIX));
  return { keys, next: page.LastEvaluatedKey };
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
