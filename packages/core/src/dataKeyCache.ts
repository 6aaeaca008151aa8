import { raceAbort, throwIfAborted } from './abort.ts';
import { ConfigurationError } from './errors.ts';
import { TtlLru } from './ttlLru.ts';

export interface DataKeyCacheOptions {
  /** Most data keys held at once; the least recently used is evicted. @default 1000 */
  readonly maxEntries?: number;
  /** How long a data key may be served from memory after it was unwrapped. @default 300000 (5 min) */
  readonly maxAgeMs?: number;
}

/**
 * An in-process LRU of unwrapped data keys, so that reading a secret again costs no KMS call.
 *
 * - Keys are zero-filled when evicted, expired or cleared. An expired key is zero-filled by a
 *   sweep when it expires, not only when next touched: a timer set for the earliest expiry,
 *   unref'd so that it never keeps the process alive (ttlLru.ts, as the Encryption SDK's local
 *   cryptographic materials cache does). No plaintext key outlives `maxAgeMs` in the cache.
 * - Callers always receive their own copy and zero-fill it after use, so an eviction can never
 *   pull a key out from under an operation in flight.
 * - Concurrent misses for one entry share one keyring call. A caller whose signal aborts stops
 *   waiting at once; the call goes on for the others.
 */
export class DataKeyCache {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly #entries: TtlLru<Buffer>;
  readonly #inFlight = new Map<string, Promise<Buffer>>();

  constructor(options: DataKeyCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60 * 1000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError(
        `dataKeyCache.maxEntries must be a positive integer, received ${this.maxEntries}`,
      );
    }
    if (!Number.isFinite(this.maxAgeMs) || this.maxAgeMs <= 0) {
      throw new ConfigurationError(
        `dataKeyCache.maxAgeMs must be a positive number, received ${this.maxAgeMs}`,
      );
    }
    // Whatever way a key leaves (expiry, the sweep, overflow, clear), it leaves zero-filled.
    this.#entries = new TtlLru({ maxEntries: this.maxEntries, onEvict: (_, key) => key.fill(0) });
  }

  /** How many keys are held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the cached key for `id`, or undefined. Refreshes its LRU position. */
  get(id: string): Buffer | undefined {
    const key = this.#entries.get(id);
    return key && Buffer.from(key);
  }

  /** Caches a copy of `key`; the caller keeps (and zero-fills) its own buffer. */
  set(id: string, key: Uint8Array): void {
    this.#entries.delete(id)?.fill(0);
    this.#entries.set(id, Buffer.from(key), Date.now() + this.maxAgeMs);
  }

  /**
   * A copy of the key for `id`, from memory or else from `load` (whose buffer the cache then
   * owns). Concurrent calls for one missing `id` share a single `load`.
   */
  async getOrLoad(id: string, load: () => Promise<Buffer>, signal?: AbortSignal): Promise<Buffer> {
    throwIfAborted(signal);
    const cached = this.get(id);
    if (cached) return cached;
    let flight = this.#inFlight.get(id);
    if (!flight) {
      const started = load().then((key) => {
        this.set(id, key);
        // Every waiter copies `key` in a microtask; a macrotask runs only after all of them.
        setImmediate(() => key.fill(0));
        return key;
      });
      flight = started.finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, flight);
    }
    return Buffer.from(await raceAbort(flight, signal));
  }

  /** Zero-fills and drops every key. */
  clear(): void {
    this.#entries.clear();
  }
}
