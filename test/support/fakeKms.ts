/**
 * KMS behaviour behind aws-sdk-client-mock: GenerateDataKey hands out random keys and remembers
 * them with their encryption context; Decrypt gives them back only for the same blob, key and
 * context, and otherwise fails as KMS does (InvalidCiphertextException / IncorrectKeyException).
 */
import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

export const KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

interface Issued {
  readonly plaintext: Buffer;
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
  kms.on(GenerateDataKeyCommand).callsFake((input) => {
    const plaintext = randomBytes(32);
    const blob = randomBytes(184);
    wrapped.set(blob.toString('hex'), {
      plaintext: Buffer.from(plaintext),
      context: JSON.stringify(input.EncryptionContext),
    });
    issued.push(plaintext);
    return { Plaintext: plaintext, CiphertextBlob: blob, KeyId: KEY_ARN, $metadata: {} };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const entry = wrapped.get(Buffer.from(input.CiphertextBlob).toString('hex'));
    if (!entry || entry.context !== JSON.stringify(input.EncryptionContext)) {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    }
    if (input.KeyId !== KEY_ARN) {
      throw new IncorrectKeyException({ message: 'incorrect key', $metadata: {} });
    }
    return { Plaintext: Buffer.from(entry.plaintext), KeyId: KEY_ARN, $metadata: {} };
  });
  return { kms, client, issued };
}
