/**
 * A keyring makes and unwraps the per-secret data keys. The store never knows whether KMS or a
 * local master key is behind it.
 */

/** Every data key is a 256-bit AES key. */
export const DATA_KEY_BYTES = 32;

/** Bound to every wrapped data key: KMS checks it on Decrypt and logs it in CloudTrail. */
export interface EncryptionContext {
  readonly namespace: string;
  readonly secret: string;
}

/** A fresh data key: the caller owns `plaintext` and zero-fills it when done. */
export interface GeneratedDataKey {
  readonly plaintext: Buffer;
  /** The data key encrypted by the keyring (KMS CiphertextBlob), stored beside the secret. */
  readonly wrapped: Uint8Array;
  /** The wrapping key: a KMS key ARN or `local:<fingerprint>`. */
  readonly keyId: string;
}

/** A data key wrapped again, under the keyring's current key. */
export interface RewrappedDataKey {
  readonly wrapped: Uint8Array;
  /** The current wrapping key, to store beside `wrapped`. */
  readonly keyId: string;
}

/** How one keyring call is made. */
export interface KeyringCallOptions {
  /** Aborts the call: a keyring that calls a service passes it on (KMS: the SDK's `abortSignal`). */
  readonly signal?: AbortSignal | undefined;
}

export interface Keyring {
  /** Upper bound of `wrapped.length`, so that item sizes are checked before any call. */
  readonly maxWrappedKeyBytes: number;
  /** Upper bound of the UTF-8 length of `keyId`. */
  readonly maxKeyIdBytes: number;
  /** A new 256-bit data key bound to `context`. */
  generateDataKey(
    context: EncryptionContext,
    options?: KeyringCallOptions,
  ): Promise<GeneratedDataKey>;
  /**
   * Unwraps a data key stored with `keyId` under `context`. The caller owns the returned buffer.
   * Throws `DecryptionError` when the wrapped key or context do not authenticate.
   */
  decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options?: KeyringCallOptions,
  ): Promise<Buffer>;
  /**
   * Whether a data key stored with `keyId` is already wrapped by the current key (writes use
   * it), so that a rewrap can skip it. False for a previous key, and for a key not yet seen.
   */
  isCurrent(keyId: string): boolean;
  /**
   * Wraps the data key stored with `keyId` under the current key, same `context`. KMS does it
   * with `ReEncrypt`, so the plaintext data key never leaves KMS. Throws `DecryptionError` when
   * the wrapped key, its key or the context do not authenticate.
   */
  rewrapDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options?: KeyringCallOptions,
  ): Promise<RewrappedDataKey>;
}

/** The context as a canonical string (field order fixed), used as AAD and cache key. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify([context.namespace, context.secret]);
}
