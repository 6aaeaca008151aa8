import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigurationError, DecryptionError } from '../errors.ts';
import {
  canonicalContext,
  DATA_KEY_BYTES,
  type EncryptionContext,
  type GeneratedDataKey,
  type Keyring,
} from './Keyring.ts';

const MASTER_KEY_BYTES = 32;
const FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

export interface LocalKeyringOptions {
  /** 32 random bytes. Copied: zero-filling the caller's buffer afterwards is safe. */
  readonly masterKey: Uint8Array;
}

/**
 * Stands in for KMS in local development and tests: data keys are wrapped with AES-256-GCM under
 * a 32-byte master key, with the encryption context as AAD, so a wrong context fails as in KMS.
 *
 * @example
 * const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
 */
export class LocalKeyring implements Keyring {
  readonly maxWrappedKeyBytes = WRAPPED_BYTES;
  readonly maxKeyIdBytes: number;
  /** `local:<fingerprint>`: names the master key without revealing it. */
  readonly keyId: string;
  readonly #masterKey: Buffer;

  /** 32 fresh random bytes for a new master key. */
  static generateMasterKey(): Buffer {
    return randomBytes(MASTER_KEY_BYTES);
  }

  constructor(options: LocalKeyringOptions) {
    const masterKey: unknown = options?.masterKey;
    if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_BYTES) {
      throw new ConfigurationError(
        `LocalKeyring needs a ${MASTER_KEY_BYTES}-byte masterKey, received ${
          masterKey instanceof Uint8Array ? `${masterKey.length} bytes` : typeof masterKey
        }`,
      );
    }
    this.#masterKey = Buffer.from(masterKey);
    const fingerprint = createHash('sha256')
      .update('secrets-store/v1 local keyring fingerprint')
      .update(this.#masterKey)
      .digest('hex')
      .slice(0, 16);
    this.keyId = `local:${fingerprint}`;
    this.maxKeyIdBytes = this.keyId.length;
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const random = randomBytes(DATA_KEY_BYTES + IV_BYTES); // one call: each has a fixed cost
    const plaintext = Buffer.from(random.subarray(0, DATA_KEY_BYTES));
    const iv = random.subarray(DATA_KEY_BYTES);
    random.fill(0, 0, DATA_KEY_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(canonicalContext(context), 'utf8'));
    const wrapped = Buffer.concat([
      Buffer.of(FORMAT),
      iv,
      cipher.update(plaintext),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return { plaintext, wrapped, keyId: this.keyId };
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
  ): Promise<Buffer> {
    if (keyId !== this.keyId) {
      throw new DecryptionError(
        `the data key was wrapped by ${keyId}, this keyring is ${this.keyId}`,
      );
    }
    if (wrapped.length !== WRAPPED_BYTES || wrapped[0] !== FORMAT) {
      throw new DecryptionError(
        `the wrapped data key is malformed (${wrapped.length} bytes, expected ${WRAPPED_BYTES})`,
      );
    }
    const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const body = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + DATA_KEY_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES + DATA_KEY_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#masterKey, iv, {
      authTagLength: TAG_BYTES,
    });
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
}
