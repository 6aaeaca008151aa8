/**
 * The cryptography of one store: data keys from the keyring (through the in-process cache),
 * envelopes sealed and opened with them, and the size budget of a value. `SecretsStore` decides
 * what to write and when; this module decides with which key and how.
 */
import type { DataKeyCache } from './dataKeyCache.ts';
import { ENVELOPE_OVERHEAD_BYTES, EnvelopeError, openEnvelope, sealEnvelope } from './envelope.ts';
import { DecryptionError, ValueTooLargeError } from './errors.ts';
import { itemBytesBesidesCiphertext, MAX_ITEM_BYTES, type StoredSecret } from './item/index.ts';
import type {
  EncryptionContext,
  GeneratedDataKey,
  Keyring,
  RewrappedDataKey,
} from './keyrings/Keyring.ts';
import { copyValue, decodeValue, encodeValue, type ValueBudget, type ValueHash } from './values.ts';

/** A secret's address inside a store's table: the envelope and the KMS context bind both. */
export interface SecretName {
  readonly namespace: string;
  readonly key: string;
}

/** A secret as read (or as just written) and decrypted: the base of the next read-modify-write. */
export interface OpenedSecret {
  readonly stored: StoredSecret;
  readonly value: ValueHash;
  /** Owned: zero-filled by whoever drops it. */
  readonly dataKey: Buffer;
}

/** A data key this process generated, with its birth time. */
export interface FreshDataKey extends GeneratedDataKey {
  readonly createdAt: number;
}

/** A value validated and encoded for a write (the plaintext is zero-filled after sealing). */
export interface EncodedValue {
  readonly value: ValueHash;
  readonly plaintext: Buffer;
}

/** What a write stores of a secret: its envelope and the data key that sealed it. */
export interface SealedSecret {
  readonly ciphertext: Buffer;
  readonly wrappedDataKey: Uint8Array;
  readonly keyId: string;
  readonly dataKeyCreatedAt: number;
}

export class SecretSealer {
  readonly #keyring: Keyring;
  readonly #cache: DataKeyCache | undefined;
  readonly #dataKeyMaxAgeMs: number;

  constructor(keyring: Keyring, cache: DataKeyCache | undefined, dataKeyMaxAgeMs: number) {
    this.#keyring = keyring;
    this.#cache = cache;
    this.#dataKeyMaxAgeMs = dataKeyMaxAgeMs;
  }

  /** How many bytes of JSON a value of this secret may take, and what its item adds. */
  budget(name: SecretName): ValueBudget {
    const itemOverheadBytes =
      itemBytesBesidesCiphertext(name.namespace, name.key, this.#keyring) + ENVELOPE_OVERHEAD_BYTES;
    return { maxValueBytes: MAX_ITEM_BYTES - itemOverheadBytes, itemOverheadBytes };
  }

  /**
   * Validates, copies and encodes a value; throws InvalidValueError or ValueTooLargeError before
   * any AWS call.
   */
  encode(name: SecretName, value: unknown): EncodedValue {
    const budget = this.budget(name);
    const copy = copyValue(value, budget);
    const plaintext = encodeValue(copy);
    if (plaintext.length > budget.maxValueBytes) {
      plaintext.fill(0);
      throw new ValueTooLargeError(
        plaintext.length + budget.itemOverheadBytes,
        budget.maxValueBytes + budget.itemOverheadBytes,
      );
    }
    return { value: copy, plaintext };
  }

  /** A new data key from the keyring, remembered by the cache for the reads that follow. */
  async freshDataKey(name: SecretName, signal?: AbortSignal): Promise<FreshDataKey> {
    const context = contextOf(name);
    const createdAt = Date.now();
    const generated = await this.#keyring.generateDataKey(context, { signal });
    this.#cache?.set(cacheId(generated.keyId, generated.wrapped, context), generated.plaintext);
    return { ...generated, createdAt };
  }

  /**
   * Seals `plaintext` for a write of a secret. The data key is the secret's own while it is
   * young enough and wrapped by the current key (no KMS call for a hot secret), else `fresh` (a key generated earlier for this
   * write, kept across its retries), else a new one, returned as `created`. A
   * `dataKeyCreatedAt` in the future is not young: it is replaced.
   */
  async sealForWrite(
    name: SecretName,
    plaintext: Buffer,
    base: OpenedSecret | undefined,
    fresh: FreshDataKey | undefined,
  ): Promise<{ sealed: SealedSecret; dataKey: Buffer; created: FreshDataKey | undefined }> {
    const now = Date.now();
    const young = (createdAt: number) =>
      createdAt <= now && now - createdAt < this.#dataKeyMaxAgeMs;
    let created: FreshDataKey | undefined;
    let source: FreshDataKey;
    // A data key wrapped by a previous key is not re-used: writes always use the current key.
    if (base && young(base.stored.dataKeyCreatedAt) && this.#keyring.isCurrent(base.stored.keyId)) {
      source = {
        plaintext: base.dataKey,
        wrapped: base.stored.wrappedDataKey,
        keyId: base.stored.keyId,
        createdAt: base.stored.dataKeyCreatedAt,
      };
    } else if (fresh && young(fresh.createdAt)) {
      source = fresh;
    } else {
      created = await this.freshDataKey(name);
      source = created;
    }
    return {
      sealed: this.seal(name, source, plaintext),
      dataKey: Buffer.from(source.plaintext),
      created,
    };
  }

  /** The envelope of `plaintext` under `dataKey`, bound to the secret's name. */
  seal(name: SecretName, dataKey: FreshDataKey, plaintext: Buffer): SealedSecret {
    return {
      ciphertext: sealEnvelope(dataKey.plaintext, plaintext, name),
      wrappedDataKey: dataKey.wrapped,
      keyId: dataKey.keyId,
      dataKeyCreatedAt: dataKey.createdAt,
    };
  }

  /** Whether the data key of an item with this `keyId` is wrapped by the keyring's current key. */
  isCurrent(keyId: string): boolean {
    return this.#keyring.isCurrent(keyId);
  }

  /** The secret's data key wrapped again by the current key (KMS ReEncrypt: no plaintext here). */
  rewrap(name: SecretName, stored: StoredSecret, signal?: AbortSignal): Promise<RewrappedDataKey> {
    return this.#keyring.rewrapDataKey(stored.wrappedDataKey, stored.keyId, contextOf(name), {
      signal,
    });
  }

  /**
   * Unwraps the data key (from the cache when it can) and decrypts the value. A caller whose
   * `signal` aborts stops waiting; an unwrap shared with others (the cache's single flight) is
   * not sent with any one caller's signal, and goes on for them.
   */
  async open(name: SecretName, stored: StoredSecret, signal?: AbortSignal): Promise<OpenedSecret> {
    const context = contextOf(name);
    const cache = this.#cache;
    const id = cache && cacheId(stored.keyId, stored.wrappedDataKey, context);
    // A hit is taken at once: no promise (and no closure) in between on a warm read.
    let dataKey = id === undefined ? undefined : cache?.get(id);
    if (!dataKey) {
      const unwrap = (own?: AbortSignal) =>
        this.#keyring.decryptDataKey(stored.wrappedDataKey, stored.keyId, context, {
          signal: own,
        });
      dataKey =
        cache && id !== undefined
          ? await cache.getOrLoad(id, () => unwrap(), signal)
          : await unwrap(signal);
    }
    let plaintext: Buffer | undefined;
    try {
      plaintext = openEnvelope(dataKey, stored.ciphertext, name);
      return { stored, value: decodeValue(plaintext), dataKey };
    } catch (error) {
      dataKey.fill(0);
      const reason = error instanceof EnvelopeError ? error.message : 'the plaintext is not a hash';
      throw new DecryptionError(
        `the secret ${JSON.stringify(name.key)} in namespace ${name.namespace} could not be decrypted: ${reason}`,
        // The envelope's own errors hold no data; a JSON error could quote plaintext, so it is dropped.
        error instanceof EnvelopeError ? { cause: error } : undefined,
      );
    } finally {
      plaintext?.fill(0);
    }
  }
}

/** The KMS encryption context of a secret. */
function contextOf(name: SecretName): EncryptionContext {
  return { namespace: name.namespace, secret: name.key };
}

/**
 * Cache entries are scoped to the context too: a wrapped key copied elsewhere misses. NUL
 * separates the parts: namespaces, keys (keys.ts) and base64 hold none, so read from the right
 * an id splits one way only, whatever the stored key id holds. This runs on every read: no
 * JSON, and a view of the wrapped key rather than a copy.
 */
function cacheId(keyId: string, wrapped: Uint8Array, context: EncryptionContext): string {
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  return `${keyId}\u0000${context.namespace}\u0000${context.secret}\u0000${bytes.toString('base64')}`;
}
