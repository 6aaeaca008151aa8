/**
 * The opt-in value cache (DESIGN.md, "Reads at scale"): decrypted values of recently read or
 * written secrets, so that a `get` within `maxAgeMs` makes no call at all.
 *
 * - Write-through: the store's own writes set or evict their key as they land, so a container
 *   always reads its own writes; another container's write shows after at most `maxAgeMs`.
 * - A read that started before a write of its key landed never replaces what the write left
 *   (each key counts its writes; a fill from a read carries the count it started at).
 * - Concurrent misses of one key share one read.
 * - Every caller receives its own copy: a returned value mutated changes nothing cached.
 * - An absent key (or a tombstone) is cached as absent.
 *
 * Hand-written, like the data-key cache (a Map keeps insertion order, which is all an LRU needs),
 * to keep the core's run-time dependencies to the AWS SDK.
 */
import { ConfigurationError } from './errors.ts';
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

interface Entry {
  /** Owned by the cache, never handed out: callers get copies. */
  readonly value: CachedValue;
  readonly expiresAt: number;
}

/** A pending fill: the key's write count when its read started. */
export interface FillTicket {
  readonly id: string;
  readonly writes: number;
}

/** The cache's key of a secret: a namespace never holds NUL, so the pair cannot collide. */
export function valueCacheId(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
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
 * `SecretsStore` to get one, or an instance to share it between stores you build yourself.
 *
 * @example
 * const values = new ValueCache({ maxAgeMs: 10_000 });
 * const a = new SecretsStore({ ...options, namespace: 'app:1', valueCache: values });
 * const b = new SecretsStore({ ...options, namespace: 'app:2', valueCache: values });
 */
export class ValueCache {
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<CachedValue>>();
  /**
   * Writes (and evictions) per key while a read of it is in flight: a fill whose count moved
   * lost a race with a write and is dropped. Only keys with a read in flight are counted.
   */
  readonly #writes = new Map<string, { count: number; readers: number }>();

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
  }

  /** How many secrets are held now (expired ones included until they are next looked at). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A copy of the fresh cached value of `id` (`ABSENT` for a key known to be absent), or
   * `undefined` on a miss. Refreshes its LRU position.
   */
  lookup(id: string): CachedValue | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.#entries.set(id, entry);
    return copyCached(entry.value);
  }

  /** Whether `id` is known to hold a secret (`false`: known absent), `undefined` on a miss. */
  exists(id: string): boolean | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.value !== ABSENT;
  }

  /**
   * The value of `id`: from memory while fresh (unless `forceFetch`), else from `read`, whose
   * result fills the cache. Concurrent misses share one `read`; each caller gets its own copy.
   */
  async get(
    id: string,
    read: () => Promise<CachedValue>,
    forceFetch = false,
  ): Promise<CachedValue> {
    if (!forceFetch) {
      const cached = this.lookup(id);
      if (cached !== undefined) return cached;
    }
    let flight = forceFetch ? undefined : this.#inFlight.get(id);
    if (!flight) {
      const ticket = this.startRead(id);
      const started = read().then(
        (value) => {
          this.finishRead(ticket, value);
          return value;
        },
        (error: unknown) => {
          this.finishRead(ticket);
          throw error;
        },
      );
      flight = started.finally(() => {
        if (this.#inFlight.get(id) === flight) this.#inFlight.delete(id);
      });
      this.#inFlight.set(id, flight);
    }
    return copyCached(await flight);
  }

  /** Marks the start of a read of `id` whose result may fill the cache ({@link finishRead}). */
  startRead(id: string): FillTicket {
    const counter = this.#writes.get(id) ?? { count: 0, readers: 0 };
    counter.readers += 1;
    this.#writes.set(id, counter);
    return { id, writes: counter.count };
  }

  /**
   * Ends a read: its value (when given) fills the cache, unless a write of the key landed (or was
   * evicted) since the read started, whose result is newer than what the read saw. The cache
   * owns `value` from here on.
   */
  finishRead(ticket: FillTicket, value?: CachedValue): void {
    const counter = this.#writes.get(ticket.id);
    const raced = counter !== undefined && counter.count !== ticket.writes;
    if (counter) {
      counter.readers -= 1;
      if (counter.readers === 0) this.#writes.delete(ticket.id);
    }
    if (value !== undefined && !raced) this.#store(ticket.id, value);
  }

  /** A write of `id` landed with `value` (`ABSENT` for a delete): the cache owns `value` now. */
  wrote(id: string, value: CachedValue): void {
    this.#raced(id);
    this.#store(id, value);
  }

  /** Forgets `id`: a write of it failed or its outcome is unknown. */
  evict(id: string): void {
    this.#raced(id);
    this.#entries.delete(id);
    // A read already in flight may have seen the item before the write: later callers read again.
    this.#inFlight.delete(id);
  }

  /** Forgets every key of `namespace` (purge, rewrap). */
  clearNamespace(namespace: string): void {
    const prefix = valueCacheId(namespace, '');
    for (const id of [...this.#entries.keys(), ...this.#inFlight.keys()]) {
      if (id.startsWith(prefix)) this.evict(id);
    }
  }

  /** Forgets everything. */
  clear(): void {
    for (const id of this.#writes.keys()) this.#raced(id);
    this.#entries.clear();
    this.#inFlight.clear();
  }

  #raced(id: string): void {
    const counter = this.#writes.get(id);
    if (counter) counter.count += 1;
  }

  #store(id: string, value: CachedValue): void {
    this.#entries.delete(id);
    this.#entries.set(id, { value, expiresAt: Date.now() + this.maxAgeMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }
}

/**
 * Runs a write and keeps the cache in step with it: on success the key holds `value` (the
 * cache owns it), on any failure (an `OutcomeUnknownError` included) the key is evicted. With
 * no cache, just the write.
 */
export async function writeThrough<T>(
  cache: ValueCache | undefined,
  id: string,
  value: CachedValue,
  write: Promise<T>,
): Promise<T> {
  if (!cache) return write;
  try {
    const result = await write;
    cache.wrote(id, value);
    return result;
  } catch (error) {
    cache.evict(id);
    throw error;
  }
}
