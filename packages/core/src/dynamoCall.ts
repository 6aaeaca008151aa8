/**
 * How the store talks to DynamoDB: one call, its failure turned into a {@link StorageError} that
 * names the AWS error (and, for network failures, the system code: `ECONNREFUSED`, see
 * awsErrors.ts). Writes go through the write loop (secretWriter.ts), which also accounts for
 * every copy the SDK sent (copyAnswers.ts).
 */
import { describeAwsError } from './awsErrors.ts';
import { StorageError } from './errors.ts';

/** What the store is doing, for error messages: `put of "k" in namespace n (table t)`. */
export interface CallSite {
  readonly operation: string;
  readonly key?: string;
  readonly namespace: string;
  readonly tableName: string;
}

/** `the put of "k" in namespace n`: how messages name an operation. */
export function describeSite(site: CallSite): string {
  const target = site.key === undefined ? '' : ` of ${JSON.stringify(site.key)}`;
  return `the ${site.operation}${target} in namespace ${site.namespace}`;
}

export function storageError(site: CallSite, error: unknown): StorageError {
  return new StorageError(
    `DynamoDB failed ${describeSite(site)} (table ${site.tableName}): ${describeAwsError(error)}`,
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
