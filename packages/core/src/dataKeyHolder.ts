/**
 * Ownership of plaintext data keys by structure: a holder owns every key given to it and
 * zero-fills them all when disposed (`using holder = new DataKeyHolder()`), on every exit path,
 * a throw included. A key that must outlive the holder (the item a batch of patches leaves for
 * the next one) is handed over explicitly; nothing is filled by hand at each exit.
 */
export class DataKeyHolder implements Disposable {
  readonly #held = new Set<Uint8Array>();

  /** Takes ownership of `key` and returns it. */
  hold<Key extends Uint8Array>(key: Key): Key {
    this.#held.add(key);
    return key;
  }

  /** Zero-fills `key` now (a key this operation no longer needs). */
  release(key: Uint8Array | undefined): void {
    if (!key) return;
    key.fill(0);
    this.#held.delete(key);
  }

  /** Gives `key` to another owner, who zero-fills it in turn. */
  handOver<Key extends Uint8Array>(key: Key): Key {
    this.#held.delete(key);
    return key;
  }

  [Symbol.dispose](): void {
    for (const key of this.#held) key.fill(0);
    this.#held.clear();
  }
}
