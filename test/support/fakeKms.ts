/**
 * Why a home-made KMS still: the moto tier checks KmsKeyring against moto's KMS (encryption
 * context, ReEncrypt, aliases: test/moto/kmsKeyring.test.ts), but moto does not do two things as
 * KMS does (it decrypts with a disabled key, and answers a Decrypt pinned to the wrong key with
 * AccessDeniedException instead of IncorrectKeyException), and the unit, security and CLI tiers
 * run where moto is not installed. This stand-in serves those.
 *
 * KMS behaviour behind aws-sdk-client-mock, with two keys (the current one and a previous one):
 * GenerateDataKey hands out random keys and remembers them with their key and encryption
 * context; Decrypt gives them back only for the same blob, key and context, and otherwise fails
 * as KMS does (InvalidCiphertextException / IncorrectKeyException); ReEncrypt checks the source
 * key and context likewise and wraps the same data key under the destination key and context.
 */
import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

export const KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** A key the store used before moving to KEY_ARN. */
export const PREVIOUS_KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab';

interface Issued {
  readonly plaintext: Buffer;
  readonly keyId: string;
  readonly context: string;
}

export function fakeKms(): {
  kms: ReturnType<typeof mockClient>;
  client: KMSClient;
  issued: Buffer[];
} {
  const client = new KMSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const kms = mockClient(client);
  const wrapped = new Map<string, Issued>();
  const issued: Buffer[] = [];
  const knownKey = (keyId: string | undefined): string => {
    if (keyId !== KEY_ARN && keyId !== PREVIOUS_KEY_ARN) {
      throw new NotFoundException({ message: `key ${keyId} not found`, $metadata: {} });
    }
    return keyId;
  };
  const wrap = (plaintext: Buffer, keyId: string, context: unknown): Buffer => {
    const blob = randomBytes(184);
    wrapped.set(blob.toString('hex'), {
      plaintext: Buffer.from(plaintext),
      keyId,
      context: JSON.stringify(context),
    });
    return blob;
  };
  /** The entry of a blob, if its context and pinned key are right. */
  const unwrap = (blob: Uint8Array | undefined, keyId: string | undefined, context: unknown) => {
    const entry = wrapped.get(Buffer.from(blob ?? []).toString('hex'));
    if (!entry || entry.context !== JSON.stringify(context)) {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    }
    if (keyId !== entry.keyId) {
      throw new IncorrectKeyException({ message: 'incorrect key', $metadata: {} });
    }
    return entry;
  };
  kms.on(GenerateDataKeyCommand).callsFake((input) => {
    const keyId = knownKey(input.KeyId);
    const plaintext = randomBytes(32);
    const blob = wrap(plaintext, keyId, input.EncryptionContext);
    issued.push(plaintext);
    return { Plaintext: plaintext, CiphertextBlob: blob, KeyId: keyId, $metadata: {} };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const entry = unwrap(input.CiphertextBlob, input.KeyId, input.EncryptionContext);
    return { Plaintext: Buffer.from(entry.plaintext), KeyId: entry.keyId, $metadata: {} };
  });
  kms.on(ReEncryptCommand).callsFake((input) => {
    const entry = unwrap(input.CiphertextBlob, input.SourceKeyId, input.SourceEncryptionContext);
    const destination = knownKey(input.DestinationKeyId);
    const blob = wrap(entry.plaintext, destination, input.DestinationEncryptionContext);
    return {
      CiphertextBlob: blob,
      SourceKeyId: entry.keyId,
      KeyId: destination,
      $metadata: {},
    };
  });
  return { kms, client, issued };
}
