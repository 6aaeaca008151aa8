/**
 * The one write loop of the store (write protocol v3, DESIGN.md): put, patch batches, field
 * deletes, delete and rewrap all go through {@link SecretWriter.land}, which sends a write,
 * accounts for every copy of it (copyAnswers.ts) and decides from what the copies answered and
 * what the item's history shows:
 *
 * - a copy answered 2xx, or the write's own id is in the item's history: it **landed**;
 * - every copy was refused (4xx): it **never lands**: a failed condition is a lost race (the
 *   caller retries from the item that won), any other refusal a {@link StorageError};
 * - some copy may still land and the item still satisfies the write's condition: the **same
 *   request is sent again** (same `writeId`: whichever copy lands first wins, every other fails
 *   its condition), a few times at most;
 * - some copy may still land but the item has moved past the write's condition for good: it
 *   never lands when the history shows what came right after the id it was conditioned on (not
 *   this write), and is **unknown** ({@link OutcomeUnknownError}) when the history does not
 *   reach back that far.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { raceAbort, reasonName, sleepUnlessAborted } from './abort.ts';
import { describeAwsError } from './awsErrors.ts';
import {
  backOff,
  ContentionBackoff,
  MAX_RESENDS,
  type PatchRetryPolicy,
  RESEND_BACKOFF,
} from './backoff.ts';
import { CopyLog, sdkFailure, type WriteCommand } from './copyAnswers.ts';
import { DataKeyHolder } from './dataKeyHolder.ts';
import {
  abortedError,
  type CallSite,
  callDynamo,
  describeSite,
  sendDynamo,
  storageError,
} from './dynamoCall.ts';
import { ConcurrentUpdateError, OutcomeUnknownError } from './errors.ts';
import { GroupCommit } from './groupCommit.ts';
import {
  ATTRIBUTE,
  fromItem,
  getSecretInput,
  HISTORY_LENGTH,
  historyOf,
  type Item,
  isLive,
  type LeaseFence,
  putSecretInput,
  replacedItem,
  replaceSecretInput,
  type SecretAddress,
  type SecretRecord,
  tombstoneInput,
  type WriteState,
  writeStateOf,
} from './item.ts';
import { activeMeter, type OperationMeter, runMetered } from './observability/operationMeter.ts';
import type { RewrapOutcome } from './rewrap.ts';
import type {
  EncodedValue,
  FreshDataKey,
  OpenedSecret,
  SecretName,
  SecretSealer,
} from './secretSealer.ts';
import { blindWriteState, type TableState, tableStateOf } from './valueCache.ts';
import type { ValueHash } from './values.ts';

/**
 * How many sends of a conditional write may be refused (throttled) before StorageError: as
 * many as the SDK's own default attempts. Each re-send follows a read that shows the write's
 * base still current: a throttled write whose base moved is a lost race, never re-sent stale.
 */
export const MAX_REFUSED_SENDS = 3;

/** Returned by an update to say "nothing to write". */
export const NO_CHANGE = Symbol('no change');
export type Compute = (previous: ValueHash) => ValueHash | typeof NO_CHANGE;

/**
 * One caller's read-modify-write, waiting for its batch (see {@link GroupCommit}). A caller
 * whose signal aborts leaves at once: told `StorageError` while no write holding its change
 * was sent (and none will be: the batch goes on without it), `OutcomeUnknownError` while one is
 * in flight.
 */
interface PendingUpdate {
  readonly compute: Compute;
  /** false for a field delete: nothing is created when the secret is absent. */
  readonly createIfAbsent: boolean;
  readonly resolve: (previous: ValueHash) => void;
  readonly reject: (error: unknown) => void;
  /** A write holding this update's change is in flight. */
  sent: boolean;
  /** Its caller aborted: it was rejected, and no later write holds its change. */
  aborted: boolean;
  /** The meter of the patch that asked (observability/operationMeter.ts), when metered. */
  readonly meter?: OperationMeter | undefined;
}

/** The item a read-modify-write starts from. */
interface Base {
  /** The item as read, what the write is conditioned on; `undefined` when there was none. */
  readonly read: WriteState | undefined;
  /** Its secret, decrypted; `undefined` when absent or a tombstone. */
  readonly opened: OpenedSecret | undefined;
}

/** How a write ended: it landed, or it certainly never lands because its condition failed. */
export type Landing =
  | { readonly landed: true }
  /** `current`: the item that won, when DynamoDB returned it (ALL_OLD) or the store read it. */
  | { readonly landed: false; readonly current: Item | undefined };

const LANDED: Landing = { landed: true };

/**
 * What to do while a copy of the write may still land and its id is not (yet) in the item's
 * history: send the write's request again, send another request with the same id instead (a
 * delete over an item that is not live), or stop: it never lands, or no one can tell.
 */
export type InFlightStep =
  | 'resend'
  | 'not-landed'
  | 'unknown'
  | { readonly instead: () => WriteCommand };

/** One write of a secret: its request, its id, and how to decide while a copy is in flight. */
export interface Write {
  readonly site: CallSite & { readonly key: string };
  readonly writeId: string;
  /**
   * Whether `current` shows that a copy of this write landed. @default its `writeId` is in the
   * item's history (a lease write, which leaves the history alone, says its own way)
   */
  readonly landedIn?: (current: Item) => boolean;
  readonly request: () => WriteCommand;
  readonly whileInFlight: (current: Item | undefined) => InFlightStep;
  /**
   * Conditioned on the item it read: its throttled copies are the store's to re-send, after a
   * read shows that item still current (`whileInFlight` says 'resend').
   */
  readonly conditioned?: boolean;
  /** The caller's: when it aborts, the write stops and is told from its copies' answers. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Told of what the read-modify-writes do (the value cache): that a batch of `key` begins, then
 * the state and value it left when its write landed, that it failed (its outcome may be
 * unknown: forget the key), or that it ended without writing.
 */
export interface WriteListener {
  started(key: string): {
    landed(state: TableState, value: ValueHash): void;
    failed(): void;
    ended(): void;
  };
}

export interface SecretWriterOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  readonly sealer: SecretSealer;
  readonly retry: PatchRetryPolicy;
  readonly listener?: WriteListener | undefined;
}

/** A write id (or lease id): 128 random bits that never repeat for a key. */
export function newWriteId(): string {
  return randomBytes(16).toString('base64url');
}

export class SecretWriter {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #namespace: string;
  readonly #sealer: SecretSealer;
  readonly #retry: PatchRetryPolicy;
  readonly #listener: WriteListener | undefined;
  readonly #updates = new GroupCommit<PendingUpdate, Base>(
    // A batch's requests count for the first patch of the batch (not for the one whose call
    // started the key's queue, which may have ended while later batches run).
    (key, batch, carry) => runMetered(batch[0]?.meter, () => this.#commitBatch(key, batch, carry)),
    (carry) => carry.opened?.dataKey.fill(0),
  );

  constructor(options: SecretWriterOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#namespace = options.namespace;
    this.#sealer = options.sealer;
    this.#retry = options.retry;
    this.#listener = options.listener;
  }

  // -------------------------------------------------------------------------------------------
  // The operations

  /**
   * put: a fresh data key and one UpdateItem, conditioned on its id not being in the history,
   * so that a copy of it can land once only. Its condition fails otherwise only when the item's
   * count is one the increment cannot take (another type, out of range, not an integer): a
   * whole-item write conditioned on the item as read repairs it, in one more request.
   */
  async put(key: string, encoded: EncodedValue, signal?: AbortSignal): Promise<TableState> {
    using keys = new DataKeyHolder();
    const name = this.#name(key);
    const fresh = await this.#sealer.freshDataKey(name, signal);
    keys.hold(fresh.plaintext);
    const record = this.#record(this.#sealer.seal(name, fresh, encoded.plaintext));
    const site = this.#site('put', key);
    const request = () => new UpdateItemCommand(putSecretInput(this.#address(key), record));
    const contention = new ContentionBackoff(this.#retry);
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const landing = await this.land({
        site,
        writeId: record.writeId,
        request,
        whileInFlight: (current) =>
          current && writeStateOf(current).versionIsCorrupt ? 'not-landed' : 'resend',
        signal,
      }).catch((error: unknown) => this.#refusedIncrement(site, error, signal));
      // Blind: the put's request does not return the history it shifted.
      if (landing.landed) return blindWriteState(record.writeId);
      const current = landing.current ?? (await this.#read(site, signal));
      const state = current ? writeStateOf(current) : undefined;
      if (state?.versionIsCorrupt) {
        const repair = await this.land({ ...this.#conditioned(site, record, state), signal });
        if (repair.landed) return blindWriteState(record.writeId);
      }
      // The count changed under the put (repaired by another writer) or a rival won the repair.
      await this.#backOff(contention, site, attempt, performance.now() - started, signal);
    }
  }

  /**
   * A put refused with a ValidationException (nothing of it landed): when the item's count is to
   * blame, a lost race over it, so that the put repairs it. The put's condition keeps out every
   * count outside 1 to MAX_COUNT, but cannot tell an integer from a 38-digit fraction whose next
   * value needs a 39th digit (`9.99...9 + 1`): DynamoDB refuses that increment. Any other error,
   * or another cause, is thrown as it is.
   */
  async #refusedIncrement(
    site: Write['site'],
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Landing> {
    const cause = error instanceof Error ? error.cause : undefined;
    const refused =
      error instanceof Error &&
      error.name === 'StorageError' &&
      cause instanceof Error &&
      cause.name === 'ValidationException';
    if (!refused) throw error;
    const current = await this.#read(site, signal);
    if (!current || !writeStateOf(current).versionIsCorrupt) throw error;
    return { landed: false, current };
  }

  /**
   * delete: a tombstone in one UpdateItem, conditioned on a live secret and on its id not being
   * in the history. Deleting what does not exist writes nothing; but while a copy of the delete
   * may still land, the tombstone is written over the item as it is (absent, or an older
   * tombstone), so that the copy can never land on a secret written later. Resolves to the state
   * it left (its tombstone, or the absent item or tombstone it found).
   */
  async delete(key: string, signal?: AbortSignal): Promise<TableState> {
    const writeId = newWriteId();
    const deletedAt = Date.now();
    const address = this.#address(key);
    const landing = await this.land({
      site: this.#site('delete', key),
      writeId,
      request: () => new UpdateItemCommand(tombstoneInput(address, writeId, deletedAt)),
      whileInFlight: (current) =>
        isLive(current)
          ? 'resend'
          : {
              instead: () =>
                new UpdateItemCommand(
                  tombstoneInput(address, writeId, deletedAt, {
                    read: current && writeStateOf(current),
                  }),
                ),
            },
      signal,
    });
    return landing.landed ? blindWriteState(writeId) : tableStateOf(landing.current);
  }

  /**
   * A read-modify-write of `key` (patch, field delete), group-committed with the others of the
   * same key in this store. Resolves to the value it replaced.
   */
  update(
    key: string,
    createIfAbsent: boolean,
    compute: Compute,
    signal?: AbortSignal,
  ): Promise<ValueHash> {
    const site = this.#site('patch', key);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        update.aborted = true;
        const reason: unknown = signal?.reason;
        reject(
          update.sent
            ? this.#unknownAfterAbort(site, reason)
            : abortedError(site, reason, 'nothing of it was written'),
        );
      };
      const settled = () => signal?.removeEventListener('abort', onAbort);
      const update: PendingUpdate = {
        compute,
        createIfAbsent,
        resolve: (previous) => {
          settled();
          resolve(previous);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
        sent: false,
        aborted: false,
        meter: activeMeter(),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#updates.add(key, update);
    });
  }

  /**
   * rewrap of one secret: its data key wrapped again by the current key (never in plaintext
   * here), written back conditioned on the item read, so that a concurrent write is never lost.
   */
  async rewrap(key: string, signal?: AbortSignal): Promise<RewrapOutcome> {
    const site = this.#site('rewrap', key);
    const contention = new ContentionBackoff(this.#retry);
    for (let attempt = 1; ; attempt++) {
      const item = await this.#read(site, signal);
      if (!isLive(item)) return 'gone';
      const stored = fromItem(item, key);
      if (this.#sealer.isCurrent(stored.keyId)) return 'current';
      const moved = await this.#sealer.rewrap(this.#name(key), stored, signal);
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
      const landing = await this.land({ ...this.#conditioned(site, record, stored), signal });
      if (landing.landed) return 'moved';
      // Another writer came first: back off as a patch would, then read what it left.
      await this.#backOff(contention, site, attempt, performance.now() - started, signal);
    }
  }

  /**
   * refresh's final write: `merge` computes the next value from the item as it is now (it throws
   * when that item shows the lease lost), written as a whole write conditioned on that item AND
   * on `lease` still holding (a fence), releasing the lease in the same write. A rival write
   * between the read and the write (a patch of another field) makes it read and merge again.
   * Resolves to the value stored.
   */
  async writeFenced(
    key: string,
    lease: { readonly held: string },
    merge: (current: Item | undefined, value: ValueHash | undefined) => ValueHash,
  ): Promise<ValueHash> {
    const site = this.#site('refresh', key);
    const contention = new ContentionBackoff(this.#retry);
    const watch = this.#listener?.started(key);
    try {
      for (let attempt = 1; ; attempt++) {
        using keys = new DataKeyHolder();
        const item = await this.#read(site);
        const base = await this.#baseOf(site, item, keys);
        const next = this.#sealer.encode(this.#name(key), merge(item, base.opened?.value));
        const sealing = await this.#sealer
          .sealForWrite(this.#name(key), next.plaintext, base.opened, undefined)
          .finally(() => next.plaintext.fill(0));
        keys.hold(sealing.dataKey);
        if (sealing.created) keys.hold(sealing.created.plaintext);
        const fence = { held: lease.held, releasedAs: newWriteId() };
        const write = this.#conditioned(site, this.#record(sealing.sealed), base.read, fence);
        const started = performance.now();
        const landing = await this.land(write);
        if (landing.landed) {
          watch?.landed(writeStateOf(write.item), next.value);
          return next.value;
        }
        await this.#backOff(contention, site, attempt, performance.now() - started);
      }
    } catch (error) {
      watch?.failed();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Group commit of read-modify-writes

  /**
   * Commits one batch of updates of `key` as one conditional write, and leaves what it wrote
   * for the next batch. Never throws: every update of the batch is settled.
   *
   * Each attempt runs the batch's updaters in order on the current value (each sees the one
   * before it) and writes the result conditioned on the item it read. A lost race backs off with
   * full jitter on a window scaled to the observed round trip (a loaded server answers slowly,
   * so the window widens with the load), and reads the item after sleeping: the item the failed
   * write returned is stale by then.
   */
  async #commitBatch(
    key: string,
    batch: PendingUpdate[],
    carry: Base | undefined,
  ): Promise<Base | undefined> {
    using keys = new DataKeyHolder();
    if (carry?.opened) keys.hold(carry.opened.dataKey);
    const watch = this.#listener?.started(key);
    const site = this.#site('patch', key);
    const contention = new ContentionBackoff(this.#retry);
    let pending = batch.filter((update) => !update.aborted);
    // Every caller of the batch left before it began: nothing to read or write.
    if (pending.length === 0) return carry && handOverBase(carry, keys);
    let fresh: FreshDataKey | undefined;
    try {
      let base = carry ?? (await this.#readBase(site, keys));
      for (let attempt = 1; ; attempt++) {
        // Callers that aborted were told nothing of theirs is written: no write holds it now.
        pending = pending.filter((update) => !update.aborted);
        const round = this.#runUpdaters(key, pending, base);
        pending = round.survivors;
        if (!round.next) {
          watch?.ended();
          round.resolveAll();
          return handOverBase(base, keys);
        }
        const next = round.next;
        const sealing = await this.#sealer
          .sealForWrite(this.#name(key), next.plaintext, base.opened, fresh)
          .finally(() => next.plaintext.fill(0));
        const dataKey = keys.hold(sealing.dataKey);
        if (sealing.created) {
          keys.release(fresh?.plaintext);
          fresh = sealing.created;
          keys.hold(fresh.plaintext);
        }
        if (pending.some((update) => update.aborted)) {
          // A caller left while the write was sealed: the write is made again without it.
          keys.release(dataKey);
          attempt--;
          continue;
        }
        const write = this.#conditioned(site, this.#record(sealing.sealed), base.read);
        const started = performance.now();
        for (const update of pending) update.sent = true;
        const landing = await this.land(write);
        for (const update of pending) update.sent = false;
        const roundTripMs = performance.now() - started;
        keys.release(base.opened?.dataKey);
        if (landing.landed) {
          watch?.landed(writeStateOf(write.item), next.value);
          round.resolveAll();
          return {
            read: writeStateOf(write.item),
            opened: {
              stored: fromItem(write.item, key),
              value: next.value,
              dataKey: keys.handOver(dataKey),
            },
          };
        }
        keys.release(dataKey);
        // Contention: back off for a while scaled to the round trip just observed, then read
        // again. Writing on the item the failed write returned only loses again (npm run
        // bench, contention).
        await this.#backOff(contention, site, attempt, roundTripMs);
        base = await this.#readBase(site, keys);
      }
    } catch (error) {
      watch?.failed();
      for (const update of pending) update.reject(error);
      return undefined;
    }
  }

  /**
   * Runs every updater of the batch in order, each on the value the one before it left. An
   * updater that throws, or returns an invalid or too large value, fails its own call at once
   * and drops out; the others go on from the value before it.
   */
  #runUpdaters(key: string, pending: readonly PendingUpdate[], base: Base) {
    const name = this.#name(key);
    const previous = new Map<PendingUpdate, ValueHash>();
    const survivors: PendingUpdate[] = [];
    let exists = base.opened !== undefined;
    let value: ValueHash = base.opened?.value ?? {};
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
    const resolveAll = () => {
      for (const [update, before] of previous) update.resolve(structuredClone(before));
    };
    return { survivors, next, resolveAll };
  }

  async #readBase(site: Write['site'], keys: DataKeyHolder): Promise<Base> {
    return this.#baseOf(site, await this.#read(site), keys);
  }

  async #baseOf(site: Write['site'], item: Item | undefined, keys: DataKeyHolder): Promise<Base> {
    if (!item) return { read: undefined, opened: undefined };
    // A tombstone is no secret, but a write over it is conditioned on it, and carries on its history.
    if (!isLive(item)) return { read: writeStateOf(item), opened: undefined };
    const opened = await this.#sealer.open(this.#name(site.key), fromItem(item, site.key));
    keys.hold(opened.dataKey);
    return { read: opened.stored, opened };
  }

  // -------------------------------------------------------------------------------------------
  // The loop: send, account for every copy, decide

  /**
   * Sends a write until it is decided; see the module's comment. When the write's signal aborts,
   * it stops at once and is told from its copies' answers: {@link StorageError} when none can
   * land, {@link OutcomeUnknownError} when one may (a copy in flight, or one in doubt).
   */
  async land(write: Write): Promise<Landing> {
    const copies = new CopyLog();
    const { signal } = write;
    const stopIfAborted = () => {
      if (!signal?.aborted) return;
      throw copies.someMayLand
        ? this.#unknownAfterAbort(write.site, signal.reason)
        : abortedError(write.site, signal.reason, 'no copy of it was applied, and none will be');
    };
    /** Waits for `work`, or stops at once when the signal aborts. */
    const unlessAborted = async <T>(work: Promise<T>): Promise<T> => {
      try {
        return await raceAbort(work, signal);
      } catch (error) {
        stopIfAborted();
        throw error;
      }
    };
    let request = write.request;
    let refused = 0;
    let resends = 0;
    for (;;) {
      stopIfAborted();
      let failure: unknown;
      try {
        await unlessAborted(
          copies.send(this.#client, request(), write.conditioned === true, signal),
        );
        return LANDED;
      } catch (error) {
        // Aborted: `unlessAborted` threw what the copies tell.
        if (signal?.aborted) throw error;
        failure = sdkFailure(error);
      }
      const returned =
        failure instanceof ConditionalCheckFailedException ? (failure.Item as Item) : undefined;
      if (!copies.someMayLand) {
        // Every copy, of every send, was refused: nothing of this write is or will be applied.
        if (failure instanceof ConditionalCheckFailedException) {
          return { landed: false, current: returned };
        }
        if (!write.conditioned || ++refused >= MAX_REFUSED_SENDS) {
          throw storageError(write.site, failure);
        }
        // Throttled: after a backoff, send it again only if its base is still current; a base
        // that moved meanwhile makes it a lost race (its copies, all refused, can never land).
        await unlessAborted(backOff(refused, RESEND_BACKOFF, signal));
        const current = await unlessAborted(this.#read(write.site, signal));
        if (write.whileInFlight(current) !== 'resend') return { landed: false, current };
        request = write.request;
        continue;
      }
      let current = returned;
      if (!current) {
        try {
          current = await unlessAborted(this.#read(write.site, signal));
        } catch (error) {
          if (signal?.aborted) throw error;
          throw this.#unknown(write.site, 'the read that would tell failed too', failure);
        }
      }
      if (current && (write.landedIn?.(current) ?? historyOf(current).includes(write.writeId))) {
        return LANDED;
      }
      const step = write.whileInFlight(current);
      if (step === 'not-landed') return { landed: false, current };
      if (step === 'unknown') {
        throw this.#unknown(
          write.site,
          `the secret's history of its last ${HISTORY_LENGTH} writes no longer reaches back to the write it was based on`,
          failure,
        );
      }
      if (resends >= MAX_RESENDS) {
        throw this.#unknown(
          write.site,
          `it was sent ${resends + 1} times and a copy may still land`,
          failure,
        );
      }
      request = step === 'resend' ? write.request : step.instead;
      resends += 1;
      await unlessAborted(backOff(resends, RESEND_BACKOFF, signal));
    }
  }

  /** A write aborted by its caller while a copy of it may still land. */
  #unknownAfterAbort(site: CallSite, reason: unknown): OutcomeUnknownError {
    return new OutcomeUnknownError(
      `${describeSite(site)} may or may not have landed: it was aborted (${reasonName(reason)}) while a copy of it may still land; read the secret to see where it stands`,
      { cause: reason },
    );
  }

  /** Sleeps before the next attempt of a write that lost a race, or gives up. */
  async #backOff(
    contention: ContentionBackoff,
    site: Write['site'],
    attempt: number,
    roundTripMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const delay = contention.next(attempt, roundTripMs);
    if (delay === undefined) {
      throw new ConcurrentUpdateError(
        site.operation,
        site.key,
        this.#namespace,
        attempt,
        Math.round(contention.elapsedMs),
      );
    }
    await sleepUnlessAborted(delay, signal);
  }

  #unknown(site: CallSite, why: string, cause: unknown): OutcomeUnknownError {
    return new OutcomeUnknownError(
      `${describeSite(site)} may or may not have landed: a copy of it may have reached DynamoDB (${describeAwsError(cause)}) and ${why}; read the secret to see where it stands`,
      { cause: storageError(site, cause) },
    );
  }

  /** A write conditioned on the item as read (patch, rewrap, put's repair; refresh with `fence`). */
  #conditioned(
    site: Write['site'],
    record: SecretRecord,
    read: WriteState | undefined,
    fence?: LeaseFence,
  ): Write & { readonly item: Item } {
    const address = this.#address(site.key);
    const input = replaceSecretInput(address, record, read, fence);
    const inFlight = afterCondition(read);
    return {
      site,
      writeId: record.writeId,
      request: () => new UpdateItemCommand(input),
      // A fenced copy can land only while the lease id it holds is current: ids never repeat.
      whileInFlight: fence
        ? (current) =>
            current?.[ATTRIBUTE.leaseId]?.S === fence.held ? inFlight(current) : 'not-landed'
        : inFlight,
      conditioned: true,
      item: replacedItem(address, record, read),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Small things

  async #read(
    site: CallSite & { readonly key: string },
    signal?: AbortSignal,
  ): Promise<Item | undefined> {
    const response = await callDynamo(site, () =>
      sendDynamo(this.#client, new GetItemCommand(getSecretInput(this.#address(site.key), true)), {
        signal,
      }),
    );
    return response.Item;
  }

  #record(sealed: Omit<SecretRecord, 'updatedAt' | 'writeId'>): SecretRecord {
    return { ...sealed, updatedAt: Date.now(), writeId: newWriteId() };
  }

  #address(key: string): SecretAddress {
    return { tableName: this.#tableName, namespace: this.#namespace, key };
  }

  #site(operation: string, key: string): CallSite & { readonly key: string } {
    return { operation, key, namespace: this.#namespace, tableName: this.#tableName };
  }

  #name(key: string): SecretName {
    return { namespace: this.#namespace, key };
  }
}

function handOverBase(base: Base, keys: DataKeyHolder): Base {
  if (base.opened) keys.handOver(base.opened.dataKey);
  return base;
}

/**
 * The decision of a write conditioned on the item as read (`read`), while a copy of it may
 * still land and its id is not in `current`'s history.
 */
export function afterCondition(
  read: WriteState | undefined,
): (current: Item | undefined) => InFlightStep {
  return (current) => {
    if (conditionHolds(read, current)) return 'resend';
    const history = current ? historyOf(current) : [];
    if (!read) {
      // A create. Every write since the item came to be is in a history that is not full.
      return current && history.length < HISTORY_LENGTH ? 'not-landed' : 'unknown';
    }
    // Had it landed, its id would sit right after the one it was conditioned on: a history that
    // still holds that id (behind a newer one) holds every write since.
    return read.writeId !== undefined && history.indexOf(read.writeId) >= 1
      ? 'not-landed'
      : 'unknown';
  };
}

/** Whether a write conditioned on `read` could still land on `current`. */
function conditionHolds(read: WriteState | undefined, current: Item | undefined): boolean {
  if (!read) return current === undefined;
  if (!current) return false;
  const attribute = current[ATTRIBUTE.writeId];
  if (read.writeIdAttribute === undefined) return attribute === undefined;
  return attribute !== undefined && sameAttribute(attribute, read.writeIdAttribute);
}

function sameAttribute(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
