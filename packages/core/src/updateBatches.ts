/**
 * The read-modify-writes of a store (patch, field deletes), group-committed per key
 * ({@link GroupCommit}): the updates that wait while a write of their key is in flight go out
 * together in the next one, each computed on the value the one before it left.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ContentionBackoff, type PatchRetryPolicy } from './backoff.ts';
import { DataKeyHolder } from './dataKeyHolder.ts';
import { abortedError } from './dynamoCall.ts';
import { GroupCommit } from './groupCommit.ts';
import { fromItem, writeStateOf } from './item/index.ts';
import { activeMeter, type OperationMeter, runMetered } from './observability/operationMeter.ts';
import {
  type Base,
  backOff,
  baseOf,
  conditionedWrite,
  handOverBase,
  nameOf,
  newRecord,
  type WriteListener,
} from './readModifyWrite.ts';
import type { EncodedValue, FreshDataKey, SecretName, SecretSealer } from './secretSealer.ts';
import type { ValueHash } from './values.ts';
import { land, readItem, unknownAfterAbort, type Write } from './writeLoop.ts';

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

export interface UpdateBatchesOptions {
  readonly client: DynamoDBClient;
  readonly sealer: SecretSealer;
  readonly retry: PatchRetryPolicy;
  readonly listener?: WriteListener | undefined;
  /** The site of a patch of `key`. */
  readonly site: (key: string) => Write['site'];
}

export class UpdateBatches {
  readonly #options: UpdateBatchesOptions;
  readonly #updates = new GroupCommit<PendingUpdate, Base>(
    // A batch's requests count for the first patch of the batch (not for the one whose call
    // started the key's queue, which may have ended while later batches run).
    (key, batch, carry) => runMetered(batch[0]?.meter, () => this.#commitBatch(key, batch, carry)),
    (carry) => carry.opened?.dataKey.fill(0),
  );

  constructor(options: UpdateBatchesOptions) {
    this.#options = options;
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
    const site = this.#options.site(key);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        update.aborted = true;
        const reason: unknown = signal?.reason;
        reject(
          update.sent
            ? unknownAfterAbort(site, reason)
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
    const watch = this.#options.listener?.started(key);
    const site = this.#options.site(key);
    const contention = new ContentionBackoff(this.#options.retry);
    let pending = batch.filter((update) => !update.aborted);
    // Every caller of the batch left before it began: nothing to read or write.
    if (pending.length === 0) return carry && handOverBase(carry, keys);
    let fresh: FreshDataKey | undefined;
    try {
      let base = carry ?? (await this.#readBase(site, keys));
      for (let attempt = 1; ; attempt++) {
        // Callers that aborted were told nothing of theirs is written: no write holds it now.
        pending = pending.filter((update) => !update.aborted);
        const round = this.#runUpdaters(nameOf(site), pending, base);
        pending = round.survivors;
        if (!round.next) {
          watch?.ended();
          round.resolveAll();
          return handOverBase(base, keys);
        }
        const next = round.next;
        const sealing = await this.#options.sealer
          .sealForWrite(nameOf(site), next.plaintext, base.opened, fresh)
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
        const write = conditionedWrite(site, newRecord(sealing.sealed), base.read);
        const started = performance.now();
        for (const update of pending) update.sent = true;
        const landing = await land(this.#options.client, write);
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
        await backOff(contention, site, attempt, roundTripMs);
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
  #runUpdaters(name: SecretName, pending: readonly PendingUpdate[], base: Base) {
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
          const encoded = this.#options.sealer.encode(name, result);
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
    return baseOf(this.#options.sealer, site, await readItem(this.#options.client, site), keys);
  }
}
