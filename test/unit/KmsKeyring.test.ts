import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DecryptionError, KeyAccessError, KmsKeyring } from '@secrets-store/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const context = { namespace: 'app:1', secret: 'authToken' };
const kms = mockClient(KMSClient);
const keyring = () =>
  new KmsKeyring({ keyId: KEY_ARN, client: new KMSClient({ region: 'eu-west-1' }) });

afterEach(() => kms.reset());

function kmsError(name: string): Error {
  return Object.assign(new Error(`${name} from KMS`), { name, $fault: 'client', $metadata: {} });
}

describe('KmsKeyring.generateDataKey', () => {
  it('asks for AES_256 under the configured key with the encryption context', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32).fill(9),
      CiphertextBlob: new Uint8Array(184).fill(1),
      KeyId: KEY_ARN,
    });
    const generated = await keyring().generateDataKey(context);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(GenerateDataKeyCommand, {
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { namespace: 'app:1', secret: 'authToken' },
    });
    expect(generated.plaintext.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(generated.keyId).toBe(KEY_ARN);
  });

  it.each([
    [
      'a 16-byte plaintext',
      { Plaintext: new Uint8Array(16), CiphertextBlob: new Uint8Array(184), KeyId: KEY_ARN },
      /16-byte plaintext/,
    ],
    ['no plaintext', { CiphertextBlob: new Uint8Array(184), KeyId: KEY_ARN }, /0-byte plaintext/],
    ['no ciphertext blob', { Plaintext: new Uint8Array(32), KeyId: KEY_ARN }, /no CiphertextBlob/],
    [
      'no key id',
      { Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array(184) },
      /no KeyId/,
    ],
    [
      'another key',
      { Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array(184), KeyId: `${KEY_ARN}0` },
      /not the configured/,
    ],
  ])('rejects a response with %s', async (_name, response, message) => {
    const plaintext = (response as { Plaintext?: Uint8Array }).Plaintext;
    plaintext?.fill(5);
    kms.on(GenerateDataKeyCommand).resolves(response);
    await expect(keyring().generateDataKey(context)).rejects.toThrow(message);
    expect(plaintext?.every((byte) => byte === 0) ?? true).toBe(true);
  });

  it('accepts any key ARN when configured with an alias', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32),
      CiphertextBlob: new Uint8Array(184),
      KeyId: KEY_ARN,
    });
    const aliased = new KmsKeyring({
      keyId: 'alias/secrets-store',
      client: new KMSClient({ region: 'eu-west-1' }),
    });
    await expect(aliased.generateDataKey(context)).resolves.toMatchObject({ keyId: KEY_ARN });
  });
});

describe('KmsKeyring.decryptDataKey', () => {
  it('pins KeyId to the configured key and passes the encryption context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(3), KeyId: KEY_ARN });
    const blob = new Uint8Array(184).fill(2);
    const key = await keyring().decryptDataKey(blob, KEY_ARN, context);
    expect(key.equals(Buffer.alloc(32, 3))).toBe(true);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(DecryptCommand, {
      CiphertextBlob: blob,
      KeyId: KEY_ARN,
      EncryptionContext: { namespace: 'app:1', secret: 'authToken' },
    });
  });

  it('rejects an answer for another key and zero-fills its plaintext', async () => {
    const plaintext = new Uint8Array(32).fill(3);
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: `${KEY_ARN}-other` });
    await expect(keyring().decryptDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      DecryptionError,
    );
    expect(plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('rejects a plaintext that is not 32 bytes', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(31), KeyId: KEY_ARN });
    await expect(keyring().decryptDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      /31-byte plaintext/,
    );
  });

  it.each([
    ['InvalidCiphertextException', DecryptionError],
    ['IncorrectKeyException', DecryptionError],
    ['AccessDeniedException', KeyAccessError],
    ['DisabledException', KeyAccessError],
    ['KMSInvalidStateException', KeyAccessError],
    ['NotFoundException', KeyAccessError],
    ['KeyUnavailableException', KeyAccessError],
    ['InvalidKeyUsageException', KeyAccessError],
  ])('maps %s to %o, naming the error and keeping it as cause', async (name, errorClass) => {
    kms.on(DecryptCommand).rejects(kmsError(name));
    const error = await keyring()
      .decryptDataKey(new Uint8Array(184), KEY_ARN, context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toContain(name);
    expect(((error as Error).cause as Error).name).toBe(name);
  });

  it('drops the raw response of an SDK error from the cause: it may hold a plaintext key', async () => {
    const deserialization = Object.assign(new Error('Deserialization error'), {
      $response: { body: '{"Plaintext":"c2VjcmV0LWtleS1ieXRlcw=="}' },
      $metadata: { httpStatusCode: 200 },
    });
    kms.on(GenerateDataKeyCommand).rejects(deserialization);
    const error = await keyring()
      .generateDataKey(context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyAccessError);
    const cause = (error as Error).cause as Record<string, unknown>;
    expect(cause.$response).toBeUndefined();
    expect(cause.$metadata).toEqual({ httpStatusCode: 200 });
  });

  it('needs a keyId', () => {
    expect(() => new KmsKeyring({ keyId: '' })).toThrow(/needs a keyId/);
  });
});
