import {
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { causedByAbort, operationSignal, raceAbort } from './abort.ts';
import { DEFAULT_PATCH_RETRY, type PatchRetryOptions, retryPolicy } from './backoff.ts';
import { type BatchReadContext, distinctKeys, readMany } from './batchRead.ts';
import { withDefaultTimeouts } from './clientTimeouts.ts';
import { DataKeyCache, type DataKeyCacheOptions } from './dataKeyCache.ts';
import { abortedError, type CallSite, callDynamo, sendDynamo } from './dynamoCall.ts';
import { ConfigurationError, InvalidValueError, OutcomeUnknownError } from './errors.ts';
import {
  existsInput,
  fromItem,
  getSecretInput,
  type Item,
  isLive,
  isTombstone,
  keyOf,
  queryKeysInput,
} from './item.ts';
import type { Keyring } from './keyrings/Keyring.ts';
import { checkKey, checkNamespace, RESERVED_KEY_PREFIX } from './keys.ts';
import { observeOperations, usesValueCache } from './observability/operationChannel.ts';
import { purgeNamespace } from './purgeNamespace.ts';
import { checkRefreshOptions, Refresher, type RefreshOptions } from './refresh.ts';
import { type RewrapOptions, type RewrapSummary, rewrapKeys } from './rewrap.ts';
import { resolveClient } from './sdkClient.ts';
import { type SecretName, SecretSealer } from './secretSealer.ts';
import { NO_CHANGE, SecretWriter } from './secretWriter.ts';
import {
  ABSENT,
  type CachedValue,
  copyCached,
  type ReadFill,
  ValueCache,
  type ValueCacheOptions,
  valueCacheId,
  writeThrough,
} from './valueCache.ts';
import {
  checkDeleteOptions,
  checkGetOptions,
  copyValue,
  type DeleteOptions,
  type GetOptions,
  type PatchUpdater,
  pickFields,
  type StorableHash,
  type ValueHash,
} from './values.ts';

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

/**
 * A small key-value store for secrets, the API of the OCP app SDK's `storage.secrets`, on KMS
 * envelope encryption and DynamoDB. Every key lives in the store's namespace.
 *
 * @example
 * const store = new SecretsStore({
 *   tableName: 'secrets',
 *   namespace: 'my-app:install-42',
 *   keyring: new KmsKeyring({ keyId: 'arn:aws:kms:...' }),
 * });
 * await store.put('authToken', { token: 'abc', siteId: 123 });
 * const { token } = await store.get<{ token: string; siteId: number }>('authToken');
 */
export class SecretsStore {
  readonly tableName: string;
  readonly namespace: string;
  readonly #options: SecretsStoreOptions;
  readonly #client: DynamoDBClient;
  readonly #sealer: SecretSealer;
  readonly #writer: SecretWriter;
  readonly #consistentRead: boolean;
  readonly #valueCache: ValueCache | undefined;
  readonly #batchRead: BatchReadContext;
  readonly #refresher: Refresher;

  constructor(options: SecretsStoreOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') {
      throw new ConfigurationError(
        `tableName must be a non-empty string, received ${typeof options?.tableName === 'string' ? 'an empty string' : typeof options?.tableName}`,
      );
    }
    checkNamespace(options.namespace);
    if (!options.keyring || typeof options.keyring.generateDataKey !== 'function') {
      throw new ConfigurationError('keyring must be a Keyring (KmsKeyring or LocalKeyring)');
    }
    this.tableName = options.tableName;
    this.namespace = options.namespace;
    this.#client = resolveClient(
      'SecretsStore',
      options,
      (config) => new DynamoDBClient(withDefaultTimeouts(config)),
    );
    const option = options.dataKeyCache;
    const cache =
      option === false
        ? undefined
        : option instanceof DataKeyCache
          ? option
          : new DataKeyCache(option);
    this.#consistentRead = options.consistentRead ?? true;
    const retry = retryPolicy(options.patchRetry, DEFAULT_PATCH_RETRY, 'patchRetry');
    const dataKeyMaxAgeMs = options.dataKeyMaxAgeMs ?? 60 * 60 * 1000;
    if (!Number.isFinite(dataKeyMaxAgeMs) || dataKeyMaxAgeMs < 0) {
      throw new ConfigurationError(
        `dataKeyMaxAgeMs must be a number of at least 0, received ${dataKeyMaxAgeMs}`,
      );
    }
    this.#sealer = new SecretSealer(options.keyring, cache, dataKeyMaxAgeMs);
    const values = options.valueCache;
    this.#valueCache =
      values === undefined || values === false
        ? undefined
        : values instanceof ValueCache
          ? values
          : new ValueCache(values);
    const valueCache = this.#valueCache;
    if (valueCache) usesValueCache(this);
    this.#writer = new SecretWriter({
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
      sealer: this.#sealer,
      retry,
      // The value cache follows the patch batches in the table's order (put and delete: below).
      listener: valueCache && {
        started: (key) => {
          const watch = valueCache.startWrite(this.#cacheId(key));
          return {
            landed: (state, value) => watch.landed(state, copyCached(value)),
            failed: () => watch.failed(),
            ended: () => watch.ended(),
          };
        },
      },
    });
    this.#batchRead = {
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
      consistentRead: this.#consistentRead,
      valueCache: this.#valueCache,
      open: (key, item) => this.#openValue(key, item),
    };
    this.#refresher = new Refresher({
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
      writer: this.#writer,
      open: (key, item) => this.#openValue(key, item),
    });
    // Keep the resolved client and caches so that forNamespace() shares them.
    this.#options = {
      ...options,
      client: this.#client,
      clientConfig: undefined,
      dataKeyCache: cache ?? false,
      valueCache: this.#valueCache ?? false,
    };
  }

  /** A store for another namespace that shares this one's clients, keyring and cache. */
  forNamespace(namespace: string): SecretsStore {
    return new SecretsStore({ ...this.#options, namespace });
  }

  /**
   * The secret stored under `key`, or `{}` when there is none. With `fields`, only those of the
   * listed fields that exist. With the value cache on, a fresh cached value (a copy of it) is
   * returned without a call, unless `forceFetch`.
   *
   * @example
   * const { token } = await store.get<Token>('authToken', { fields: ['token'], forceFetch: true });
   */
  get<T extends object = ValueHash>(key: string, fields?: string[]): Promise<T>;
  get<T extends object = ValueHash>(key: string, options?: GetOptions): Promise<T>;
  async get<T extends object = ValueHash>(
    key: string,
    options?: string[] | GetOptions,
  ): Promise<T> {
    checkKey(key);
    const { fields, forceFetch, signal: given } = checkGetOptions(options);
    const signal = operationSignal(given);
    const cache = this.#valueCache;
    // A cached read may be shared with other callers: it is not sent with this caller's signal.
    const read = () =>
      cache
        ? cache.get(
            this.#cacheId(key),
            (fill) => this.#readValue(key, fill),
            forceFetch,
            this.#consistentRead,
          )
        : this.#readValue(key, undefined, signal);
    // Without a signal, nothing to race: the warm read path stays as short as it was.
    const value = await (signal ? this.#reading(this.#site('get', key), signal, read) : read());
    if (value === ABSENT) return {} as T;
    return (fields ? pickFields(value, fields) : value) as T;
  }

  /**
   * The secrets stored under `keys`, in a `Map` of those that exist (an absent key is not in
   * it), in the order of the keys. `BatchGetItem` calls of 100 keys, strongly consistent (with
   * `consistentRead`), keys DynamoDB leaves unprocessed retried with backoff: a
   * {@link StorageError} names those still unread after about 3.5 s. Every key is validated
   * before any call; duplicates collapse. Uses and fills the value cache when it is on.
   *
   * @example
   * const secrets = await store.getMany<Token>(['github', 'slack'], { fields: ['token'] });
   * const github = secrets.get('github')?.token;
   */
  async getMany<T extends object = ValueHash>(
    keys: Iterable<string>,
    options?: GetOptions,
  ): Promise<Map<string, T>> {
    const { fields, forceFetch, signal: given } = checkGetOptions(options ?? {});
    const signal = operationSignal(given);
    const distinct = distinctKeys(keys);
    const values = await this.#reading(this.#site('getMany'), signal, () =>
      readMany(this.#batchRead, distinct, forceFetch, signal),
    );
    const found = new Map<string, T>();
    for (const key of distinct) {
      const value = values.get(key);
      if (value) found.set(key, (fields ? pickFields(value, fields) : value) as T);
    }
    return found;
  }

  /**
   * Stores `value` under `key`, replacing what was there, with a fresh data key. Resolves `true`.
   * Exactly once: a copy of the request that the SDK sends again after a lost response never
   * overwrites the writes that came after the first copy. With `signal`, see {@link OperationOptions}.
   */
  async put<T extends object = ValueHash>(
    key: string,
    value: T & StorableHash<T>,
    options?: OperationOptions,
  ): Promise<true> {
    checkKey(key);
    const signal = operationSignal(options?.signal);
    const site = this.#site('put', key);
    const encoded = this.#sealer.encode(this.#name(key), value);
    try {
      await writeThrough(this.#valueCache, this.#cacheId(key), encoded.value, () =>
        this.#writing(site, signal, () => this.#writer.put(key, encoded, signal)),
      );
      return true;
    } finally {
      encoded.plaintext.fill(0);
    }
  }

  /**
   * Atomically updates the secret under `key` and resolves to its PREVIOUS value (`{}` if none).
   *
   * - With an object: a shallow merge into the stored value; a field set to `undefined` is removed.
   * - With a function: read-modify-write. The function gets a deep copy of the current value
   *   (`{}` if none) and returns the next value. It may run more than once when other writers
   *   race; if it throws, nothing is written and its error reaches the caller unchanged.
   *
   * Concurrent patches of one key in one store share one write: each sees the value left by the
   * one before it and resolves to that value. A patch whose `signal` aborts leaves at once and
   * the others' write goes on: `StorageError` while no write holding its change was sent (none
   * will be), `OutcomeUnknownError` while one is in flight.
   *
   * @example
   * await store.patch<RateLimit>('rate', (v) => ({ ...v, counter: (v.counter ?? 0) + 1 }));
   */
  async patch<T extends object = ValueHash>(
    key: string,
    update: (Partial<T> & StorableHash<Partial<T>>) | PatchUpdater<T>,
    options?: OperationOptions,
  ): Promise<T> {
    checkKey(key);
    const signal = operationSignal(options?.signal);
    const site = this.#site('patch', key);
    if (typeof update === 'function') {
      const updater = update as unknown as (previous: ValueHash) => unknown;
      return (await this.#writing(site, signal, () =>
        this.#writer.update(key, true, (previous) => checkUpdaterResult(updater(previous)), signal),
      )) as T;
    }
    // The partial is checked before any AWS call; the merged value again before writing.
    const partial = copyValue(update, this.#sealer.budget(this.#name(key)));
    const removed = Object.keys(update as object).filter(
      (field) => (update as Record<string, unknown>)[field] === undefined,
    );
    return (await this.#writing(site, signal, () =>
      this.#writer.update(
        key,
        true,
        (previous) => {
          const merged: ValueHash = { ...previous, ...partial };
          for (const field of removed) delete merged[field];
          return merged;
        },
        signal,
      ),
    )) as T;
  }

  /**
   * Deletes the secret under `key`; with `fields` (an array, or `{ fields }`), atomically removes
   * only those fields (the secret stays, possibly as `{}`). Deleting what does not exist is not
   * an error. Resolves `true`. With `{ signal }`, see {@link OperationOptions}.
   *
   * @example
   * await store.delete('authToken', { fields: ['refreshToken'], signal: AbortSignal.timeout(2_000) });
   */
  async delete(key: string, fields?: string[] | DeleteOptions): Promise<true> {
    checkKey(key);
    const { fields: only, signal: given } = checkDeleteOptions(fields);
    const signal = operationSignal(given);
    if (only) {
      await this.#writing(this.#site('delete', key), signal, () =>
        this.#writer.update(
          key,
          false,
          (previous) => {
            const present = only.filter((field) => Object.hasOwn(previous, field));
            if (present.length === 0) return NO_CHANGE;
            const next = { ...previous };
            for (const field of present) delete next[field];
            return next;
          },
          signal,
        ),
      );
      return true;
    }
    const site = this.#site('delete', key);
    await writeThrough(this.#valueCache, this.#cacheId(key), ABSENT, () =>
      this.#writing(site, signal, () => this.#writer.delete(key, signal)),
    );
    return true;
  }

  /**
   * Whether a secret is stored under `key`. Reads the key only: never calls KMS. With the value
   * cache on, a fresh cached entry answers without a call.
   */
  async exists(key: string, options?: OperationOptions): Promise<boolean> {
    checkKey(key);
    const signal = operationSignal(options?.signal);
    const site = this.#site('exists', key);
    return this.#reading(site, signal, async () => {
      const known = this.#valueCache?.exists(this.#cacheId(key));
      if (known !== undefined) return known;
      const response = await callDynamo(site, () =>
        sendDynamo(
          this.#client,
          new GetItemCommand(existsInput(this.#address(key), this.#consistentRead)),
          { signal },
        ),
      );
      return isLive(response.Item);
    });
  }

  /** The names of the namespace's secrets, in key order. Never decrypts anything. */
  async *keys(options?: OperationOptions): AsyncIterable<string> {
    const signal = operationSignal(options?.signal);
    const site = this.#site('keys');
    let startKey: Item | undefined;
    do {
      const page = await this.#reading(site, signal, () =>
        callDynamo(site, () =>
          sendDynamo(
            this.#client,
            new QueryCommand(
              queryKeysInput(this.tableName, this.namespace, this.#consistentRead, startKey),
            ),
            { signal },
          ),
        ),
      );
      for (const item of page.Items ?? []) {
        const key = keyOf(item);
        if (key !== undefined && !key.startsWith(RESERVED_KEY_PREFIX) && !isTombstone(item)) {
          yield key;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * The secret under `key`, refreshed first when `needsRefresh` says so, with one `refresh` call
   * across every container (a lease on the secret's item): the others wait for its result. A
   * fresh value costs one strongly consistent GetItem and no write. The holder writes the fields
   * `refresh` changed over the item as it is then (a rival patch of other fields survives),
   * only while it still holds the lease. Callers of one key in this store share one flight (the
   * first caller's callbacks run). Resolves to the value stored.
   *
   * Throws what `refresh` throws (the lease is released at once), {@link LeaseLostError} when the
   * holder lost its lease or the secret was deleted meanwhile (nothing written), and
   * {@link RefreshTimeoutError} after `waitMs` of waiting for another holder.
   *
   * @example
   * const token = await store.refresh<Token>('authToken', {
   *   needsRefresh: (t) => !t.expiresAt || t.expiresAt < Date.now() + 60_000,
   *   refresh: async (t, { signal }) => ({ ...t, ...(await oauth.refresh(t.refreshToken, { signal })) }),
   * });
   */
  async refresh<T extends object = ValueHash>(key: string, options: RefreshOptions<T>): Promise<T> {
    checkKey(key);
    const checked = checkRefreshOptions(options);
    return (await this.#refresher.refresh(key, checked)) as T;
  }

  /**
   * Deletes every secret of the namespace (what uninstall does) and resolves to how many there
   * were. Needs only `dynamodb:Query` and `dynamodb:BatchWriteItem`; never calls the keyring.
   */
  async purge(options?: OperationOptions): Promise<number> {
    const signal = operationSignal(options?.signal);
    if (signal?.aborted) throw abortedError(this.#site('purge'), signal.reason, 'nothing deleted');
    const { deleted } = await purgeNamespace({
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
      signal,
    }).finally(() => this.#valueCache?.clearNamespace(this.tableName, this.namespace));
    return deleted;
  }

  /**
   * Moves every secret of the namespace to the keyring's current key: each data key is wrapped
   * again (KMS `ReEncrypt`: it never leaves KMS in plaintext; needs `kms:ReEncryptFrom` on the
   * previous keys and `kms:ReEncryptTo` on the current one) and the item written back
   * conditioned on the `writeId` it read, so a concurrent write is never lost: the rewrap of
   * that secret reads it again (a write since then may already have moved it). Idempotent and
   * resumable: a rerun skips what is current. The value is neither decrypted nor changed.
   *
   * @example
   * const store = new SecretsStore({ ..., keyring: new KmsKeyring({ keyId: NEW_KEY_ARN, previousKeyIds: [OLD_KEY_ARN] }) });
   * const { moved, alreadyCurrent, failures } = await store.rewrap({ onProgress: console.log });
   */
  rewrap(options?: RewrapOptions): Promise<RewrapSummary> {
    const signal = operationSignal(options?.signal);
    const site = this.#site('rewrap');
    return this.#writing(site, signal, () =>
      rewrapKeys(this.keys({ signal }), (key) => this.#writer.rewrap(key, signal), options),
    ).finally(() => this.#valueCache?.clearNamespace(this.tableName, this.namespace));
  }

  // -------------------------------------------------------------------------------------------
  // Cancellation

  /**
   * A read with the caller's signal: one already aborted rejects before any call, and an abort
   * ends the wait at once (shared work goes on for its other callers), as a StorageError whose
   * cause is the signal's reason.
   */
  async #reading<T>(site: CallSite, signal: AbortSignal | undefined, read: () => Promise<T>) {
    if (signal?.aborted) throw abortedError(site, signal.reason);
    try {
      return await raceAbort(read(), signal);
    } catch (error) {
      throw signal?.aborted ? abortedError(site, signal.reason) : error;
    }
  }

  /**
   * A write with the caller's signal. The write loop tells an abort from its copies' answers
   * (secretWriter.ts); what an abort ended before any copy was sent (a KMS call, a sleep) is a
   * StorageError: nothing of it was written. Any other error, and an OutcomeUnknownError, as is.
   */
  async #writing<T>(site: CallSite, signal: AbortSignal | undefined, write: () => Promise<T>) {
    if (signal?.aborted) throw abortedError(site, signal.reason, 'nothing of it was written');
    try {
      return await write();
    } catch (error) {
      const told =
        error instanceof OutcomeUnknownError ||
        (error instanceof Error && error.cause === signal?.reason);
      if (signal?.aborted && !told && causedByAbort(error, signal.reason)) {
        throw abortedError(site, signal.reason, 'nothing of it was written');
      }
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async #read(operation: string, key: string, signal?: AbortSignal): Promise<Item | undefined> {
    const response = await callDynamo(this.#site(operation, key), () =>
      sendDynamo(
        this.#client,
        new GetItemCommand(getSecretInput(this.#address(key), this.#consistentRead)),
        { signal },
      ),
    );
    return response.Item;
  }

  /**
   * The value of `key` as the table holds it now; `ABSENT` for no item or a tombstone. The value
   * cache's `fill` learns of the answer before the decrypt, so that `maxAgeMs` counts from it.
   */
  async #readValue(key: string, fill?: ReadFill, signal?: AbortSignal): Promise<CachedValue> {
    const item = await this.#read('get', key, signal);
    fill?.answered(item);
    return isLive(item) ? this.#openValue(key, item, signal) : ABSENT;
  }

  async #openValue(key: string, item: Item, signal?: AbortSignal): Promise<ValueHash> {
    const { value, dataKey } = await this.#sealer.open(
      this.#name(key),
      fromItem(item, key),
      signal,
    );
    dataKey.fill(0);
    return value;
  }

  #cacheId(key: string): string {
    return valueCacheId(this.tableName, this.namespace, key);
  }

  #address(key: string) {
    return { tableName: this.tableName, namespace: this.namespace, key };
  }

  #site(operation: string): CallSite;
  #site(operation: string, key: string): CallSite & { readonly key: string };
  #site(operation: string, key?: string): CallSite {
    return { operation, key, namespace: this.namespace, tableName: this.tableName };
  }

  #name(key: string): SecretName {
    return { namespace: this.namespace, key };
  }
}

// One message per public operation on `secrets-store:operation` (observability/operationChannel.ts).
// A new operation is one more row.
observeOperations(SecretsStore.prototype, {
  get: { key: true, cached: true },
  getMany: { keys: true, cached: true },
  exists: { key: true, cached: true },
  keys: { kind: 'iterable' },
  put: { key: true },
  patch: { key: true },
  delete: { key: true },
  purge: {},
  rewrap: {},
});

function checkUpdaterResult(next: unknown): ValueHash {
  if (typeof (next as { then?: unknown } | null)?.then === 'function') {
    throw new InvalidValueError(
      '',
      'the patch updater returned a Promise; it must return the next value synchronously',
    );
  }
  // copyValue (in the batch) validates the rest, e.g. an updater that forgot to return.
  return next as ValueHash;
}
