/**
 * The opt-in value cache (DESIGN.md, "Reads at scale", v2): decrypted values of recently read or
 * written secrets, so that a `get` within `maxAgeMs` makes no call at all.
 *
 * The cache follows the table's order, not the order in which promises settle. Every value it
 * is offered (a read's answer, a write's acknowledgement) comes with the state of the item it
 * belongs to ({@link TableState}: the id of the write that made it and the ids before it), and
 * replaces the key's entry only when it is newer:
 *
 * - by the write history: the newer write's history holds the older one's id (a tombstone is a
 *   write too);
 * - else by real time: an observation sent after the other was answered sees at least its state
 *   (strongly consistent reads and writes only);
 * - else the two cannot be ordered (a blind put's history, a history that no longer reaches
 *   back, no item at all): the entry is evicted and every request still in flight for the key is
 *   barred from filling it. Evicting costs one read; serving a stale value breaks a promise.
 *
 * `maxAgeMs` counts from when the table answered, not from when the value was decrypted. A `get`
 * joins a read in flight only when that read was sent after everything this process last
 * learned of the key (an answer, or the start of a write). Expired entries are dropped by a sweep
 * on an unref'd timer, so a decrypted value is not held past its expiry by the cache.
 *
 * Its entries live in the TTL-LRU it shares with the data-key cache (ttlLru.ts: hand-written, a
 * Map keeps insertion order, to keep the core's run-time dependencies to the AWS SDK); the
 * order rules above are this cache's own. Entries are owned by the cache, never handed out:
 * callers get copies.
 */
import { ConfigurationError } from './errors.ts';
import type { Item } from './item/index.ts';
import {
  type Observation,
  type Order,
  order,
  type TableState,
  tableStateOf,
} from './tableState.ts';
import { TtlLru } from './ttlLru.ts';
import type { ValueHash } from './values.ts';

export interface ValueCacheOptions {
  /** How long a value read or written in this process is served without a call. @default 5000 */
  readonly maxAgeMs?: number;
  /** Most secrets held at once; the least recently used is evicted. @default 1000 */
  readonly maxEntries?: number;
}

/** What the cache holds of a key: its value, or `ABSENT` when there is none (or a tombstone). */
export const ABSENT = null;
export type CachedValue = ValueHash | typeof ABSENT;

/**
 * What the cache knows of a key besides its value. Kept while the key has an entry or a request
 * in flight (a late answer is judged against it even after the entry expired or was evicted).
 */
interface KeyState {
  /** The newest state this process has seen of the key, if it can still tell. */
  known: Observation | undefined;
  /** Requests sent before this clock value may not fill the entry (a failure, purge, rewrap). */
  barrier: number;
  /** A `get` joins only a read sent after this clock value. */
  joinAfter: number;
  /** Reads and writes of the key in flight. */
  pending: number;
}

/** A read of a key in flight, filling the cache when it ends. */
export interface ReadFill {
  /** The table answered the read with `item` (`undefined`: none): call before decrypting. */
  answered(item: Item | undefined): void;
  /** The read's value: the cache owns it from here on. */
  fill(value: CachedValue): void;
  /** The read failed: nothing to fill. */
  abandon(): void;
}

/** A write of a key in flight, keeping the cache in step when it ends. */
export interface WriteWatch {
  /** The write landed, leaving `state` and `value` (`ABSENT` for a delete; the cache owns it). */
  landed(state: TableState, value: CachedValue): void;
  /** It failed, or its outcome is unknown: the key is forgotten. */
  failed(): void;
  /** It ended without writing. */
  ended(): void;
}

interface Flight {
  readonly promise: Promise<CachedValue>;
  readonly sent: number;
}

/** The cache's key of a secret: a table name and a namespace never hold NUL, so ids cannot collide. */
export function valueCacheId(tableName: string, namespace: string, key: string): string {
  return `${tableName}\u0000${namespace}\u0000${key}`;
}

/**
 * A deep copy of a cached value. Values are JSON data (the store validated them), so a JSON
 * round trip copies them exactly, and faster than `structuredClone` for the small hashes that
 * secrets are.
 */
export function copyCached(value: CachedValue): CachedValue {
  return value === ABSENT ? ABSENT : (JSON.parse(JSON.stringify(value)) as ValueHash);
}

/**
 * The value cache a store (and its `forNamespace` stores) share: pass `valueCache: {}` to a
 * `SecretsStore` to get one, or an instance to share it between stores you build yourself (of
 * one table or several: entries are keyed by table, namespace and key).
 *
 * @example
 * const values = new ValueCache({ maxAgeMs: 10_000 });
 * const a = new SecretsStore({ ...options, namespace: 'app:1', valueCache: values });
 * const b = new SecretsStore({ ...options, namespace: 'app:2', valueCache: values });
 */
export class ValueCache {
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  /** Values (owned by the cache, never handed out: callers get copies), swept when expired. */
  readonly #entries: TtlLru<CachedValue>;
  /** Every key with an entry or a request in flight. */
  readonly #keys = new Map<string, KeyState>();
  readonly #flights = new Map<string, Flight>();
  /** A logical clock: orders this process's sends and answers, whatever the wall clock does. */
  #clock = 0;

  constructor(options: ValueCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 1000;
    if (!Number.isFinite(this.maxAgeMs) || this.maxAgeMs <= 0) {
      throw new ConfigurationError(
        `valueCache.maxAgeMs must be a positive number, received ${this.maxAgeMs}`,
      );
    }
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError(
        `valueCache.maxEntries must be a positive integer, received ${this.maxEntries}`,
      );
    }
    this.#entries = new TtlLru({ maxEntries: this.maxEntries, onEvict: (id) => this.#settle(id) });
  }

  /** How many secrets' values are held now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A copy of the fresh cached value of `id` (`ABSENT` for a key known to be absent), or
   * `undefined` on a miss. Refreshes its LRU position.
   */
  lookup(id: string): CachedValue | undefined {
    const value = this.#entries.get(id);
    return value === undefined ? undefined : copyCached(value);
  }

  /** Whether `id` is known to hold a secret (`false`: known absent), `undefined` on a miss. */
  exists(id: string): boolean | undefined {
    const entry = this.#entries.peek(id);
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.value !== ABSENT;
  }

  /**
   * The value of `id`: from memory while fresh (unless `forceFetch`), else from `read`, whose
   * answer may fill the cache. Concurrent misses share one `read`, unless it went out before
   * something this process learned of the key since; each caller gets its own copy.
   *
   * @param ordered the read is strongly consistent
   */
  async get(
    id: string,
    read: (fill: ReadFill) => Promise<CachedValue>,
    forceFetch = false,
    ordered = true,
  ): Promise<CachedValue> {
    if (!forceFetch) {
      const cached = this.lookup(id);
      if (cached !== undefined) return cached;
    }
    let flight = forceFetch ? undefined : this.#flights.get(id);
    if (flight && flight.sent <= (this.#keys.get(id)?.joinAfter ?? 0)) flight = undefined;
    if (!flight) {
      const fill = this.startRead(id, ordered);
      const started: Flight = {
        sent: this.#clock,
        promise: read(fill).then(
          (value) => {
            fill.fill(value);
            return value;
          },
          (error: unknown) => {
            fill.abandon();
            throw error;
          },
        ),
      };
      flight = started;
      this.#flights.set(id, started);
      void started.promise.then(
        () => this.#flightEnded(id, started),
        () => this.#flightEnded(id, started),
      );
    }
    return copyCached(await flight.promise);
  }

  /** A read of `id` is being sent; its answer may fill the cache ({@link ReadFill}). */
  startRead(id: string, ordered = true): ReadFill {
    const key = this.#begin(id);
    const sent = this.#tick();
    let answer: Observation | undefined;
    let open = true;
    const end = (value?: CachedValue) => {
      if (!open) return;
      open = false;
      key.pending -= 1;
      if (answer && value !== undefined) this.#offer(id, key, answer, value);
      this.#settle(id);
    };
    return {
      answered: (item) => {
        if (!open || answer) return;
        const answered = this.#tick();
        // A read in flight that went out before this answer may show an older state: no `get`
        // joins it any more. The read answered here may still be joined: it shows this state.
        if (this.#flights.get(id)?.sent !== sent) key.joinAfter = Math.max(key.joinAfter, answered);
        answer = { state: tableStateOf(item), sent, answered, answeredAt: Date.now(), ordered };
      },
      fill: (value) => end(value),
      abandon: () => end(),
    };
  }

  /** A write of `id` begins: no `get` joins a read sent before it ({@link WriteWatch}). */
  startWrite(id: string): WriteWatch {
    const key = this.#begin(id);
    const sent = this.#tick();
    key.joinAfter = sent;
    let open = true;
    const end = (after: () => void) => {
      if (!open) return;
      open = false;
      key.pending -= 1;
      key.joinAfter = this.#tick();
      after();
      this.#settle(id);
    };
    return {
      landed: (state, value) =>
        end(() => {
          const answered = this.#clock;
          const observation = { state, sent, answered, answeredAt: Date.now(), ordered: true };
          this.#offer(id, key, observation, value);
        }),
      failed: () => end(() => this.#bar(id, key)),
      ended: () => end(() => {}),
    };
  }

  /** Forgets every key of `namespace` in `tableName`, and bars the reads in flight (purge, rewrap). */
  clearNamespace(tableName: string, namespace: string): void {
    const prefix = valueCacheId(tableName, namespace, '');
    for (const [id, key] of [...this.#keys]) {
      if (id.startsWith(prefix)) {
        this.#bar(id, key);
        this.#settle(id);
      }
    }
  }

  /** Forgets everything, and bars every read in flight. */
  clear(): void {
    for (const [id, key] of [...this.#keys]) {
      this.#bar(id, key);
      this.#settle(id);
    }
    this.#entries.clear();
  }

  #tick(): number {
    this.#clock += 1;
    return this.#clock;
  }

  #begin(id: string): KeyState {
    let key = this.#keys.get(id);
    if (!key) {
      key = { known: undefined, barrier: 0, joinAfter: 0, pending: 0 };
      this.#keys.set(id, key);
    }
    key.pending += 1;
    return key;
  }

  /** Drops the key's state once it has neither an entry nor a request in flight. */
  #settle(id: string): void {
    const key = this.#keys.get(id);
    if (key && key.pending === 0 && !this.#entries.has(id)) this.#keys.delete(id);
  }

  #flightEnded(id: string, flight: Flight): void {
    if (this.#flights.get(id) === flight) this.#flights.delete(id);
  }

  /** The key may hold anything now: no entry, no known state, no request in flight may fill it. */
  #bar(id: string, key: KeyState): void {
    this.#entries.delete(id);
    this.#flights.delete(id);
    key.known = undefined;
    key.barrier = this.#tick();
    key.joinAfter = key.barrier;
  }

  /** `value`, observed in `seen`, fills the key if the table applied it after what is known. */
  #offer(id: string, key: KeyState, seen: Observation, value: CachedValue): void {
    const standing: Order = key.known ? order(key.known, seen) : 'newer';
    if (seen.sent < key.barrier) {
      // Sent before a failure or a purge: it may show what no longer is. Drop it, and evict
      // what it may be newer than.
      if (standing === 'newer' || standing === 'unknown') this.#bar(id, key);
      return;
    }
    if (standing === 'older') return;
    if (standing === 'unknown') {
      this.#bar(id, key);
      return;
    }
    if (standing === 'same' && key.known) {
      // One item, seen twice: keep the longer history and the later answer.
      const longer =
        seen.state.history.length > key.known.state.history.length ? seen.state : key.known.state;
      key.known = { ...key.known, state: longer };
      const entry = this.#entries.peek(id);
      if (entry && entry.expiresAt >= seen.answeredAt + this.maxAgeMs) return;
    } else {
      key.known = seen;
    }
    this.#store(id, value, seen.answeredAt + this.maxAgeMs);
  }

  #store(id: string, value: CachedValue, expiresAt: number): void {
    this.#entries.delete(id);
    if (expiresAt <= Date.now()) return; // answered longer than maxAgeMs ago (a slow decrypt)
    this.#entries.set(id, value, expiresAt);
  }
}

/**
 * Runs a write (put, delete) and keeps the cache in step with it: on success the key holds
 * `value` (the cache owns it) if the state the write left is the newest known; on any failure
 * (an `OutcomeUnknownError` included) the key is forgotten. With no cache, just the write.
 */
export async function writeThrough(
  cache: ValueCache | undefined,
  id: string,
  value: CachedValue,
  write: () => Promise<TableState>,
): Promise<void> {
  if (!cache) {
    await write();
    return;
  }
  const watch = cache.startWrite(id);
  let state: TableState;
  try {
    state = await write();
  } catch (error) {
    watch.failed();
    throw error;
  }
  watch.landed(state, value);
}
