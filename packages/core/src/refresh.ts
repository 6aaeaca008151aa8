/**
 * `refresh` (DESIGN.md, "Coordinated refresh (leases)"): one upstream refresh per expiry across
 * every container. A caller reads the secret (strongly consistent); a fresh value is returned
 * as read (one GetItem, no write). Otherwise one caller takes the secret's lease (leaseItem.ts),
 * renews it every third of `leaseMs` while its `refresh` callback runs, and stores the fields the
 * callback changed, merged over the item as it is then, fenced by the lease and releasing it in
 * the same write (SecretWriter.writeFenced). The others poll with jittered backoff until the
 * value is fresh, the lease is abandoned (then they take it), or `waitMs` passes.
 *
 * Every write here (take, renew, release, final write) goes through the store's one write loop
 * (SecretWriter.land): each copy's answer is accounted for, and a lease write whose response was
 * lost is decided from the lease id the item holds (ids never repeat).
 */
import { isDeepStrictEqual } from 'node:util';
import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { sleepUnlessAborted } from './abort.ts';
import { abortedError, type CallSite, callDynamo, describeSite, sendDynamo } from './dynamoCall.ts';
import {
  InvalidValueError,
  LeaseLostError,
  OutcomeUnknownError,
  RefreshTimeoutError,
} from './errors.ts';
import {
  ATTRIBUTE,
  getSecretInput,
  type Item,
  isLive,
  type SecretAddress,
  writeStateOf,
} from './item/index.ts';
import { type LeaseState, leaseOf, moveLeaseInput, takeLeaseInput } from './leaseItem.ts';
import type { CheckedOptions } from './refreshOptions.ts';
import type { SecretWriter } from './secretWriter.ts';
import type { ValueHash } from './values.ts';
import { newWriteId } from './writeLoop.ts';

/**
 * The sleep of a waiter after its `poll`-th read, which took `readMs`: 10 ms growing by half each
 * time up to a tenth of the lease (at most 500 ms), or 2 read round trips when the table answers
 * slower (up to a third of the lease), with jitter so that waiters of many containers spread out.
 * A small cap keeps "every caller answered" close to "the holder answered"; scaling with the
 * round trip keeps many waiters from saturating the table (or a partition's read capacity), which
 * would starve the holder's own final write (npm run bench, refresh).
 */
export function pollDelay(poll: number, leaseMs: number, readMs = 0): number {
  const base = Math.min(500, leaseMs / 10, 10 * 1.5 ** (poll - 1));
  const window = Math.min(leaseMs / 3, Math.max(base, 2 * readMs));
  return window * (0.5 + Math.random() / 2);
}

export interface RefresherOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  readonly writer: SecretWriter;
  /** Decrypts a live item's value. */
  readonly open: (key: string, item: Item) => Promise<ValueHash>;
}

/** The callers of one key in one store, sharing one run of the protocol. */
class Flight {
  readonly controller = new AbortController();
  result: Promise<ValueHash> | undefined;
  #joiners = 0;
  #abandoned = 0;
  #unabortable = false;

  /**
   * One caller's share: a copy of the result, or as soon as its own signal aborts, a
   * StorageError with the signal's reason as its cause.
   */
  join(signal: AbortSignal | undefined, site: CallSite): Promise<ValueHash> {
    const result = this.result as Promise<ValueHash>;
    this.#joiners += 1;
    if (!signal) {
      this.#unabortable = true;
      return result.then((value) => structuredClone(value));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(abortedError(site, signal.reason, 'nothing was written for this caller'));
        this.#abandoned += 1;
        // The run stops only when no caller waits for it any more.
        if (!this.#unabortable && this.#abandoned === this.#joiners) {
          this.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      result.then(
        (value) => resolve(structuredClone(value)),
        (error: unknown) => reject(error),
      );
      result.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {});
    });
  }
}

/** The lease protocol of one store: its flights, one per key. */
export class Refresher {
  readonly #options: RefresherOptions;
  readonly #flights = new Map<string, Flight>();

  constructor(options: RefresherOptions) {
    this.#options = options;
  }

  refresh(key: string, options: CheckedOptions): Promise<ValueHash> {
    if (options.signal?.aborted) throw abortedError(this.#site(key), options.signal.reason);
    let flight = this.#flights.get(key);
    if (!flight) {
      const started = new Flight();
      started.result = this.#run(key, options, started.controller.signal).finally(() =>
        this.#flights.delete(key),
      );
      this.#flights.set(key, started);
      flight = started;
    }
    return flight.join(options.signal, this.#site(key));
  }

  /** Read; fresh: done. Free or abandoned lease: take it and hold. Else wait and read again. */
  async #run(key: string, options: CheckedOptions, signal: AbortSignal): Promise<ValueHash> {
    const started = performance.now();
    let seen: { readonly id: string | undefined; readonly since: number } | undefined;
    // The value last decrypted, by the write that made it: a poll that finds the same write
    // (the holder still at work) decrypts nothing.
    let opened: { readonly writeId: string; readonly value: ValueHash } | undefined;
    for (let poll = 1; ; poll++) {
      signal.throwIfAborted();
      const reading = performance.now();
      const item = await this.#read(key, signal);
      const readMs = performance.now() - reading;
      let value: ValueHash = {};
      if (isLive(item)) {
        const writeId = writeIdOf(item);
        value =
          writeId !== undefined && opened?.writeId === writeId
            ? opened.value
            : await this.#options.open(key, item);
        if (writeId !== undefined) opened = { writeId, value };
      }
      if (!options.needsRefresh(structuredClone(value))) return value;
      const lease = leaseOf(item);
      const now = performance.now();
      let mayTake = lease.heldForMs === undefined;
      if (!mayTake) {
        // Taken over only when this caller saw the same lease id for the holder's whole leaseMs.
        if (seen !== undefined && seen.id === lease.id) {
          mayTake = now - seen.since >= (lease.heldForMs as number);
        } else {
          seen = { id: lease.id, since: now };
        }
      }
      if (mayTake) {
        const held = await this.#take(key, item, lease, options.leaseMs);
        if (held !== undefined) return this.#hold(key, held, item, value, options, signal);
        seen = undefined;
      }
      const waited = performance.now() - started;
      if (waited >= options.waitMs) {
        throw new RefreshTimeoutError(
          `${describeSite(this.#site(key))} waited ${Math.round(waited)} ms (waitMs ${options.waitMs}) while another caller held its lease, and no fresh value appeared; nothing was written`,
          Math.round(waited),
        );
      }
      // Ends early (its timer cleared) when every caller of the flight has aborted.
      await sleepUnlessAborted(
        Math.min(pollDelay(poll, options.leaseMs, readMs), options.waitMs - waited),
        signal,
      );
    }
  }

  /** Runs the callback under the lease, renewing it, then the fenced final write. */
  async #hold(
    key: string,
    taken: string,
    item: Item | undefined,
    value: ValueHash,
    options: CheckedOptions,
    signal: AbortSignal,
  ): Promise<ValueHash> {
    const lease = new HeldLease(taken);
    const stopFollowing = follow(signal, lease.controller);
    let beats = Promise.resolve();
    const timer = setInterval(() => {
      beats = beats.then(() => this.#renew(key, lease));
    }, options.leaseMs / 3);
    timer.unref?.();
    const stop = async () => {
      clearInterval(timer);
      stopFollowing();
      await beats;
    };
    let result: unknown;
    try {
      result = await options.refresh(structuredClone(value), { signal: lease.controller.signal });
    } catch (error) {
      await stop();
      if (!lease.lost) await this.#release(key, lease.id).catch(() => undefined);
      throw error;
    }
    await stop();
    if (lease.lost) throw lease.lost;
    try {
      const changes = changedFields(value, result);
      return await this.#options.writer.writeFenced(key, { held: lease.id }, (current, now) => {
        const lost = lostBy(current, item, lease.id);
        if (lost) throw this.#lost(key, lost);
        const merged: ValueHash = { ...now, ...changes.set };
        for (const field of changes.removed) delete merged[field];
        return merged;
      });
    } catch (error) {
      if (!(error instanceof LeaseLostError)) {
        // Nothing stored (or unknown): free the lease for the next caller; a release whose
        // lease already moved on fails its condition and changes nothing.
        await this.#release(key, lease.id).catch(() => undefined);
      }
      throw error;
    }
  }

  async #take(
    key: string,
    item: Item | undefined,
    lease: LeaseState,
    leaseMs: number,
  ): Promise<string | undefined> {
    const leaseId = newWriteId();
    const input = takeLeaseInput(this.#address(key), { item, lease }, leaseId, leaseMs, Date.now());
    const live = isLive(item);
    const landing = await this.#options.writer.land({
      site: this.#site(key),
      writeId: leaseId,
      request: () => new UpdateItemCommand(input),
      landedIn: (current) => current[ATTRIBUTE.leaseId]?.S === leaseId,
      // Its condition still holds only for the same lease id (ids never repeat) and shape.
      whileInFlight: (current) =>
        leaseOf(current).id === lease.id && isLive(current) === live ? 'resend' : 'not-landed',
      conditioned: true,
    });
    return landing.landed ? leaseId : undefined;
  }

  /** The heartbeat: a new lease id conditioned on the held one. */
  async #renew(key: string, lease: HeldLease): Promise<void> {
    if (lease.lost) return;
    try {
      const next = await this.#move(key, lease.id, false);
      if (next === undefined) lease.lose(this.#lost(key, 'another caller took it over'));
      else lease.id = next;
    } catch (error) {
      // A StorageError never lands: the lease keeps its id and the next beat tries again. An
      // unknown outcome leaves no id to fence the final write with: the lease is as good as lost.
      if (error instanceof OutcomeUnknownError) {
        lease.lose(this.#lost(key, 'a renewal of it may or may not have landed', error));
      }
    }
  }

  #release(key: string, held: string): Promise<string | undefined> {
    return this.#move(key, held, true);
  }

  async #move(key: string, held: string, release: boolean): Promise<string | undefined> {
    const leaseId = newWriteId();
    const input = moveLeaseInput(this.#address(key), held, leaseId, release);
    const landing = await this.#options.writer.land({
      site: this.#site(key),
      writeId: leaseId,
      request: () => new UpdateItemCommand(input),
      landedIn: (current) => current[ATTRIBUTE.leaseId]?.S === leaseId,
      whileInFlight: (current) => (leaseOf(current).id === held ? 'resend' : 'not-landed'),
      conditioned: true,
    });
    return landing.landed ? leaseId : undefined;
  }

  /** A strongly consistent read; `signal` is the flight's (every caller aborted). */
  async #read(key: string, signal: AbortSignal): Promise<Item | undefined> {
    const response = await callDynamo(this.#site(key), () =>
      sendDynamo(
        this.#options.client,
        new GetItemCommand(getSecretInput(this.#address(key), true)),
        { signal },
      ),
    );
    return response.Item;
  }

  #lost(key: string, why: string, cause?: unknown): LeaseLostError {
    return new LeaseLostError(
      `${describeSite(this.#site(key))} lost its lease before storing its result: ${why}; nothing was written`,
      cause === undefined ? undefined : { cause },
    );
  }

  #address(key: string): SecretAddress {
    return { tableName: this.#options.tableName, namespace: this.#options.namespace, key };
  }

  #site(key: string): CallSite & { readonly key: string } {
    return {
      operation: 'refresh',
      key,
      namespace: this.#options.namespace,
      tableName: this.#options.tableName,
    };
  }
}

/** The lease a holder holds: its current id, and whether (and why) it was lost. */
class HeldLease {
  readonly controller = new AbortController();
  id: string;
  lost: LeaseLostError | undefined;

  constructor(id: string) {
    this.id = id;
  }

  lose(error: LeaseLostError): void {
    this.lost ??= error;
    this.controller.abort(error);
  }
}

/**
 * Why the item as it is now says the lease is lost, if it does: another lease id (taken over,
 * or the item purged), or the secret deleted since the holder read it (a delete always wins).
 */
function lostBy(
  current: Item | undefined,
  read: Item | undefined,
  held: string,
): string | undefined {
  if (current?.[ATTRIBUTE.leaseId]?.S !== held) {
    return current ? 'another caller took it over' : 'the secret was purged or uninstalled';
  }
  if (!isLive(current) && (isLive(read) || writeStateOf(current).writeId !== writeIdOf(read))) {
    return 'the secret was deleted meanwhile';
  }
  return undefined;
}

function writeIdOf(item: Item | undefined): string | undefined {
  return item ? writeStateOf(item).writeId : undefined;
}

/** The fields `after` sets differently from `before`, and those it no longer has. */
function changedFields(
  before: ValueHash,
  after: unknown,
): { readonly set: ValueHash; readonly removed: readonly string[] } {
  if (typeof after !== 'object' || after === null || Array.isArray(after)) {
    throw new InvalidValueError(
      '',
      `the refresh callback must resolve to the next value (a plain object), received ${after === null ? 'null' : Array.isArray(after) ? 'an array' : typeof after}`,
    );
  }
  const next = after as ValueHash;
  const set: ValueHash = {};
  for (const [field, value] of Object.entries(next)) {
    if (value !== undefined && !isDeepStrictEqual(before[field], value)) set[field] = value;
  }
  const removed = Object.keys(before).filter((field) => next[field] === undefined);
  return { set, removed };
}

/** Aborts `target` when `signal` does; returns the unsubscribe. */
function follow(signal: AbortSignal, target: AbortController): () => void {
  if (signal.aborted) {
    target.abort(signal.reason);
    return () => {};
  }
  const onAbort = () => target.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
