/**
 * The mechanism the store's in-process caches share: a least-recently-used map whose entries
 * expire, swept when they expire and not only when next touched. Hand-written (a Map keeps
 * insertion order, which is all an LRU needs) to keep the core's run-time dependencies to the
 * AWS SDK.
 */

/** setTimeout's longest delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TtlLruOptions<Value> {
  /** Most entries held at once; the least recently used goes first. */
  readonly maxEntries: number;
  /**
   * Told of every entry that leaves because it expired, overflowed or was cleared (not one
   * replaced by `set` or taken by `delete`, whose caller has it): a data key is zero-filled here.
   */
  readonly onEvict: (id: string, value: Value) => void;
}

interface Entry<Value> {
  readonly value: Value;
  readonly expiresAt: number;
}

/**
 * An LRU with an expiry per entry. A sweep, one timer set for the earliest expiry, evicts what
 * expired, so that nothing outlives its expiry in memory (as the Encryption SDK's local
 * cryptographic materials cache does); it is unref'd, so a cache never keeps a process (a CLI,
 * a test runner) alive.
 */
export class TtlLru<Value> {
  readonly #maxEntries: number;
  readonly #onEvict: (id: string, value: Value) => void;
  /** Least recently used first. */
  readonly #entries = new Map<string, Entry<Value>>();
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #sweepAt = Number.POSITIVE_INFINITY;

  constructor(options: TtlLruOptions<Value>) {
    this.#maxEntries = options.maxEntries;
    this.#onEvict = options.onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The entry of `id`, expired or not, without touching its LRU position. */
  peek(id: string): Entry<Value> | undefined {
    return this.#entries.get(id);
  }

  /** The unexpired value of `id`, made the most recently used; an expired one is evicted. */
  get(id: string): Value | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    if (entry.expiresAt <= Date.now()) {
      this.#onEvict(id, entry.value);
      return undefined;
    }
    this.#entries.set(id, entry);
    return entry.value;
  }

  /** Holds `value` until `expiresAt` (epoch ms) as the most recently used, evicting the oldest over the limit. */
  set(id: string, value: Value, expiresAt: number): void {
    this.#entries.delete(id);
    this.#entries.set(id, { value, expiresAt });
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
      this.#onEvict(oldest, entry.value);
    }
    this.#armSweep(expiresAt);
  }

  /** Takes `id` out and returns its value; the caller has it, so it is not told to `onEvict`. */
  delete(id: string): Value | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry?.value;
  }

  /** Evicts every entry and stops the sweep. */
  clear(): void {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const [id, entry] of entries) this.#onEvict(id, entry.value);
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAt = Number.POSITIVE_INFINITY;
  }

  /** Arms the sweep for `at`, unless it runs sooner already. */
  #armSweep(at: number): void {
    if (this.#sweep !== undefined && this.#sweepAt <= at) return;
    clearTimeout(this.#sweep);
    this.#sweepAt = at;
    this.#sweep = setTimeout(
      () => this.#sweepExpired(),
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
    );
    this.#sweep.unref?.();
  }

  /** Evicts every expired entry, then arms the sweep for the next expiry. */
  #sweepExpired(): void {
    this.#sweep = undefined;
    this.#sweepAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, entry] of [...this.#entries]) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(id);
        this.#onEvict(id, entry.value);
      } else {
        next = Math.min(next, entry.expiresAt);
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#armSweep(next);
  }
}
