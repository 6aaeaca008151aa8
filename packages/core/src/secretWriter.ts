/**
 * The write operations of the store: put, delete, the group-committed read-modify-writes (patch,
 * field deletes), rewrap and refresh's fenced write. Each builds its write and sends it through
 * the one write loop (writeLoop.ts), which decides whether it landed; here, what to do then (a
 * lost race backs off and reads again, a landed write tells the value cache).
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ContentionBackoff, type PatchRetryPolicy } from './backoff.ts';
import { DataKeyHolder } from './dataKeyHolder.ts';
import type { CallSite } from './dynamoCall.ts';
import {
  fromItem,
  type Item,
  isLive,
  putSecretInput,
  type SecretAddress,
  type SecretRecord,
  tombstoneInput,
  writeStateOf,
} from './item/index.ts';
import {
  backOff,
  baseOf,
  conditionedWrite,
  newRecord,
  type WriteListener,
} from './readModifyWrite.ts';
import type { RewrapOutcome } from './rewrap.ts';
import type { EncodedValue, SecretName, SecretSealer } from './secretSealer.ts';
import { blindWriteState, type TableState, tableStateOf } from './tableState.ts';
import { UpdateBatches } from './updateBatches.ts';
import type { ValueHash } from './values.ts';
import { type Landing, land, newWriteId, readItem, type Write } from './writeLoop.ts';

export interface SecretWriterOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  readonly sealer: SecretSealer;
  readonly retry: PatchRetryPolicy;
  readonly listener?: WriteListener | undefined;
}

export class SecretWriter {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #namespace: string;
  readonly #sealer: SecretSealer;
  readonly #retry: PatchRetryPolicy;
  readonly #listener: WriteListener | undefined;
  readonly #updates: UpdateBatches;

  constructor(options: SecretWriterOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#namespace = options.namespace;
    this.#sealer = options.sealer;
    this.#retry = options.retry;
    this.#listener = options.listener;
    this.#updates = new UpdateBatches({ ...options, site: (key) => this.#site('patch', key) });
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
    const record = newRecord(this.#sealer.seal(name, fresh, encoded.plaintext));
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
        const repair = await this.land({ ...conditionedWrite(site, record, state), signal });
        if (repair.landed) return blindWriteState(record.writeId);
      }
      // The count changed under the put (repaired by another writer) or a rival won the repair.
      await backOff(contention, site, attempt, performance.now() - started, signal);
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

  /** A read-modify-write (patch, field delete), group-committed: {@link UpdateBatches.update}. */
  update(...args: Parameters<UpdateBatches['update']>): Promise<ValueHash> {
    return this.#updates.update(...args);
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
      const landing = await this.land({ ...conditionedWrite(site, record, stored), signal });
      if (landing.landed) return 'moved';
      // Another writer came first: back off as a patch would, then read what it left.
      await backOff(contention, site, attempt, performance.now() - started, signal);
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
        const base = await baseOf(this.#sealer, site, item, keys);
        const next = this.#sealer.encode(this.#name(key), merge(item, base.opened?.value));
        const sealing = await this.#sealer
          .sealForWrite(this.#name(key), next.plaintext, base.opened, undefined)
          .finally(() => next.plaintext.fill(0));
        keys.hold(sealing.dataKey);
        if (sealing.created) keys.hold(sealing.created.plaintext);
        const fence = { held: lease.held, releasedAs: newWriteId() };
        const write = conditionedWrite(site, newRecord(sealing.sealed), base.read, fence);
        const started = performance.now();
        const landing = await this.land(write);
        if (landing.landed) {
          watch?.landed(writeStateOf(write.item), next.value);
          return next.value;
        }
        await backOff(contention, site, attempt, performance.now() - started);
      }
    } catch (error) {
      watch?.failed();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The loop

  /** Sends `write` through the one write loop (writeLoop.ts); refresh's lease writes use it. */
  land(write: Write): Promise<Landing> {
    return land(this.#client, write);
  }

  // -------------------------------------------------------------------------------------------
  // Small things

  #read(site: Write['site'], signal?: AbortSignal): Promise<Item | undefined> {
    return readItem(this.#client, site, signal);
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
