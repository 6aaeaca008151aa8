/**
 * Envelope v1: the format of the `ciphertext` attribute.
 *
 * ```
 * 0x01 | salt (32) | iv (12) | commitment (32) | AES-256-GCM ciphertext | tag (16)
 * ```
 *
 * HKDF-SHA256 over the secret's data key, salted with the random salt, derives two keys with
 * distinct labels: the message key and the key commitment. Because every message has its own
 * key, re-using a data key across writes never re-uses a (key, nonce) pair; because the
 * commitment is checked before decryption, a ciphertext opens under exactly one data key.
 * The AAD binds the item's identity (namespace and key), so a ciphertext moved elsewhere fails.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { DATA_KEY_BYTES } from './keyrings/Keyring.ts';

export const ENVELOPE_VERSION = 0x01;
const SALT_BYTES = 32;
const IV_BYTES = 12;
const COMMITMENT_BYTES = 32;
const TAG_BYTES = 16;
const SALT_OFFSET = 1;
const IV_OFFSET = SALT_OFFSET + SALT_BYTES;
const COMMITMENT_OFFSET = IV_OFFSET + IV_BYTES;
const HEADER_BYTES = COMMITMENT_OFFSET + COMMITMENT_BYTES;
/** Bytes an envelope adds to its plaintext. */
export const ENVELOPE_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;

export const MESSAGE_KEY_LABEL = Buffer.from('secrets-store/v1 message key');
export const COMMITMENT_LABEL = Buffer.from('secrets-store/v1 key commitment');
const AAD_LABEL = 'secrets-store/v1';
const FIRST_BLOCK = Buffer.of(1);

/** Where a ciphertext belongs; bound into the AAD. */
export interface SecretIdentity {
  readonly namespace: string;
  readonly key: string;
}

/** The additional authenticated data: the item's identity, not the table's name (see SECURITY). */
export function envelopeAad({ namespace, key }: SecretIdentity): Buffer {
  return Buffer.from(JSON.stringify([AAD_LABEL, namespace, key]), 'utf8');
}

/**
 * HKDF-SHA256 (RFC 5869) with 32-byte outputs: one extract, then one expand block per label. The
 * same bytes as `crypto.hkdfSync('sha256', dataKey, salt, label, 32)` (a unit test holds it to
 * that), in 3 HMACs for both keys, where two `hkdfSync` calls take about 4 times as long.
 */
export function deriveKeys(
  dataKey: Uint8Array,
  salt: Uint8Array,
): { messageKey: Buffer; commitment: Buffer } {
  const pseudorandomKey = createHmac('sha256', salt).update(dataKey).digest();
  try {
    return {
      messageKey: expandBlock(pseudorandomKey, MESSAGE_KEY_LABEL),
      commitment: expandBlock(pseudorandomKey, COMMITMENT_LABEL),
    };
  } finally {
    pseudorandomKey.fill(0);
  }
}

/** HKDF's first expand block: a function, not a closure per call (this runs on every read). */
function expandBlock(pseudorandomKey: Buffer, label: Buffer): Buffer {
  return createHmac('sha256', pseudorandomKey).update(label).update(FIRST_BLOCK).digest();
}

function checkDataKey(dataKey: Uint8Array): void {
  if (dataKey.length !== DATA_KEY_BYTES) {
    throw new RangeError(`a data key must be ${DATA_KEY_BYTES} bytes, received ${dataKey.length}`);
  }
}

/** Encrypts `plaintext` under `dataKey` for the secret `identity`. */
export function sealEnvelope(
  dataKey: Uint8Array,
  plaintext: Uint8Array,
  identity: SecretIdentity,
): Buffer {
  checkDataKey(dataKey);
  const random = randomBytes(SALT_BYTES + IV_BYTES); // one call for both: each call has a cost
  const salt = random.subarray(0, SALT_BYTES);
  const iv = random.subarray(SALT_BYTES);
  const { messageKey, commitment } = deriveKeys(dataKey, salt);
  try {
    const cipher = createCipheriv('aes-256-gcm', messageKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(envelopeAad(identity));
    const body = cipher.update(plaintext);
    const final = cipher.final();
    return Buffer.concat([
      Buffer.of(ENVELOPE_VERSION),
      salt,
      iv,
      commitment,
      body,
      final,
      cipher.getAuthTag(),
    ]);
  } finally {
    messageKey.fill(0);
  }
}

/** Why an envelope was refused; never includes key material or plaintext. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/**
 * Decrypts an envelope. Throws {@link EnvelopeError} for an unknown version, a truncated
 * envelope, a commitment that does not match the data key, or a failed GCM authentication.
 */
export function openEnvelope(
  dataKey: Uint8Array,
  envelope: Uint8Array,
  identity: SecretIdentity,
): Buffer {
  checkDataKey(dataKey);
  if (envelope.length < ENVELOPE_OVERHEAD_BYTES) {
    throw new EnvelopeError(
      `the envelope is ${envelope.length} bytes, shorter than the ${ENVELOPE_OVERHEAD_BYTES} of its fixed parts`,
    );
  }
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`unknown envelope version ${envelope[0]}`);
  }
  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const salt = bytes.subarray(SALT_OFFSET, IV_OFFSET);
  const iv = bytes.subarray(IV_OFFSET, COMMITMENT_OFFSET);
  const storedCommitment = bytes.subarray(COMMITMENT_OFFSET, HEADER_BYTES);
  const body = bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);

  const { messageKey, commitment } = deriveKeys(dataKey, salt);
  if (!timingSafeEqual(commitment, storedCommitment)) {
    messageKey.fill(0);
    throw new EnvelopeError('the key commitment does not match this data key');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', messageKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(envelopeAad(identity));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(body);
    try {
      decipher.final(); // GCM holds nothing back: final() only checks the tag
    } catch (error) {
      plaintext.fill(0); // unauthenticated bytes must not outlive the failure
      throw new EnvelopeError('the ciphertext failed authentication', { cause: error });
    }
    return plaintext;
  } finally {
    messageKey.fill(0);
  }
}
