import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_PATCH_RETRY,
  fullJitterDelay,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './backoff.ts';
import { DataKeyCache, type DataKeyCacheOptions } from './dataKeyCache.ts';
import { ENVELOPE_OVERHEAD_BYTES, EnvelopeError, openEnvelope, sealEnvelope } from './envelope.ts';
import {
  ConcurrentUpdateError,
  ConfigurationError,
  DecryptionError,
  InvalidValueError,
  StorageError,
  ValueTooLargeError,
} from './errors.ts';
import {
  ATTRIBUTE,
  fromItem,
  type Item,
  itemBytesBesidesCiphertext,
  itemKey,
  MAX_ITEM_BYTES,
  type StoredSecret,
  toItem,
} from './item.ts';
import type { EncryptionContext, Keyring } from './keyrings/Keyring.ts';
import { checkKey, checkNamespace, RESERVED_KEY_PREFIX } from './keys.ts';
import { purgeNamespace } from './purge.ts';
import {
  checkFields,
  copyValue,
  decodeValue,
  encodeValue,
  type PatchUpdater,
  pickFields,
  type StorableHash,
  type ValueBudget,
  type ValueHash,
} from './values.ts';

export interface SecretsStoreOptions {
  /** The DynamoDB table (partition key `pk`, sort key `sk`, both strings). */
  readonly tableName: string;
  /** One app installation, e.g. `appId:installId`; every key lives inside it. */
  readonly namespace: string;
  /** Where data keys come from: `new KmsKeyring({ keyId })` or `new LocalKeyring({ masterKey })`. */
  readonly keyring: Keyring;
  /** @default a new `DynamoDBClient()` with the SDK's default configuration */
  readonly dynamoDBClient?: DynamoDBClient;
  /** Strongly consistent reads, so that a `get` sees the previous write. @default true */
  readonly consistentRead?: boolean;
  /** Retries of a `patch` that lost a race. @default { maxAttempts: 40, baseDelayMs: 10, maxDelayMs: 1000 } */
  readonly patchRetry?: RetryOptions;
  /**
   * In-process cache of unwrapped data keys (or an existing cache to share), `false` for none.
   * @default { maxEntries: 1000, maxAgeMs: 300000 }
   */
  readonly dataKeyCache?: false | DataKeyCacheOptions | DataKeyCache;
  /** How long `patch` may keep re-using a secret's data key before it asks for a new one. @default 3600000 (1 h) */
  readonly dataKeyMaxAgeMs?: number;
}

/** put: one UpdateItem that replaces the secret's attributes and counts its version up. */
const PUT_EXPRESSION =
  'SET #ciphertext = :ciphertext, #dataKey = :dataKey, #keyId = :keyId, ' +
  '#dataKeyCreatedAt = :now, #updatedAt = :now, #writeId = :writeId ADD #version :one';
const PUT_NAMES = {
  '#ciphertext': ATTRIBUTE.ciphertext,
  '#dataKey': ATTRIBUTE.dataKey,
  '#keyId': ATTRIBUTE.keyId,
  '#dataKeyCreatedAt': ATTRIBUTE.dataKeyCreatedAt,
  '#updatedAt': ATTRIBUTE.updatedAt,
  '#writeId': ATTRIBUTE.writeId,
  '#version': ATTRIBUTE.version,
};

/** Returned by an internal update to say "nothing to write". */
const NO_CHANGE = Symbol('no change');
/** Returned by a conditional write that succeeded. */
const WRITTEN = Symbol('written');
type Compute = (previous: ValueHash) => ValueHash | typeof NO_CHANGE;

/** A decrypted secret with the data key it was opened with (owned, zero-filled by the caller). */
interface OpenedSecret {
  readonly value: ValueHash;
  readonly dataKey: Buffer;
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
  readonly #keyring: Keyring;
  readonly #client: DynamoDBClient;
  readonly #cache: DataKeyCache | undefined;
  readonly #consistentRead: boolean;
  readonly #patchRetry: RetryPolicy;
  readonly #dataKeyMaxAgeMs: number;

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
    this.#keyring = options.keyring;
    this.#client = options.dynamoDBClient ?? new DynamoDBClient({});
    const cache = options.dataKeyCache;
    this.#cache =
      cache === false ? undefined : cache instanceof DataKeyCache ? cache : new DataKeyCache(cache);
    this.#consistentRead = options.consistentRead ?? true;
    this.#patchRetry = retryPolicy(options.patchRetry, DEFAULT_PATCH_RETRY, 'patchRetry');
    this.#dataKeyMaxAgeMs = options.dataKeyMaxAgeMs ?? 60 * 60 * 1000;
    if (!Number.isFinite(this.#dataKeyMaxAgeMs) || this.#dataKeyMaxAgeMs < 0) {
      throw new ConfigurationError(
        `dataKeyMaxAgeMs must be a number of at least 0, received ${this.#dataKeyMaxAgeMs}`,
      );
    }
    // Keep the resolved client and cache so that forNamespace() shares them.
    this.#options = {
      ...options,
      dynamoDBClient: this.#client,
      dataKeyCache: this.#cache ?? false,
    };
  }

  /** A store for another namespace that shares this one's clients, keyring and cache. */
  forNamespace(namespace: string): SecretsStore {
    return new SecretsStore({ ...this.#options, namespace });
  }

  /**
   * The secret stored under `key`, or `{}` when there is none. With `fields`, only those of the
   * listed fields that exist.
   */
  async get<T extends object = ValueHash>(key: string, fields?: string[]): Promise<T> {
    checkKey(key);
    checkFields(fields);
    const stored = await this.#read(key, this.#consistentRead);
    if (!stored) return {} as T;
    const { value, dataKey } = await this.#open(key, stored);
    dataKey.fill(0);
    return (fields ? pickFields(value, fields) : value) as T;
  }

  /** Stores `value` under `key`, replacing what was there, with a fresh data key. Resolves `true`. */
  async put<T extends object = ValueHash>(key: string, value: T & StorableHash<T>): Promise<true> {
    checkKey(key);
    const budget = this.#budget(key);
    const plaintext = encodeValue(copyValue(value, budget));
    checkSize(plaintext, budget);
    const context = this.#context(key);
    const fresh = await this.#keyring.generateDataKey(context);
    try {
      this.#cache?.set(this.#cacheId(fresh.keyId, fresh.wrapped, context), fresh.plaintext);
      const now = Date.now();
      const ciphertext = seal(fresh.plaintext, plaintext, this.namespace, key);
      await this.#dynamo('put', key, () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: itemKey(this.namespace, key),
            UpdateExpression: PUT_EXPRESSION,
            ExpressionAttributeNames: PUT_NAMES,
            ExpressionAttributeValues: {
              ':ciphertext': { B: ciphertext },
              ':dataKey': { B: fresh.wrapped },
              ':keyId': { S: fresh.keyId },
              ':now': { N: String(now) },
              ':writeId': { S: randomUUID() },
              ':one': { N: '1' },
            },
          }),
        ),
      );
      return true;
    } finally {
      fresh.plaintext.fill(0);
      plaintext.fill(0);
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
   * @example
   * await store.patch<RateLimit>('rate', (v) => ({ ...v, counter: (v.counter ?? 0) + 1 }));
   */
  async patch<T extends object = ValueHash>(
    key: string,
    update: (Partial<T> & StorableHash<Partial<T>>) | PatchUpdater<T>,
  ): Promise<T> {
    checkKey(key);
    if (typeof update === 'function') {
      const updater = update as unknown as (previous: ValueHash) => unknown;
      return (await this.#update(key, true, (previous) =>
        checkUpdaterResult(updater(previous)),
      )) as T;
    }
    // The partial is checked before any AWS call; the merged value again before writing.
    const partial = copyValue(update, this.#budget(key));
    const removed = Object.keys(update as object).filter(
      (field) => (update as Record<string, unknown>)[field] === undefined,
    );
    return (await this.#update(key, true, (previous) => {
      const merged: ValueHash = { ...previous, ...partial };
      for (const field of removed) delete merged[field];
      return merged;
    })) as T;
  }

  /**
   * Deletes the secret under `key`; with `fields`, atomically removes only those fields (the
   * secret stays, possibly as `{}`). Deleting what does not exist is not an error. Resolves `true`.
   */
  async delete(key: string, fields?: string[]): Promise<true> {
    checkKey(key);
    checkFields(fields);
    if (fields) {
      await this.#update(key, false, (previous) => {
        const present = fields.filter((field) => Object.hasOwn(previous, field));
        if (present.length === 0) return NO_CHANGE;
        const next = { ...previous };
        for (const field of present) delete next[field];
        return next;
      });
      return true;
    }
    await this.#dynamo('delete', key, () =>
      this.#client.send(
        new DeleteItemCommand({ TableName: this.tableName, Key: itemKey(this.namespace, key) }),
      ),
    );
    return true;
  }

  /** Whether a secret is stored under `key`. Reads the key only: never calls KMS. */
  async exists(key: string): Promise<boolean> {
    checkKey(key);
    const response = await this.#dynamo('exists', key, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: itemKey(this.namespace, key),
          ProjectionExpression: ATTRIBUTE.namespace,
          ConsistentRead: this.#consistentRead,
        }),
      ),
    );
    return response.Item !== undefined;
  }

  /** The names of the namespace's secrets, in key order. Never decrypts anything. */
  async *keys(): AsyncIterable<string> {
    let startKey: Item | undefined;
    do {
      const page = await this.#dynamo('keys', undefined, () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: `${ATTRIBUTE.namespace} = :namespace`,
            ExpressionAttributeValues: { ':namespace': { S: this.namespace } },
            ProjectionExpression: ATTRIBUTE.key,
            ConsistentRead: this.#consistentRead,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const key = item[ATTRIBUTE.key]?.S;
        if (key !== undefined && !key.startsWith(RESERVED_KEY_PREFIX)) yield key;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * Deletes every secret of the namespace (what uninstall does) and resolves to how many there
   * were. Needs only `dynamodb:Query` and `dynamodb:BatchWriteItem`; never calls the keyring.
   */
  async purge(): Promise<number> {
    const { deleted } = await purgeNamespace({
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
    });
    return deleted;
  }

  /**
   * Optimistic read-modify-write on the item's version. Resolves to the previous value.
   *
   * Each attempt writes with the condition "version is still the one I read" (or "still absent"),
   * so two writers can never both succeed from one read. The loser gets the winner's item back
   * (ALL_OLD): that item is current, so the first retry starts from it at once, with no read.
   * Losing again means real contention: the next attempts back off with full jitter and read the
   * item after sleeping, because an item read before a sleep is stale by the time it is written
   * on (retrying from stale items multiplies conflicts: see `npm run bench`, contention).
   *
   * Why a write with an unknown outcome is never applied twice: each attempt writes version
   * `read + 1` on the condition "version is still `read`", and carries a random `writeId`. If the
   * connection drops after DynamoDB applied it, the SDK sends the same request again; that copy
   * finds version `read + 1` and fails its condition, so the item cannot move twice from one read.
   * The failed condition hands back the current item: if its `writeId` is ours, our write is the
   * one that landed and we return; running the updater again would count it twice. (If another
   * writer got in between, the item is theirs and retrying from it is right.) A write whose
   * every copy failed for other reasons ends in a StorageError: it may or may not have landed,
   * which is why the caller is told, not retried silently.
   */
  async #update(key: string, createIfAbsent: boolean, compute: Compute): Promise<ValueHash> {
    let stored = await this.#read(key, true);
    for (let attempt = 1; ; attempt++) {
      const opened = stored ? await this.#open(key, stored) : undefined;
      try {
        const previous = opened?.value ?? {};
        if (!stored && !createIfAbsent) return previous;
        const next = compute(structuredClone(previous));
        if (next === NO_CHANGE) return previous;
        const writeId = randomUUID();
        const outcome = await this.#writeVersion(key, next, stored, opened?.dataKey, writeId);
        if (outcome === WRITTEN) return previous;
        // A server that returns no ALL_OLD item (or an item that is gone) costs one read here.
        const winner = outcome ?? (await this.#read(key, true));
        if (winner?.writeId === writeId) return previous; // ours landed; its response was lost
        if (attempt >= this.#patchRetry.maxAttempts) throw new ConcurrentUpdateError(key, attempt);
        if (attempt === 1) {
          stored = winner;
          continue;
        }
        await sleep(fullJitterDelay(attempt - 1, this.#patchRetry));
        stored = await this.#read(key, true);
      } finally {
        opened?.dataKey.fill(0);
      }
    }
  }

  /**
   * Writes `value` as the version after `stored` (or as version 1). Resolves {@link WRITTEN} on
   * success, else the item that won the race as returned by ALL_OLD (`undefined` when none was).
   */
  async #writeVersion(
    key: string,
    value: ValueHash,
    stored: StoredSecret | undefined,
    openedDataKey: Buffer | undefined,
    writeId: string,
  ): Promise<typeof WRITTEN | StoredSecret | undefined> {
    const budget = this.#budget(key);
    const plaintext = encodeValue(copyValue(value, budget));
    checkSize(plaintext, budget);
    const now = Date.now();
    const reuse =
      stored !== undefined &&
      openedDataKey !== undefined &&
      now - stored.dataKeyCreatedAt < this.#dataKeyMaxAgeMs;
    const context = this.#context(key);
    const dataKey = reuse
      ? {
          plaintext: Buffer.from(openedDataKey),
          wrapped: stored.wrappedDataKey,
          keyId: stored.keyId,
          createdAt: stored.dataKeyCreatedAt,
        }
      : { ...(await this.#keyring.generateDataKey(context)), createdAt: now };
    try {
      if (!reuse) {
        this.#cache?.set(this.#cacheId(dataKey.keyId, dataKey.wrapped, context), dataKey.plaintext);
      }
      const item = toItem(this.namespace, key, {
        version: (stored?.version ?? 0) + 1,
        ciphertext: seal(dataKey.plaintext, plaintext, this.namespace, key),
        wrappedDataKey: dataKey.wrapped,
        keyId: dataKey.keyId,
        dataKeyCreatedAt: dataKey.createdAt,
        updatedAt: now,
        writeId,
      });
      await this.#dynamo('patch', key, () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ...(stored
              ? {
                  ConditionExpression: '#version = :expectedVersion',
                  ExpressionAttributeNames: { '#version': ATTRIBUTE.version },
                  ExpressionAttributeValues: { ':expectedVersion': { N: String(stored.version) } },
                }
              : { ConditionExpression: `attribute_not_exists(${ATTRIBUTE.namespace})` }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return WRITTEN;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item ? fromItem(error.Item, key) : undefined;
    } finally {
      dataKey.plaintext.fill(0);
      plaintext.fill(0);
    }
  }

  async #read(key: string, consistentRead: boolean): Promise<StoredSecret | undefined> {
    const response = await this.#dynamo('get', key, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: itemKey(this.namespace, key),
          ConsistentRead: consistentRead,
        }),
      ),
    );
    return response.Item ? fromItem(response.Item, key) : undefined;
  }

  /** Unwraps the data key (from the cache when it can) and decrypts the value. */
  async #open(key: string, stored: StoredSecret): Promise<OpenedSecret> {
    const context = this.#context(key);
    const unwrap = () => this.#keyring.decryptDataKey(stored.wrappedDataKey, stored.keyId, context);
    const dataKey = this.#cache
      ? await this.#cache.getOrLoad(
          this.#cacheId(stored.keyId, stored.wrappedDataKey, context),
          unwrap,
        )
      : await unwrap();
    let plaintext: Buffer | undefined;
    try {
      plaintext = openEnvelope(dataKey, stored.ciphertext, { namespace: this.namespace, key });
      return { value: decodeValue(plaintext), dataKey };
    } catch (error) {
      dataKey.fill(0);
      const reason = error instanceof EnvelopeError ? error.message : 'the plaintext is not a hash';
      throw new DecryptionError(
        `the secret ${JSON.stringify(key)} in namespace ${this.namespace} could not be decrypted: ${reason}`,
        // The envelope's own errors hold no data; a JSON error could quote plaintext, so it is dropped.
        error instanceof EnvelopeError ? { cause: error } : undefined,
      );
    } finally {
      plaintext?.fill(0);
    }
  }

  /** Runs one DynamoDB call; failures other than a lost condition become a StorageError. */
  async #dynamo<Output>(operation: string, key: string | undefined, call: () => Promise<Output>) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      const name = error instanceof Error ? error.name : typeof error;
      const target = key === undefined ? '' : ` of ${JSON.stringify(key)}`;
      throw new StorageError(
        `DynamoDB failed the ${operation}${target} in namespace ${this.namespace} (table ${this.tableName}): ${name}`,
        { cause: error },
      );
    }
  }

  #context(key: string): EncryptionContext {
    return { namespace: this.namespace, secret: key };
  }

  /** Cache entries are scoped to the context too: a wrapped key copied elsewhere misses. */
  #cacheId(keyId: string, wrapped: Uint8Array, context: EncryptionContext): string {
    return `${JSON.stringify([keyId, context.namespace, context.secret])}${Buffer.from(wrapped).toString('base64')}`;
  }

  #budget(key: string): ValueBudget {
    const itemOverheadBytes =
      itemBytesBesidesCiphertext(this.namespace, key, this.#keyring) + ENVELOPE_OVERHEAD_BYTES;
    return { maxValueBytes: MAX_ITEM_BYTES - itemOverheadBytes, itemOverheadBytes };
  }
}

function seal(dataKey: Buffer, plaintext: Buffer, namespace: string, key: string): Buffer {
  return sealEnvelope(dataKey, plaintext, { namespace, key });
}

function checkSize(plaintext: Buffer, budget: ValueBudget): void {
  if (plaintext.length > budget.maxValueBytes) {
    throw new ValueTooLargeError(
      plaintext.length + budget.itemOverheadBytes,
      budget.maxValueBytes + budget.itemOverheadBytes,
    );
  }
}

function checkUpdaterResult(next: unknown): ValueHash {
  if (typeof (next as { then?: unknown } | null)?.then === 'function') {
    throw new InvalidValueError(
      '',
      'the patch updater returned a Promise; it must return the next value synchronously',
    );
  }
  // copyValue (in the write) validates the rest, e.g. an updater that forgot to return.
  return next as ValueHash;
}
