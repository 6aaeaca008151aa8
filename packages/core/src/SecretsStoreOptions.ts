/**
 * The options of a {@link SecretsStore}: how it is built, and what every operation takes.
 */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { PatchRetryOptions } from './backoff.ts';
import type { DataKeyCache, DataKeyCacheOptions } from './dataKeyCache.ts';
import type { Keyring } from './keyrings/Keyring.ts';
import type { ValueCache, ValueCacheOptions } from './valueCache.ts';

/**
 * What every operation takes besides its own options (DESIGN.md, "Deadlines and cancellation").
 */
export interface OperationOptions {
  /**
   * Aborts the operation (`AbortSignal.timeout(ms)` for a deadline). A read rejects at once with
   * a `StorageError` whose cause is the signal's reason. A write stops at once and is told
   * truly: `StorageError` when no copy of it can land, `OutcomeUnknownError` when one may (a
   * request in flight). A signal already aborted rejects before any call. @default none
   */
  readonly signal?: AbortSignal;
}

export interface SecretsStoreOptions {
  /** The DynamoDB table (partition key `pk`, sort key `sk`, both strings). */
  readonly tableName: string;
  /** One app installation, e.g. `appId:installId`; every key lives inside it. */
  readonly namespace: string;
  /** Where data keys come from: `new KmsKeyring({ keyId })` or `new LocalKeyring({ masterKey })`. */
  readonly keyring: Keyring;
  /** A DynamoDB client of your own. @default a new `DynamoDBClient(clientConfig)` */
  readonly client?: DynamoDBClient;
  /**
   * The configuration of the DynamoDB client made when `client` is not given. That client gets
   * finite timeouts that throw, so that no call hangs: `requestHandler: { connectionTimeout:
   * 3000, requestTimeout: 5000, socketTimeout: 5000, throwOnRequestTimeout: true }` (per
   * attempt; the SDK makes up to 3). Set any of them in `clientConfig.requestHandler` to change
   * it; a handler instance there, or a `client` of your own, keeps its own settings.
   * @default `{}` (and the timeouts above)
   *
   * @example
   * new SecretsStore({ ...options, clientConfig: { requestHandler: { requestTimeout: 2_000 } } });
   */
  readonly clientConfig?: DynamoDBClientConfig;
  /** Strongly consistent reads, so that a `get` sees the previous write. @default true */
  readonly consistentRead?: boolean;
  /**
   * Retries of a conditional write that lost a race (patch, a field delete, rewrap).
   * @default { budgetMs: 20000, maxAttempts: unlimited, baseDelayMs: 2, maxDelayMs: 1000 }
   */
  readonly patchRetry?: PatchRetryOptions;
  /**
   * In-process cache of unwrapped data keys (or an existing cache to share), `false` for none.
   * @default { maxEntries: 1000, maxAgeMs: 300000 }
   */
  readonly dataKeyCache?: false | DataKeyCacheOptions | DataKeyCache;
  /** How long `patch` may keep re-using a secret's data key before it asks for a new one. @default 3600000 (1 h) */
  readonly dataKeyMaxAgeMs?: number;
  /**
   * In-process cache of decrypted values (or an existing cache to share), `false` for none. A
   * `get` within `maxAgeMs` of DynamoDB's answer to the last read or write of its key in this
   * process makes no call; this process's own writes update it in the table's order (so it never
   * serves its own stale write, whatever order the answers arrive in); another process's write
   * shows after at most `maxAgeMs`. Shared with `forNamespace` stores, and by stores of several
   * tables if you pass one instance. Expired values are dropped on a timer.
   * `{}` turns it on with the defaults `{ maxAgeMs: 5000, maxEntries: 1000 }`.
   * @default false
   */
  readonly valueCache?: false | ValueCacheOptions | ValueCache;
}
