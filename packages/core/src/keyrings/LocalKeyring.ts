import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { throwIfAborted } from '../abort.ts';
import { ConfigurationError, DecryptionError } from '../errors.ts';
import {
  canonicalContext,
  DATA_KEY_BYTES,
  type EncryptionContext,
  type GeneratedDataKey,
  type Keyring,
  type KeyringCallOptions,
  type RewrappedDataKey,
} from './Keyring.ts';

const MASTER_KEY_BYTES = 32;
const FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

export interface LocalKeyringOptions {
  /** 32 random bytes, the current key: every write uses it. Copied: zero-filling the caller's
   * buffer afterwards is safe. */
  readonly masterKey: Uint8Array;
  /**
   * Master keys that data keys may still be wrapped by after a rotation (32 bytes each, copied):
   * decrypted with, never written with.
   * @default none
   */
  readonly previousMasterKeys?: readonly Uint8Array[];
}

/**
 * Stands in for KMS in local development and tests: data keys are wrapped with AES-256-GCM under
 * a 32-byte master key, with the encryption context as AAD, so a wrong context fails as in KMS.
 *
 * @example
 * const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
 * // after a rotation:
 * const rotated = new LocalKeyring({ masterKey: newKey, previousMasterKeys: [oldKey] });
 */
export class LocalKeyring implements Keyring {
  readonly maxWrappedKeyBytes = WRAPPED_BYTES;
  readonly maxKeyIdBytes: number;
  /** `local:<fingerprint>` of the current master key: names it without revealing it. */
  readonly keyId: string;
  /** The fingerprints of the previous master keys. */
  readonly previousKeyIds: readonly string[];
  readonly #masterKey: Buffer;
  /** Every master key this keyring may unwrap with, current included, by key id. */
  readonly #unwrapKeys = new Map<string, Buffer>();

  /** 32 fresh random bytes for a new master key. */
  static generateMasterKey(): Buffer {
    return randomBytes(MASTER_KEY_BYTES);
  }

  /** The key id (`local:<fingerprint>`) of a master key, without making a keyring. */
  static keyIdOf(masterKey: Uint8Array): string {
    checkMasterKey(masterKey, 'masterKey');
    const fingerprint = createHash('sha256')
      .update('secrets-store/v1 local keyring fingerprint')
      .update(masterKey)
      .digest('hex')
      .slice(0, 16);
    return `local:${fingerprint}`;
  }

  constructor(options: LocalKeyringOptions) {
    checkMasterKey(options?.masterKey, 'masterKey');
    const previous: unknown = options.previousMasterKeys ?? [];
    if (!Array.isArray(previous)) {
      throw new ConfigurationError(
        `LocalKeyring's previousMasterKeys must be an array, received ${typeof previous}`,
      );
    }
    previous.forEach((key, index) => {
      checkMasterKey(key, `previousMasterKeys[${index}]`);
    });
    this.#masterKey = Buffer.from(options.masterKey);
    this.keyId = LocalKeyring.keyIdOf(this.#masterKey);
    this.#unwrapKeys.set(this.keyId, this.#masterKey);
    for (const key of previous as Uint8Array[]) {
      const keyId = LocalKeyring.keyIdOf(key);
      if (!this.#unwrapKeys.has(keyId)) this.#unwrapKeys.set(keyId, Buffer.from(key));
    }
    this.previousKeyIds = Object.freeze([...this.#unwrapKeys.keys()].slice(1));
    this.maxKeyIdBytes = this.keyId.length;
  }

  /** `options.signal`: an aborted one fails the call before any work (there is nothing to wait for). */
  async generateDataKey(
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<GeneratedDataKey> {
    throwIfAborted(options.signal);
    const random = randomBytes(DATA_KEY_BYTES + IV_BYTES); // one call: each has a fixed cost
    const plaintext = Buffer.from(random.subarray(0, DATA_KEY_BYTES));
    const iv = random.subarray(DATA_KEY_BYTES);
    random.fill(0, 0, DATA_KEY_BYTES);
    return { plaintext, wrapped: wrap(plaintext, this.#masterKey, context, iv), keyId: this.keyId };
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<Buffer> {
    throwIfAborted(options.signal);
    return unwrap(wrapped, this.#unwrapKeyFor(keyId, context), context);
  }

  isCurrent(keyId: string): boolean {
    return keyId === this.keyId;
  }

  async rewrapDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<RewrappedDataKey> {
    throwIfAborted(options.signal);
    const plaintext = unwrap(wrapped, this.#unwrapKeyFor(keyId, context), context);
    try {
      return { wrapped: wrap(plaintext, this.#masterKey, context), keyId: this.keyId };
    } finally {
      plaintext.fill(0);
    }
  }

  /** The master key named by an item; one in neither the current nor the previous keys fails. */
  #unwrapKeyFor(keyId: string, context: EncryptionContext): Buffer {
    const masterKey = this.#unwrapKeys.get(keyId);
    if (masterKey === undefined) {
      throw new DecryptionError(
        `the data key of secret ${JSON.stringify(context.secret)} in namespace ${context.namespace} was wrapped by ${keyId}, this keyring is ${this.keyId}${
          this.previousKeyIds.length > 0 ? ` (previous: ${this.previousKeyIds.join(', ')})` : ''
        }`,
      );
    }
    return masterKey;
  }
}

function checkMasterKey(masterKey: unknown, name: string): asserts masterKey is Uint8Array {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_BYTES) {
    throw new ConfigurationError(
      `LocalKeyring needs a ${MASTER_KEY_BYTES}-byte ${name}, received ${
        masterKey instanceof Uint8Array ? `${masterKey.length} bytes` : typeof masterKey
      }`,
    );
  }
}

/** `FORMAT | iv | AES-256-GCM(data key) | tag`, the context as AAD. */
function wrap(
  plaintext: Buffer,
  masterKey: Buffer,
  context: EncryptionContext,
  iv: Buffer = randomBytes(IV_BYTES),
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(canonicalContext(context), 'utf8'));
  return Buffer.concat([
    Buffer.of(FORMAT),
    iv,
    cipher.update(plaintext),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
}

/** The data key, or a DecryptionError; an unauthenticated plaintext is zero-filled. */
function unwrap(wrapped: Uint8Array, masterKey: Buffer, context: EncryptionContext): Buffer {
  if (wrapped.length !== WRAPPED_BYTES || wrapped[0] !== FORMAT) {
    throw new DecryptionError(
      `the wrapped data key is malformed (${wrapped.length} bytes, expected ${WRAPPED_BYTES})`,
    );
  }
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const body = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + DATA_KEY_BYTES);
  const tag = bytes.subarray(1 + IV_BYTES + DATA_KEY_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(canonicalContext(context), 'utf8'));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(body);
  try {
    decipher.final();
  } catch (error) {
    plaintext.fill(0);
    throw new DecryptionError(
      `the wrapped data key of secret ${JSON.stringify(context.secret)} in namespace ${context.namespace} failed authentication: tampered, moved, or another encryption context`,
      { cause: error },
    );
  }
  return plaintext;
}
