import { randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  contentionDelay,
  DEFAULT_PATCH_RETRY,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './backoff.ts';
import { type BatchReadContext, distinctKeys, readMany } from './batchRead.ts';
import { DataKeyCache, type DataKeyCacheOptions } from './dataKeyCache.ts';
import {
  type CallSite,
  type ConditionFailure,
  callDynamo,
  certainlyNotApplied,
  conditionalWrite,
} from './dynamoCall.ts';
import {
  ConcurrentUpdateError,
  ConfigurationError,
  InvalidValueError,
  OutcomeUnknownError,
  StorageError,
} from './errors.ts';
import { GroupCommit } from './groupCommit.ts';
import {
  deleteSecretInput,
  existsInput,
  fromItem,
  getSecretInput,
  historyOf,
  type Item,
  isTombstone,
  keyOf,
  putSecretInput,
  queryKeysInput,
  replaceSecretInput,
  type SecretAddress,
  type SecretRecord,
  type WriteState,
  writeStateOf,
} from './item.ts';
import type { Keyring } from './keyrings/Keyring.ts';
import { checkKey, checkNamespace, RESERVED_KEY_PREFIX } from './keys.ts';
import { purgeNamespace } from './purge.ts';
import {
  type RewrapOptions,
  type RewrapOutcome,
  type RewrapSummary,
  rewrapKeys,
} from './rewrap.ts';
import {
  type EncodedValue,
  type FreshDataKey,
  type OpenedSecret,
  type SecretName,
  SecretSealer,
} from './secretSealer.ts';
import {
  ABSENT,
  type CachedValue,
  copyCached,
  ValueCache,
  type ValueCacheOptions,
  valueCacheId,
  writeThrough,
} from './valueCache.ts';
import {
  checkFields,
  checkGetOptions,
  copyValue,
  type GetOptions,
  type PatchUpdater,
  pickFields,
  type StorableHash,
  type ValueHash,
} from './values.ts';
import { outcomeOf } from './writeOutcome.ts';

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
  /** Retries of a `patch` that lost a race. @default { maxAttempts: 40, baseDelayMs: 2, maxDelayMs: 1000 } */
  readonly patchRetry?: RetryOptions;
  /**
   * In-process cache of unwrapped data keys (or an existing cache to share), `false` for none.
   * @default { maxEntries: 1000, maxAgeMs: 300000 }
   */
  readonly dataKeyCache?: false | DataKeyCacheOptions | DataKeyCache;
  /** How long `patch` may keep re-using a secret's data key before it asks for a new one. @default 3600000 (1 h) */
  readonly dataKeyMaxAgeMs?: number;
  /**
   * In-process cache of decrypted values (or an existing cache to share), `false` for none. A
   * `get` within `maxAgeMs` of the last read or write of its key in this process makes no call;
   * this process's own writes update it as they land (so it never serves its own stale write);
   * another process's write shows after at most `maxAgeMs`. Shared with `forNamespace` stores.
   * `{}` turns it on with the defaults `{ maxAgeMs: 5000, maxEntries: 1000 }`.
   * @default false
   */
  readonly valueCache?: false | ValueCacheOptions | ValueCache;
}

/** Returned by an update to say "nothing to write". */
const NO_CHANGE = Symbol('no change');
type Compute = (previous: ValueHash) => ValueHash | typeof NO_CHANGE;

/** One caller's read-modify-write, waiting for its batch (see {@link GroupCommit}). */
interface PendingUpdate {
  readonly compute: Compute;
  /** false for a field delete: nothing is created when the secret is absent. */
  readonly createIfAbsent: boolean;
  readonly resolve: (previous: ValueHash) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * How a conditional write ended: `undefined` = written; `'landed'` = failed, but an earlier copy
 * of it had landed; `{ current }` = certainly not written, here is the item that won.
 */
type WriteResult = undefined | 'landed' | { readonly current: Item | undefined };

/** A write id: 128 random bits that never repeat for a key (DESIGN.md, write protocol v2). */
function newWriteId(): string {
  return randomBytes(16).toString('base64url');
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
  readonly #consistentRead: boolean;
  readonly #patchRetry: RetryPolicy;
  readonly #valueCache: ValueCache | undefined;
  readonly #batchRead: BatchReadContext;
  readonly #updates = new GroupCommit<PendingUpdate, OpenedSecret>(
    (key, batch, carry) => this.#commitBatch(key, batch, carry),
    (carry) => carry.dataKey.fill(0),
  );

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
    this.#client = options.dynamoDBClient ?? new DynamoDBClient({});
    const option = options.dataKeyCache;
    const cache =
      option === false
        ? undefined
        : option instanceof DataKeyCache
          ? option
          : new DataKeyCache(option);
    this.#consistentRead = options.consistentRead ?? true;
    this.#patchRetry = retryPolicy(options.patchRetry, DEFAULT_PATCH_RETRY, 'patchRetry');
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
    this.#batchRead = {
      client: this.#client,
      tableName: this.tableName,
      namespace: this.namespace,
      consistentRead: this.#consistentRead,
      valueCache: this.#valueCache,
      open: (key, item) => this.#openValue(key, item),
    };
    // Keep the resolved client and caches so that forNamespace() shares them.
    this.#options = {
      ...options,
      dynamoDBClient: this.#client,
      dataKeyCache: cache ?? false,
      valueCache: this.#valueCache ?? false,
    };
  }

  /** A store for another namespace that shares this one's clients, keyring and caches. */
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
    const { fields, forceFetch } = checkGetOptions(options);
    const value = this.#valueCache
      ? await this.#valueCache.get(this.#cacheId(key), () => this.#readValue(key), forceFetch)
      : await this.#readValue(key);
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
    const { fields, forceFetch } = checkGetOptions(options ?? {});
    const distinct = distinctKeys(keys);
    const values = await readMany(this.#batchRead, distinct, forceFetch);
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
   * overwrites the writes that came after the first copy.
   */
  async put<T extends object = ValueHash>(key: string, value: T & StorableHash<T>): Promise<true> {
    checkKey(key);
    const name = this.#name(key);
    const { plaintext, value: copy } = this.#sealer.encode(name, value);
    try {
      const fresh = await this.#sealer.freshDataKey(name);
      try {
        const sealed = this.#sealer.seal(name, fresh, plaintext);
        const record: SecretRecord = { ...sealed, updatedAt: Date.now(), writeId: newWriteId() };
        // value cache: write-through
        await writeThrough(
          this.#valueCache,
          this.#cacheId(key),
          copy,
          this.#putRecord(key, record),
        );
        return true;
      } finally {
        fresh.plaintext.fill(0);
      }
    } finally {
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
   * Concurrent patches of one key in one store share one write: each sees the value left by the
   * one before it and resolves to that value.
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
    const partial = copyValue(update, this.#sealer.budget(this.#name(key)));
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
    const deleted = callDynamo(this.#site('delete', key), () =>
      this.#client.send(new DeleteItemCommand(deleteSecretInput(this.#address(key)))),
    );
    await writeThrough(this.#valueCache, this.#cacheId(key), ABSENT, deleted); // value cache
    return true;
  }

  /**
   * Whether a secret is stored under `key`. Reads the key only: never calls KMS. With the value
   * cache on, a fresh cached entry answers without a call.
   */
  async exists(key: string): Promise<boolean> {
    checkKey(key);
    const known = this.#valueCache?.exists(this.#cacheId(key));
    if (known !== undefined) return known;
    const response = await callDynamo(this.#site('exists', key), () =>
      this.#client.send(new GetItemCommand(existsInput(this.#address(key), this.#consistentRead))),
    );
    return response.Item !== undefined && !isTombstone(response.Item);
  }

  /** The names of the namespace's secrets, in key order. Never decrypts anything. */
  async *keys(): AsyncIterable<string> {
    let startKey: Item | undefined;
    do {
      const page = await callDynamo(this.#site('keys'), () =>
        this.#client.send(
          new QueryCommand(
            queryKeysInput(this.tableName, this.namespace, this.#consistentRead, startKey),
          ),
        ),
      );
      for (const item of page.Items ?? []) {
        const key = keyOf(item);
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
    }).finally(() => this.#valueCache?.clearNamespace(this.namespace)); // value cache
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
    return rewrapKeys(this.keys(), (key) => this.#rewrapOne(key), options).finally(
      () => this.#valueCache?.clearNamespace(this.namespace), // value cache
    );
  }

  async #rewrapOne(key: string): Promise<RewrapOutcome> {
    const site = this.#site('rewrap', key);
    for (let attempt = 1; ; attempt++) {
      const item = await this.#read('rewrap', key, true);
      if (!item) return 'gone';
      const stored = fromItem(item, key);
      if (this.#sealer.isCurrent(stored.keyId)) return 'current';
      const moved = await this.#sealer.rewrap(this.#name(key), stored);
      const record: SecretRecord = {
        ciphertext: stored.ciphertext,
        wrappedDataKey: moved.wrapped,
        keyId: moved.keyId,
        dataKeyCreatedAt: stored.dataKeyCreatedAt,
        // Not a write of the value: the uninstall pipeline's cutoffs keep seeing the last one.
        updatedAt: stored.updatedAt ?? stored.dataKeyCreatedAt,
        writeId: newWriteId(),
      };
      const started = performance.now();
      const result = await this.#write(site, record.writeId, stored, () =>
        this.#client.send(
          new PutItemCommand(replaceSecretInput(this.#address(key), record, stored)),
        ),
      );
      if (result === undefined || result === 'landed') return 'moved';
      if (attempt >= this.#patchRetry.maxAttempts) throw new ConcurrentUpdateError(key, attempt);
      // Another writer came first: back off as a patch would, then read what it left.
      await sleep(contentionDelay(attempt, performance.now() - started, this.#patchRetry));
    }
  }

  // -------------------------------------------------------------------------------------------
  // put

  /**
   * put's write: one UpdateItem, conditioned on its id not being in the item's history. Its
   * condition fails only when an earlier copy of it landed (the SDK re-sent it after a lost
   * response), or when the item's count has a type the increment cannot take (then a whole-item
   * write conditioned on the item's `writeId` repairs it).
   */
  async #putRecord(key: string, record: SecretRecord): Promise<void> {
    const site = this.#site('put', key);
    for (let attempt = 1; ; attempt++) {
      const result = await this.#write(site, record.writeId, undefined, () =>
        this.#client.send(new UpdateItemCommand(putSecretInput(this.#address(key), record))),
      );
      if (result === undefined || result === 'landed') return;
      const current = result.current ? writeStateOf(result.current) : undefined;
      if (current?.versionTypeIsWrong) {
        const repair = await this.#write(site, record.writeId, current, () =>
          this.#client.send(
            new PutItemCommand(replaceSecretInput(this.#address(key), record, current)),
          ),
        );
        if (repair === undefined || repair === 'landed') return;
        if (attempt < this.#patchRetry.maxAttempts) continue; // another writer came first: again
        throw new ConcurrentUpdateError(key, attempt);
      }
      throw new OutcomeUnknownError(
        `the put of ${JSON.stringify(key)} in namespace ${this.namespace} failed its condition without a reason the item shows; read the secret to see where it stands`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // patch and field deletes: optimistic read-modify-write, group-committed

  #update(key: string, createIfAbsent: boolean, compute: Compute): Promise<ValueHash> {
    return new Promise((resolve, reject) => {
      this.#updates.add(key, { compute, createIfAbsent, resolve, reject });
    });
  }

  /**
   * Commits one batch of updates of `key` as one conditional write, and leaves what it wrote
   * for the next batch. Never throws: every update of the batch is settled.
   *
   * Each attempt runs the batch's updaters in order on the current value (each sees the one
   * before it) and writes the result conditioned on the `writeId` it read. A lost race hands
   * back the winner's item (ALL_OLD), which tells without a read whether an earlier copy of the
   * write had landed; if not, the batch backs off with full jitter on a window scaled to the
   * observed round trip (a loaded server answers slowly, so the window widens with the load),
   * and reads the item after sleeping.
   */
  async #commitBatch(
    key: string,
    batch: PendingUpdate[],
    carry: OpenedSecret | undefined,
  ): Promise<OpenedSecret | undefined> {
    let pending = batch;
    let base = carry;
    let fresh: FreshDataKey | undefined;
    try {
      if (!base) base = await this.#readOpened(key);
      for (let attempt = 1; ; attempt++) {
        const round = this.#runUpdaters(key, pending, base);
        pending = round.survivors;
        if (!round.next) {
          for (const [update, previous] of round.previous)
            update.resolve(structuredClone(previous));
          return base;
        }
        const next = round.next;
        const { sealed, dataKey, created } = await this.#sealer
          .sealForWrite(this.#name(key), next.plaintext, base, fresh)
          .finally(() => next.plaintext.fill(0));
        if (created) {
          fresh?.plaintext.fill(0);
          fresh = created;
        }
        const record: SecretRecord = { ...sealed, updatedAt: Date.now(), writeId: newWriteId() };
        const input = replaceSecretInput(this.#address(key), record, base?.stored);
        const started = performance.now();
        let result: WriteResult;
        try {
          result = await this.#write(this.#site('patch', key), record.writeId, base?.stored, () =>
            this.#client.send(new PutItemCommand(input)),
          );
        } catch (error) {
          dataKey.fill(0);
          throw error;
        }
        const roundTripMs = performance.now() - started;
        // value cache: what landed ('landed': an earlier copy did, and later writes may follow it)
        if (result === undefined)
          this.#valueCache?.wrote(this.#cacheId(key), copyCached(next.value));
        else if (result === 'landed') this.#valueCache?.evict(this.#cacheId(key));
        if (result === undefined || result === 'landed') {
          for (const [update, previous] of round.previous)
            update.resolve(structuredClone(previous));
          base?.dataKey.fill(0);
          base = undefined;
          if (result === 'landed') {
            dataKey.fill(0);
            return undefined; // later writes may have followed: the next batch reads
          }
          return { stored: fromItem(input.Item as Item, key), value: round.next.value, dataKey };
        }
        dataKey.fill(0);
        if (attempt >= this.#patchRetry.maxAttempts) throw new ConcurrentUpdateError(key, attempt);
        base?.dataKey.fill(0);
        base = undefined;
        // Contention: back off for a while scaled to the round trip just observed, then read
        // again. The item the failed write returned (ALL_OLD) is stale after any sleep: writing
        // on it only loses again (npm run bench, contention).
        await sleep(contentionDelay(attempt, roundTripMs, this.#patchRetry));
        base = await this.#readOpened(key);
      }
    } catch (error) {
      this.#valueCache?.evict(this.#cacheId(key)); // value cache
      for (const update of pending) update.reject(error);
      base?.dataKey.fill(0);
      return undefined;
    } finally {
      fresh?.plaintext.fill(0);
    }
  }

  /**
   * Runs every updater of the batch in order, each on the value the one before it left. An
   * updater that throws, or returns an invalid or too large value, fails its own call at once
   * and drops out; the others go on from the value before it.
   */
  #runUpdaters(key: string, pending: readonly PendingUpdate[], base: OpenedSecret | undefined) {
    const name = this.#name(key);
    const previous = new Map<PendingUpdate, ValueHash>();
    const survivors: PendingUpdate[] = [];
    let exists = base !== undefined;
    let value: ValueHash = base?.value ?? {};
    let next: EncodedValue | undefined;
    for (const update of pending) {
      if (!exists && !update.createIfAbsent) {
        previous.set(update, {});
        survivors.push(update);
        continue;
      }
      try {
        const result = update.compute(structuredClone(value));
        if (result !== NO_CHANGE) {
          const encoded = this.#sealer.encode(name, result);
          next?.plaintext.fill(0);
          next = encoded;
        }
      } catch (error) {
        update.reject(error);
        continue;
      }
      previous.set(update, value);
      survivors.push(update);
      value = next?.value ?? value;
      exists = exists || next !== undefined;
    }
    return { previous, survivors, next };
  }

  // -------------------------------------------------------------------------------------------
  // The write protocol's decision, shared by put and patch

  /**
   * Sends one conditional write. Resolves `undefined` when it landed, `'landed'` when it failed
   * but an earlier copy of it had landed (its id is in the current item's history), or the
   * current item when it certainly did not land. Throws {@link OutcomeUnknownError} when the
   * history cannot tell, and {@link StorageError} when DynamoDB failed a write that certainly
   * did not land.
   */
  async #write(
    site: CallSite & { readonly key: string },
    writeId: string,
    conditionedOn: WriteState | undefined,
    send: () => Promise<unknown>,
  ): Promise<WriteResult> {
    let failure: ConditionFailure | undefined;
    let sendError: unknown;
    try {
      failure = await conditionalWrite(site, send);
      if (!failure) return undefined;
    } catch (error) {
      if (certainlyNotApplied(error)) throw error;
      sendError = error; // the SDK gave up on a copy that may have reached the server
    }
    const onlyCopy = failure?.attempts === 1;
    // The item the failed condition returned (ALL_OLD); without one (a server that does not
    // return it, an item that is gone, a write that failed otherwise), one read.
    let current = failure?.item;
    if (!current) {
      try {
        current = await this.#read(site.operation, site.key, true);
      } catch (readError) {
        if (onlyCopy) throw readError;
        throw this.#outcomeUnknown(site, sendError ?? readError);
      }
    }
    const outcome = outcomeOf({
      writeId,
      conditionedOn: conditionedOn?.writeId,
      currentHistory: current ? historyOf(current) : undefined,
      onlyCopy,
    });
    if (outcome === 'landed') return 'landed';
    if (outcome === 'unknown') throw this.#outcomeUnknown(site, sendError);
    if (sendError !== undefined) throw sendError; // it did not land: DynamoDB's failure stands
    return { current };
  }

  #outcomeUnknown(site: CallSite & { readonly key: string }, cause?: unknown): OutcomeUnknownError {
    return new OutcomeUnknownError(
      `the ${site.operation} of ${JSON.stringify(site.key)} in namespace ${this.namespace} may or may not have landed: a response was lost, the SDK sent the request again, and the secret's history of recent writes no longer tells; read it to see where it stands`,
      cause === undefined ? undefined : { cause },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Reading and opening

  async #read(operation: string, key: string, consistentRead: boolean): Promise<Item | undefined> {
    const response = await callDynamo(this.#site(operation, key), () =>
      this.#client.send(new GetItemCommand(getSecretInput(this.#address(key), consistentRead))),
    );
    return response.Item;
  }

  /** The value of `key` as the table holds it now; `ABSENT` for no item or a tombstone. */
  async #readValue(key: string): Promise<CachedValue> {
    const item = await this.#read('get', key, this.#consistentRead);
    return item && !isTombstone(item) ? this.#openValue(key, item) : ABSENT;
  }

  async #openValue(key: string, item: Item): Promise<ValueHash> {
    const { value, dataKey } = await this.#sealer.open(this.#name(key), fromItem(item, key));
    dataKey.fill(0);
    return value;
  }

  #cacheId(key: string): string {
    return valueCacheId(this.namespace, key);
  }

  async #readOpened(key: string): Promise<OpenedSecret | undefined> {
    const item = await this.#read('patch', key, true);
    return item ? this.#sealer.open(this.#name(key), fromItem(item, key)) : undefined;
  }

  #address(key: string): SecretAddress {
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
