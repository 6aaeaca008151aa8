import {
  DecryptCommand,
  type DecryptCommandOutput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { awsErrorName, safeCause } from '../awsErrors.ts';
import { ConfigurationError, DecryptionError, KeyAccessError } from '../errors.ts';
import {
  DATA_KEY_BYTES,
  type EncryptionContext,
  type GeneratedDataKey,
  type Keyring,
} from './Keyring.ts';

/** KMS answers that mean the ciphertext or its context is wrong, not the key. */
const DECRYPTION_FAILURES = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

export interface KmsKeyringOptions {
  /**
   * The KMS key: a key ARN (recommended: the response is then checked against it), key id,
   * alias name or alias ARN.
   */
  readonly keyId: string;
  /** @default a new `KMSClient()` with the SDK's default configuration */
  readonly client?: KMSClient;
  /** Passed on every call, for keys shared through grants. @default none */
  readonly grantTokens?: readonly string[];
}

/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) per secret, `Decrypt` with the `KeyId`
 * pinned and the encryption context `{ namespace, secret }`.
 *
 * @example
 * const keyring = new KmsKeyring({ keyId: process.env.SECRETS_STORE_KEY_ID! });
 */
export class KmsKeyring implements Keyring {
  /** KMS ciphertext blobs of a 32-byte key are about 184 bytes; this leaves ample room. */
  readonly maxWrappedKeyBytes = 1024;
  /** A key ARN is about 80 bytes; partitions and long region names stay far below this. */
  readonly maxKeyIdBytes = 256;
  readonly keyId: string;
  readonly #client: KMSClient;
  readonly #grantTokens: string[] | undefined;

  constructor(options: KmsKeyringOptions) {
    if (typeof options?.keyId !== 'string' || options.keyId.trim() === '') {
      throw new ConfigurationError(
        `KmsKeyring needs a keyId (a KMS key ARN, id or alias), received ${
          typeof options?.keyId === 'string' ? 'an empty string' : typeof options?.keyId
        }`,
      );
    }
    this.keyId = options.keyId;
    this.#client = options.client ?? new KMSClient({});
    this.#grantTokens = options.grantTokens ? [...options.grantTokens] : undefined;
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    let response: GenerateDataKeyCommandOutput;
    try {
      response = await this.#client.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { namespace: context.namespace, secret: context.secret },
          GrantTokens: this.#grantTokens,
        }),
      );
    } catch (error) {
      throw mapKmsError(error, 'GenerateDataKey', context);
    }
    const plaintext = response.Plaintext ? Buffer.from(response.Plaintext) : undefined;
    response.Plaintext?.fill(0);
    const problem =
      plaintext?.length !== DATA_KEY_BYTES
        ? `a ${plaintext?.length ?? 0}-byte plaintext instead of ${DATA_KEY_BYTES}`
        : !response.CiphertextBlob?.length
          ? 'no CiphertextBlob'
          : !response.KeyId
            ? 'no KeyId'
            : !this.#isConfiguredKey(response.KeyId)
              ? `KeyId ${response.KeyId}, not the configured ${this.keyId}`
              : undefined;
    if (problem !== undefined || !plaintext || !response.CiphertextBlob || !response.KeyId) {
      plaintext?.fill(0);
      throw new KeyAccessError(`KMS GenerateDataKey returned ${problem}`);
    }
    return { plaintext, wrapped: response.CiphertextBlob, keyId: response.KeyId };
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
  ): Promise<Buffer> {
    let response: DecryptCommandOutput;
    try {
      // KeyId is always the configured key, never the item's: a forged item cannot make the
      // store use another key its role happens to be allowed to decrypt with.
      response = await this.#client.send(
        new DecryptCommand({
          CiphertextBlob: wrapped,
          KeyId: this.keyId,
          EncryptionContext: { namespace: context.namespace, secret: context.secret },
          GrantTokens: this.#grantTokens,
        }),
      );
    } catch (error) {
      throw mapKmsError(error, 'Decrypt', context);
    }
    const plaintext = response.Plaintext ? Buffer.from(response.Plaintext) : undefined;
    response.Plaintext?.fill(0);
    if (plaintext?.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new DecryptionError(
        `KMS Decrypt returned a ${plaintext?.length ?? 0}-byte plaintext instead of ${DATA_KEY_BYTES}`,
      );
    }
    if (response.KeyId !== keyId) {
      plaintext.fill(0);
      throw new DecryptionError(
        `KMS Decrypt answered for key ${response.KeyId ?? '(none)'}, the item names ${keyId}`,
      );
    }
    return plaintext;
  }

  /** When configured with a key ARN, KMS must answer with exactly that key. */
  #isConfiguredKey(keyId: string): boolean {
    return !this.keyId.startsWith('arn:') || this.keyId.includes(':alias/') || keyId === this.keyId;
  }
}

function mapKmsError(error: unknown, operation: string, context: EncryptionContext): Error {
  const name = awsErrorName(error) || 'an unknown error';
  const where = `KMS ${operation} for secret ${JSON.stringify(context.secret)} in namespace ${context.namespace}`;
  const cause = safeCause(error);
  if (DECRYPTION_FAILURES.has(name)) {
    return new DecryptionError(`${where} failed with ${name}: tampered, moved or wrong context`, {
      cause,
    });
  }
  return new KeyAccessError(`${where} failed with ${name}`, { cause });
}
