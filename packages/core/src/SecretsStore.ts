import { type DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { operationSignal } from './abort.ts';
import { abortableRead, abortableWrite } from './abortableOperation.ts';
import { type BatchReadContext, distinctKeys, readMany } from './batchRead.ts';
import { abortedError, type CallSite, callDynamo, sendDynamo } from './dynamoCall.ts';
import { InvalidValueError } from './errors.ts';
import {
  existsInput,
  getSecretInput,
  type Item,
  isLive,
  isTombstone,
  keyOf,
  queryKeysInput,
} from './item/index.ts';
import { checkKey, RESERVED_KEY_PREFIX } from './keys.ts';
import { observeOperations, usesValueCache } from './observability/operationChannel.ts';
import { purgeNamespace } from './purgeNamespace.ts';
import type { Refresher } from './refresh.ts';
import { checkRefreshOptions, type RefreshOptions } from './refreshOptions.ts';
import { type RewrapOptions, type RewrapSummary, rewrapKeys } from './rewrap.ts';
import type { OperationOptions, SecretsStoreOptions } from './SecretsStoreOptions.ts';
import type { SecretName, SecretSealer } from './secretSealer.ts';
import type { SecretWriter } from './secretWriter.ts';
import { buildStoreParts, type StoreParts } from './storeParts.ts';
import { NO_CHANGE } from './updateBatches.ts';
import {
  ABSENT,
  type CachedValue,
  type ReadFill,
  type ValueCache,
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
  readonly #openValue: StoreParts['open'];

  constructor(options: SecretsStoreOptions) {
    const parts = buildStoreParts(options);
    this.tableName = parts.tableName;
    this.namespace = parts.namespace;
    this.#client = parts.client;
    this.#consistentRead = parts.consistentRead;
    this.#sealer = parts.sealer;
    this.#valueCache = parts.valueCache;
    if (this.#valueCache) usesValueCache(this);
    this.#writer = parts.writer;
    this.#batchRead = parts.batchRead;
    this.#refresher = parts.refresher;
    this.#openValue = parts.open;
    this.#options = parts.shared;
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
    const value = await (signal ? abortableRead(this.#site('get', key), signal, read) : read());
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
    const values = await abortableRead(this.#site('getMany'), signal, () =>
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
        abortableWrite(site, signal, () => this.#writer.put(key, encoded, signal)),
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
      return (await abortableWrite(site, signal, () =>
        this.#writer.update(key, true, (previous) => checkUpdaterResult(updater(previous)), signal),
      )) as T;
    }
    // The partial is checked before any AWS call; the merged value again before writing.
    const partial = copyValue(update, this.#sealer.budget(this.#name(key)));
    const removed = Object.keys(update as object).filter(
      (field) => (update as Record<string, unknown>)[field] === undefined,
    );
    return (await abortableWrite(site, signal, () =>
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
      await abortableWrite(this.#site('delete', key), signal, () =>
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
      abortableWrite(site, signal, () => this.#writer.delete(key, signal)),
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
    return abortableRead(site, signal, async () => {
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
      const page = await abortableRead(site, signal, () =>
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
    return abortableWrite(site, signal, () =>
      rewrapKeys(this.keys({ signal }), (key) => this.#writer.rewrap(key, signal), options),
    ).finally(() => this.#valueCache?.clearNamespace(this.tableName, this.namespace));
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
  refresh: { key: true },
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
