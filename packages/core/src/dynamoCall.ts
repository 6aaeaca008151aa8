/**
 * How the store talks to DynamoDB: one call, its failure turned into a {@link StorageError} that
 * names the AWS error (and, for network failures, the system code: `ECONNREFUSED`, see
 * awsErrors.ts), and what a failure tells about whether a write could have landed.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describeAwsError } from './awsErrors.ts';
import { StorageError } from './errors.ts';
import type { Item } from './item.ts';

interface AwsErrorFields {
  readonly $metadata?: { readonly attempts?: number; readonly httpStatusCode?: number };
}

/**
 * How many copies of the request the SDK sent (1 + its retries), when it says so. A failure with
 * `attempts === 1` answered the request's only copy.
 */
export function attemptsOf(error: unknown): number | undefined {
  const attempts = (error as AwsErrorFields | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : undefined;
}

/**
 * Whether a failed write certainly did not land: DynamoDB answered its only copy with a client
 * error (validation, throttling: refused before anything was applied). A network failure or a
 * 5xx may have been applied ("the request may or may not have succeeded").
 */
export function certainlyNotApplied(error: unknown): boolean {
  const cause = error instanceof StorageError ? error.cause : error;
  const status = (cause as AwsErrorFields | undefined)?.$metadata?.httpStatusCode;
  return attemptsOf(cause) === 1 && status !== undefined && status >= 400 && status < 500;
}

/** A conditional write that failed its condition, with the current item when the server sent it. */
export interface ConditionFailure {
  readonly item: Item | undefined;
  /** Copies of the request the SDK sent; 1 means nothing of it can have landed before. */
  readonly attempts: number | undefined;
}

/** What the store is doing, for error messages: `put of "k" in namespace n (table t)`. */
export interface CallSite {
  readonly operation: string;
  readonly key?: string;
  readonly namespace: string;
  readonly tableName: string;
}

function storageError(site: CallSite, error: unknown): StorageError {
  const target = site.key === undefined ? '' : ` of ${JSON.stringify(site.key)}`;
  return new StorageError(
    `DynamoDB failed the ${site.operation}${target} in namespace ${site.namespace} (table ${site.tableName}): ${describeAwsError(error)}`,
    { cause: error },
  );
}

/** Runs one DynamoDB call; any failure becomes a StorageError. */
export async function callDynamo<Output>(
  site: CallSite,
  call: () => Promise<Output>,
): Promise<Output> {
  try {
    return await call();
  } catch (error) {
    throw storageError(site, error);
  }
}

/**
 * Runs one conditional write: resolves `undefined` when it landed, a {@link ConditionFailure}
 * when its condition failed; any other failure becomes a StorageError.
 */
export async function conditionalWrite(
  site: CallSite,
  call: () => Promise<unknown>,
): Promise<ConditionFailure | undefined> {
  try {
    await call();
    return undefined;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      return { item: error.Item, attempts: attemptsOf(error) };
    }
    throw storageError(site, error);
  }
}
