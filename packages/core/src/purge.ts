/**
 * Deleting a whole namespace: what uninstall does. It needs only `dynamodb:Query` and
 * `dynamodb:BatchWriteItem`, and no keyring, so the cleanup Lambda imports this alone.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  fullJitterDelay,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './backoff.ts';
import { ConfigurationError, PurgeIncompleteError, StorageError } from './errors.ts';
import { ATTRIBUTE, type Item, itemKey } from './item.ts';
import { checkNamespace, RESERVED_KEY_PREFIX } from './keys.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;

export interface PurgeOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  /** Epoch ms after which no new batch starts; the result then says `complete: false`. @default none */
  readonly deadline?: number;
  /** BatchWriteItem calls in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Retries of UnprocessedItems. @default { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: RetryOptions;
  /** Called after each batch with the running count, e.g. for a progress bar. */
  readonly onProgress?: (deleted: number) => void;
}

export interface PurgeResult {
  /** Items deleted (the uninstall marker is never counted). */
  readonly deleted: number;
  /** False when the deadline stopped the purge before the namespace was empty. */
  readonly complete: boolean;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 };

/**
 * Deletes every secret of `namespace`: Query (keys only, all pages), then BatchWriteItem in
 * groups of 25 with bounded concurrency, retrying `UnprocessedItems` with full-jitter backoff.
 * The uninstall marker (a reserved sort key) is left alone and never counted.
 *
 * Throws {@link PurgeIncompleteError} listing the keys left when retries run out, and
 * {@link StorageError} when DynamoDB fails after the SDK's own retries.
 */
export async function purgeNamespace(options: PurgeOptions): Promise<PurgeResult> {
  const { client, tableName, namespace, deadline } = options;
  checkNamespace(namespace);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(`concurrency must be a positive integer, received ${concurrency}`);
  }
  const retry = retryPolicy(options.retry, DEFAULT_RETRY, 'retry');
  const pastDeadline = () => deadline !== undefined && Date.now() >= deadline;
  let deleted = 0;

  const deleteBatch = async (keys: string[]): Promise<void> => {
    let pending: WriteRequest[] = keys.map((key) => ({
      DeleteRequest: { Key: itemKey(namespace, key) },
    }));
    for (let attempt = 1; ; attempt++) {
      const response = await send('BatchWriteItem', namespace, () =>
        client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } })),
      );
      const unprocessed = response.UnprocessedItems?.[tableName] ?? [];
      deleted += pending.length - unprocessed.length;
      options.onProgress?.(deleted);
      if (unprocessed.length === 0) return;
      if (attempt >= retry.maxAttempts) {
        const left = unprocessed.map(
          (request) => request.DeleteRequest?.Key?.[ATTRIBUTE.key]?.S ?? '?',
        );
        throw new PurgeIncompleteError(namespace, deleted, left);
      }
      pending = unprocessed;
      await sleep(fullJitterDelay(attempt, retry));
    }
  };

  let startKey: Item | undefined;
  do {
    if (pastDeadline()) return { deleted, complete: false };
    const page = await send('Query', namespace, () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: `${ATTRIBUTE.namespace} = :namespace`,
          ExpressionAttributeValues: { ':namespace': { S: namespace } },
          ProjectionExpression: ATTRIBUTE.key,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    const keys = (page.Items ?? [])
      .map((item) => item[ATTRIBUTE.key]?.S)
      .filter((key): key is string => key !== undefined && !key.startsWith(RESERVED_KEY_PREFIX));
    const batches: string[][] = [];
    for (let start = 0; start < keys.length; start += BATCH_SIZE) {
      batches.push(keys.slice(start, start + BATCH_SIZE));
    }
    // A small worker pool: at most `concurrency` batches in flight, none started past the deadline.
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (next < batches.length) {
        if (pastDeadline()) {
          stopped = true;
          return;
        }
        const batch = batches[next++] as string[];
        await deleteBatch(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    if (stopped) return { deleted, complete: false };
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { deleted, complete: true };
}

async function send<Output>(
  operation: string,
  namespace: string,
  call: () => Promise<Output>,
): Promise<Output> {
  try {
    return await call();
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    throw new StorageError(
      `DynamoDB failed the purge's ${operation} in namespace ${namespace}: ${name}`,
      {
        cause: error,
      },
    );
  }
}
