/**
 * {@link purgeNamespace}: every secret of a namespace deleted (`store.purge()`, the CLI's
 * `purge`), without a keyring: `Query` keys only, then `BatchWriteItem` in groups of 25, which
 * takes no condition (the uninstall's conditional purge is purgeWrittenBefore.ts).
 */
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { backOff, PURGE_RETRY, retryPolicy } from './backoff.ts';
import { callDynamo, sendDynamo } from './dynamoCall.ts';
import { batchDeleteRequest, keyOfBatchDelete } from './item/index.ts';
import { checkNamespace } from './keys.ts';
import {
  type GroupOutcome,
  type PurgeOptions,
  type PurgeResult,
  purgeCall,
  queryKeys,
  runPurge,
} from './purgeRun.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;

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
  const retry = retryPolicy(options.retry, PURGE_RETRY, 'retry');

  const deleteGroup = async (keys: readonly string[]): Promise<GroupOutcome> => {
    let pending: WriteRequest[] = keys.map((key) => batchDeleteRequest(namespace, key));
    let deleted = 0;
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const response = await callDynamo(purgeCall('BatchWriteItem', namespace), () =>
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
      await backOff(attempt, retry);
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

function keysOf(requests: readonly WriteRequest[]): string[] {
  return requests.map((request) => keyOfBatchDelete(request) ?? '?');
}
