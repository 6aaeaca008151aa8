import {
  DecryptCommand,
  type DecryptCommandOutput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
  type ReEncryptCommandOutput,
} from '@aws-sdk/client-kms';
import { withDefaultTimeouts } from '../clientTimeouts.ts';
import { ConfigurationError, DecryptionError, KeyAccessError, KeyServiceError } from '../errors.ts';
import { resolveClient } from '../sdkClient.ts';
import {
  DATA_KEY_BYTES,
  type EncryptionContext,
  type GeneratedDataKey,
  type Keyring,
  type KeyringCallOptions,
  type RewrappedDataKey,
} from './Keyring.ts';
import { sendKms } from './kmsCall.ts';
import { mapKmsError } from './kmsErrors.ts';

export interface KmsKeyringOptions {
  /**
   * The current KMS key, used for every write: a key ARN (recommended: the response is then
   * checked against it), key id, alias name or alias ARN.
   */
  readonly keyId: string;
  /**
   * Keys that data keys may still be wrapped by, after a move to `keyId`: decrypted with, never
   * written with. Key ARNs (or key ids), not aliases: an alias names whatever key it points to
   * today, and the store must pin the exact key an item names.
   * @default none
   */
  readonly previousKeyIds?: readonly string[];
  /** A KMS client of your own. @default a new `KMSClient(clientConfig)` */
  readonly client?: KMSClient;
  /**
   * The configuration of the KMS client made when `client` is not given. That client gets finite
   * timeouts that throw, so that no call hangs: `requestHandler: { connectionTimeout: 3000,
   * requestTimeout: 5000, socketTimeout: 5000, throwOnRequestTimeout: true }` (per attempt; the
   * SDK makes up to 3). Set any of them in `clientConfig.requestHandler` to change it; a handler
   * instance there, or a `client` of your own, keeps its own settings.
   * @default `{}` (and the timeouts above)
   */
  readonly clientConfig?: KMSClientConfig;
  /** Passed on every call, for keys shared through grants. @default none */
  readonly grantTokens?: readonly string[];
}

/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) per secret under the current key,
 * `Decrypt` with the `KeyId` pinned (the current key or one of `previousKeyIds`) and the
 * encryption context `{ namespace, secret }`, `ReEncrypt` to move a data key to the current key.
 *
 * @example
 * const keyring = new KmsKeyring({ keyId: KEY_ARN });
 * // after moving to a new key:
 * const moved = new KmsKeyring({ keyId: NEW_KEY_ARN, previousKeyIds: [OLD_KEY_ARN] });
 */
export class KmsKeyring implements Keyring {
  /** KMS ciphertext blobs of a 32-byte key are about 184 bytes; this leaves ample room. */
  readonly maxWrappedKeyBytes = 1024;
  /** A key ARN is about 80 bytes; partitions and long region names stay far below this. */
  readonly maxKeyIdBytes = 256;
  readonly keyId: string;
  readonly previousKeyIds: readonly string[];
  readonly #client: KMSClient;
  readonly #grantTokens: string[] | undefined;
  /** The key ARN KMS answered with for the current key, learnt when it is an alias. */
  #currentKeyArn: string | undefined;

  constructor(options: KmsKeyringOptions) {
    if (typeof options?.keyId !== 'string' || options.keyId.trim() === '') {
      throw new ConfigurationError(
        `KmsKeyring needs a keyId (a KMS key ARN, id or alias), received ${
          typeof options?.keyId === 'string' ? 'an empty string' : typeof options?.keyId
        }`,
      );
    }
    this.keyId = options.keyId;
    this.previousKeyIds = checkPreviousKeyIds(options.previousKeyIds);
    this.#client = resolveClient(
      'KmsKeyring',
      options,
      (config) => new KMSClient(withDefaultTimeouts(config)),
    );
    this.#grantTokens = options.grantTokens ? [...options.grantTokens] : undefined;
    if (!isAlias(this.keyId) && this.keyId.startsWith('arn:')) this.#currentKeyArn = this.keyId;
  }

  async generateDataKey(
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<GeneratedDataKey> {
    let response: GenerateDataKeyCommandOutput;
    try {
      response = await sendKms(
        this.#client,
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { namespace: context.namespace, secret: context.secret },
          GrantTokens: this.#grantTokens,
        }),
        options,
      );
    } catch (error) {
      throw mapKmsError(error, 'GenerateDataKey', context);
    }
    checkResponse(response, 'GenerateDataKey');
    const plaintext = takePlaintext(response, 'GenerateDataKey');
    const wrongType =
      malformed(response, 'CiphertextBlob', 'bytes') ?? malformed(response, 'KeyId', 'string');
    if (wrongType !== undefined) {
      plaintext?.fill(0);
      throw new KeyServiceError(`KMS GenerateDataKey returned ${wrongType}`);
    }
    const problem =
      plaintext?.length !== DATA_KEY_BYTES
        ? `a ${plaintext?.length ?? 0}-byte plaintext instead of ${DATA_KEY_BYTES}`
        : !response.CiphertextBlob?.length
          ? 'no CiphertextBlob'
          : this.#notCurrent(response.KeyId);
    if (problem !== undefined || !plaintext || !response.CiphertextBlob || !response.KeyId) {
      plaintext?.fill(0);
      throw new KeyAccessError(`KMS GenerateDataKey returned ${problem}`);
    }
    this.#currentKeyArn = response.KeyId;
    return { plaintext, wrapped: response.CiphertextBlob, keyId: response.KeyId };
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<Buffer> {
    const pinned = this.#pinnedKeyFor(keyId, context);
    let response: DecryptCommandOutput;
    try {
      // KeyId is always a configured key, never one taken from the item: a forged item cannot
      // make the store use another key its role happens to be allowed to decrypt with.
      response = await sendKms(
        this.#client,
        new DecryptCommand({
          CiphertextBlob: wrapped,
          KeyId: pinned,
          EncryptionContext: { namespace: context.namespace, secret: context.secret },
          GrantTokens: this.#grantTokens,
        }),
        options,
      );
    } catch (error) {
      throw mapKmsError(error, 'Decrypt', context);
    }
    checkResponse(response, 'Decrypt');
    const plaintext = takePlaintext(response, 'Decrypt');
    if (plaintext?.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new DecryptionError(
        `KMS Decrypt returned a ${plaintext?.length ?? 0}-byte plaintext instead of ${DATA_KEY_BYTES}`,
      );
    }
    const wrongType = malformed(response, 'KeyId', 'string');
    if (wrongType !== undefined) {
      plaintext.fill(0);
      throw new KeyServiceError(`KMS Decrypt returned ${wrongType}`);
    }
    if (response.KeyId !== keyId) {
      plaintext.fill(0);
      throw new DecryptionError(
        `KMS Decrypt answered for key ${response.KeyId ?? '(none)'}, the item names ${keyId}`,
      );
    }
    return plaintext;
  }

  isCurrent(keyId: string): boolean {
    return keyId === this.#currentKeyArn || keyIdMatches(this.keyId, keyId);
  }

  async rewrapDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    options: KeyringCallOptions = {},
  ): Promise<RewrappedDataKey> {
    const pinned = this.#pinnedKeyFor(keyId, context);
    const encryptionContext = { namespace: context.namespace, secret: context.secret };
    let response: ReEncryptCommandOutput;
    try {
      // The data key is decrypted and encrypted again inside KMS: it never reaches this process.
      response = await sendKms(
        this.#client,
        new ReEncryptCommand({
          CiphertextBlob: wrapped,
          SourceKeyId: pinned,
          SourceEncryptionContext: encryptionContext,
          DestinationKeyId: this.keyId,
          DestinationEncryptionContext: encryptionContext,
          GrantTokens: this.#grantTokens,
        }),
        options,
      );
    } catch (error) {
      throw mapKmsError(error, 'ReEncrypt', context);
    }
    checkResponse(response, 'ReEncrypt');
    const wrongType =
      malformed(response, 'CiphertextBlob', 'bytes') ??
      malformed(response, 'SourceKeyId', 'string') ??
      malformed(response, 'KeyId', 'string');
    if (wrongType !== undefined) throw new KeyServiceError(`KMS ReEncrypt returned ${wrongType}`);
    if (response.SourceKeyId !== keyId) {
      throw new DecryptionError(
        `KMS ReEncrypt answered for source key ${response.SourceKeyId}, the item names ${keyId}`,
      );
    }
    const notCurrent = this.#notCurrent(response.KeyId);
    if (notCurrent !== undefined || !response.CiphertextBlob?.length || !response.KeyId) {
      throw new KeyAccessError(`KMS ReEncrypt returned ${notCurrent ?? 'no CiphertextBlob'}`);
    }
    this.#currentKeyArn = response.KeyId;
    return { wrapped: response.CiphertextBlob, keyId: response.KeyId };
  }

  /**
   * The configured key to pin for an item stored with `keyId`: the current or a previous key
   * that names it. An item naming a key in neither list fails here, before any call, unless the
   * current key is an alias (then KMS checks it, and the answer is checked against the item).
   */
  #pinnedKeyFor(keyId: string, context: EncryptionContext): string {
    const configured = [this.keyId, ...this.previousKeyIds].find((candidate) =>
      keyIdMatches(candidate, keyId),
    );
    if (configured !== undefined) return configured;
    if (isAlias(this.keyId)) return this.keyId;
    throw new DecryptionError(
      `the data key of secret ${JSON.stringify(context.secret)} in namespace ${context.namespace} was wrapped by ${keyId}, which is neither the current key ${this.keyId} nor one of the ${this.previousKeyIds.length} previous keys`,
    );
  }

  /** Why a KeyId KMS answered with is not the current key, or undefined when it is. */
  #notCurrent(keyId: string | undefined): string | undefined {
    if (!keyId) return 'no KeyId';
    if (isAlias(this.keyId) || keyIdMatches(this.keyId, keyId)) return undefined;
    return `KeyId ${keyId}, not the configured ${this.keyId}`;
  }
}

function isAlias(keyId: string): boolean {
  return keyId.startsWith('alias/') || keyId.includes(':alias/');
}

/** A configured key ARN names exactly that key; a bare key id names the ARN that ends with it. */
function keyIdMatches(configured: string, keyId: string): boolean {
  if (configured === keyId) return true;
  return (
    !configured.startsWith('arn:') && !isAlias(configured) && keyId.endsWith(`:key/${configured}`)
  );
}

function checkPreviousKeyIds(previous: unknown): readonly string[] {
  if (previous === undefined) return [];
  if (!Array.isArray(previous)) {
    throw new ConfigurationError(`previousKeyIds must be an array, received ${typeof previous}`);
  }
  for (const [index, keyId] of previous.entries()) {
    if (typeof keyId !== 'string' || keyId.trim() === '') {
      throw new ConfigurationError(
        `previousKeyIds[${index}] must be a key ARN or key id, received ${
          typeof keyId === 'string' ? 'an empty string' : typeof keyId
        }`,
      );
    }
    if (isAlias(keyId)) {
      throw new ConfigurationError(
        `previousKeyIds[${index}] is the alias ${keyId}: give the key ARN it pointed to (an alias follows its current key)`,
      );
    }
  }
  return Object.freeze([...previous]);
}

/** An answer that is not an object (a broken client or middleware) is a typed error too. */
function checkResponse(response: unknown, operation: string): void {
  if (typeof response !== 'object' || response === null) {
    throw new KeyServiceError(
      `KMS ${operation} returned ${response === null ? 'null' : typeof response}, not a response`,
    );
  }
}

/**
 * The response's plaintext copied into a buffer the caller owns, the SDK's own copy zero-filled.
 * A Plaintext that is not bytes is a KeyServiceError, not a TypeError.
 */
function takePlaintext(response: { Plaintext?: unknown }, operation: string): Buffer | undefined {
  const wrongType = malformed(response, 'Plaintext', 'bytes');
  if (wrongType !== undefined) throw new KeyServiceError(`KMS ${operation} returned ${wrongType}`);
  const source = response.Plaintext as Uint8Array | undefined;
  const plaintext = source ? Buffer.from(source) : undefined;
  source?.fill(0);
  return plaintext;
}

/** Names a present field of the wrong type (never its content), or undefined. */
function malformed(
  response: object,
  field: string,
  expected: 'bytes' | 'string',
): string | undefined {
  const value: unknown = (response as Record<string, unknown>)[field];
  if (value === undefined) return undefined;
  const fits = expected === 'bytes' ? value instanceof Uint8Array : typeof value === 'string';
  if (fits) return undefined;
  const received = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return `a ${field} that is ${received}, not ${expected === 'bytes' ? 'bytes' : 'a string'}`;
}
