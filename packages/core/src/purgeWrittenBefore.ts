/**
 * {@link purgeWrittenBefore}: the uninstall's purge, of only the secrets last written before a
 * cutoff (what an uninstall leaves to delete): `Query`, then `TransactWriteItems` of up to 100
 * deletes, each conditioned on the item still being older than the cutoff, because a batch
 * delete takes no condition and a write that lands between the Query and the delete must
 * survive; one conditional `DeleteItem` per key on a server without transactions.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { backOff, PURGE_RETRY, retryPolicy } from './backoff.ts';
import { sendDynamo, storageError } from './dynamoCall.ts';
import { ConfigurationError } from './errors.ts';
import { deleteWrittenBeforeInput, transactDeleteWrittenBefore } from './item/index.ts';
import { checkNamespace } from './keys.ts';
import {
  type GroupOutcome,
  type PurgeOptions,
  type PurgeResult,
  purgeCall,
  queryKeys,
  runPurge,
} from './purgeRun.ts';

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
  const retry = retryPolicy(options.retry, PURGE_RETRY, 'retry');
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
        error: storageError(purgeCall('DeleteItem', namespace), error),
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
            error: storageError(purgeCall('TransactWriteItems', namespace), error),
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
            error: storageError(purgeCall('TransactWriteItems', namespace), error),
          };
        }
        await backOff(fruitless, retry);
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
