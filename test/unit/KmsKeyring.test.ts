import {
  DecryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  DecryptionError,
  KeyAccessError,
  KeyServiceError,
  KmsKeyring,
} from '@secrets-store/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEY_ARN as FAKE_KEY_ARN,
  PREVIOUS_KEY_ARN as FAKE_PREVIOUS_KEY_ARN,
  fakeKms,
} from '../support/fakeKms.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PREVIOUS_KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab';
const STRANGER_KEY_ARN =
  'arn:aws:kms:eu-west-1:444455556666:key/ffffffff-12ab-34cd-56ef-1234567890ab';
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

/** `keyring` decrypts a wrapped key with one Decrypt, its KeyId pinned to `keyId`, the context passed. */
async function expectDecryptedPinned(keyring: KmsKeyring, keyId: string): Promise<void> {
  const blob = new Uint8Array(184).fill(2);
  const key = await keyring.decryptDataKey(blob, keyId, context);
  expect(key.equals(Buffer.alloc(32, 3))).toBe(true);
  expect(kms).toHaveReceivedCommandExactlyOnceWith(DecryptCommand, {
    CiphertextBlob: blob,
    KeyId: keyId,
    EncryptionContext: { namespace: 'app:1', secret: 'authToken' },
  });
}

describe('KmsKeyring.decryptDataKey', () => {
  it('pins KeyId to the configured key and passes the encryption context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(3), KeyId: KEY_ARN });
    await expectDecryptedPinned(keyring(), KEY_ARN);
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
    ['InvalidKeyUsageException', KeyAccessError],
    ['ThrottlingException', KeyServiceError],
    ['KMSInternalException', KeyServiceError],
    ['KeyUnavailableException', KeyServiceError],
    ['DependencyTimeoutException', KeyServiceError],
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
    expect(error).toBeInstanceOf(KeyServiceError);
    expect(JSON.stringify(error)).not.toContain('c2VjcmV0');
    const cause = (error as Error).cause as Record<string, unknown>;
    expect(cause.$response).toBeUndefined();
    expect(cause.$metadata).toEqual({ httpStatusCode: 200 });
  });

  it('needs a keyId', () => {
    expect(() => new KmsKeyring({ keyId: '' })).toThrow(/needs a keyId/);
  });
});

/** A socket error as the SDK throws it when no HTTP response came back. */
function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, $metadata: { attempts: 3 } });
}

describe('KMS errors: the key refuses (KeyAccessError) or KMS could not answer (KeyServiceError)', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'],
    ['ECONNRESET', 'socket hang up'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN kms.eu-west-1.amazonaws.com'],
  ])(
    'a network failure (%s) is a KeyServiceError whose message names the code',
    async (code, message) => {
      kms.on(DecryptCommand).rejects(networkError(code, message));
      const error = await keyring()
        .decryptDataKey(new Uint8Array(184), KEY_ARN, context)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KeyServiceError);
      expect(error).toMatchObject({ code: 'KEY_SERVICE' });
      expect((error as Error).message).toContain(`failed with Error (${code})`);
      expect(((error as Error).cause as { code?: string }).code).toBe(code);
    },
  );

  it('a request timeout of the SDK is a KeyServiceError', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .rejects(
        Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }),
      );
    await expect(keyring().generateDataKey(context)).rejects.toThrow(KeyServiceError);
  });

  it('an unknown client fault is a KeyAccessError, an unknown server fault a KeyServiceError', async () => {
    kms
      .on(DecryptCommand)
      .rejectsOnce(kmsError('SomeNewClientException'))
      .rejectsOnce(
        Object.assign(kmsError('SomeNewServerException'), {
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        }),
      );
    await expect(keyring().decryptDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      KeyAccessError,
    );
    await expect(keyring().decryptDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      KeyServiceError,
    );
  });

  it('no response at all is a KeyServiceError, not a TypeError', async () => {
    kms.on(DecryptCommand).resolves(undefined as never);
    await expect(keyring().decryptDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      /KMS Decrypt returned undefined, not a response/,
    );
  });
});

describe('a KMS response with fields of the wrong type is a typed error, not a TypeError', () => {
  it.each([
    [
      'Plaintext as a base64 string',
      { Plaintext: 'c2VjcmV0LWtleS1ieXRlcw==', KeyId: KEY_ARN },
      /Plaintext that is string, not bytes/,
    ],
    [
      'Plaintext as a number',
      { Plaintext: 42, KeyId: KEY_ARN },
      /Plaintext that is number, not bytes/,
    ],
    [
      'KeyId as a number',
      { Plaintext: new Uint8Array(32).fill(4), KeyId: 7 },
      /KeyId that is number, not a string/,
    ],
  ])('Decrypt returning %s', async (_name, response, message) => {
    kms.on(DecryptCommand).resolves(response as never);
    const error = await keyring()
      .decryptDataKey(new Uint8Array(184), KEY_ARN, context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('c2VjcmV0');
    const plaintext = (response as { Plaintext?: unknown }).Plaintext;
    if (plaintext instanceof Uint8Array) expect(plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it.each([
    [
      'CiphertextBlob as a string',
      { Plaintext: new Uint8Array(32).fill(4), CiphertextBlob: 'abc', KeyId: KEY_ARN },
      /CiphertextBlob that is string/,
    ],
    [
      'KeyId as an object',
      { Plaintext: new Uint8Array(32).fill(4), CiphertextBlob: new Uint8Array(184), KeyId: {} },
      /KeyId that is object/,
    ],
    [
      'Plaintext as null',
      { Plaintext: null, CiphertextBlob: new Uint8Array(184), KeyId: KEY_ARN },
      /Plaintext that is null/,
    ],
  ])('GenerateDataKey returning %s', async (_name, response, message) => {
    kms.on(GenerateDataKeyCommand).resolves(response as never);
    const error = await keyring()
      .generateDataKey(context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toMatch(message);
    const plaintext = (response as { Plaintext?: unknown }).Plaintext;
    if (plaintext instanceof Uint8Array) expect(plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('ReEncrypt returning a CiphertextBlob that is a number', async () => {
    kms
      .on(ReEncryptCommand)
      .resolves({ CiphertextBlob: 5, SourceKeyId: KEY_ARN, KeyId: KEY_ARN } as never);
    await expect(keyring().rewrapDataKey(new Uint8Array(184), KEY_ARN, context)).rejects.toThrow(
      /KMS ReEncrypt returned a CiphertextBlob that is number, not bytes/,
    );
  });
});

describe('previous keys', () => {
  const rotated = (options: { keyId?: string; previousKeyIds?: string[] } = {}) =>
    new KmsKeyring({
      keyId: options.keyId ?? KEY_ARN,
      previousKeyIds: options.previousKeyIds ?? [PREVIOUS_KEY_ARN],
      client: new KMSClient({ region: 'eu-west-1' }),
    });

  it('writes use the current key only', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32),
      CiphertextBlob: new Uint8Array(184),
      KeyId: KEY_ARN,
    });
    await rotated().generateDataKey(context);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(GenerateDataKeyCommand, { KeyId: KEY_ARN });
  });

  it('a data key wrapped by a previous key is decrypted with that key pinned', async () => {
    kms
      .on(DecryptCommand)
      .resolves({ Plaintext: new Uint8Array(32).fill(3), KeyId: PREVIOUS_KEY_ARN });
    await expectDecryptedPinned(rotated(), PREVIOUS_KEY_ARN);
  });

  it('a previous key given as a bare key id pins that id for the ARN that ends with it', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32), KeyId: PREVIOUS_KEY_ARN });
    const bareId = PREVIOUS_KEY_ARN.split(':key/')[1] as string;
    await rotated({ previousKeyIds: [bareId] }).decryptDataKey(
      new Uint8Array(184),
      PREVIOUS_KEY_ARN,
      context,
    );
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, { KeyId: bareId });
  });

  it('a data key wrapped by a key in neither list is a DecryptionError, and KMS is not asked', async () => {
    const error = await rotated()
      .decryptDataKey(new Uint8Array(184), STRANGER_KEY_ARN, context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toMatch(
      /wrapped by arn:aws:kms:eu-west-1:444455556666:key\/ffff.*neither the current key .* nor one of the 1 previous keys/,
    );
    expect(kms).not.toHaveReceivedCommand(DecryptCommand);
  });

  it('with an alias as current key, an unknown item key is pinned to the alias, and the answer must name the item key', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(1), KeyId: KEY_ARN });
    const aliased = rotated({ keyId: 'alias/secrets-store' });
    await expect(
      aliased.decryptDataKey(new Uint8Array(184), STRANGER_KEY_ARN, context),
    ).rejects.toThrow(/answered for key .*1234abcd.*, the item names .*ffffffff/);
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, { KeyId: 'alias/secrets-store' });
  });

  it.each([
    [['alias/old'], /previousKeyIds\[0\] is the alias alias\/old/],
    [
      [PREVIOUS_KEY_ARN, 'arn:aws:kms:eu-west-1:111122223333:alias/old'],
      /previousKeyIds\[1\] is the alias/,
    ],
    [[''], /previousKeyIds\[0\] must be a key ARN or key id, received an empty string/],
    [[42], /previousKeyIds\[0\] must be a key ARN or key id, received number/],
    ['arn:x', /previousKeyIds must be an array, received string/],
  ])('refuses previousKeyIds %j', (previousKeyIds, message) => {
    expect(
      () => new KmsKeyring({ keyId: KEY_ARN, previousKeyIds: previousKeyIds as never }),
    ).toThrow(ConfigurationError);
    expect(
      () => new KmsKeyring({ keyId: KEY_ARN, previousKeyIds: previousKeyIds as never }),
    ).toThrow(message);
  });

  it('isCurrent: the current key ARN yes, a previous or unknown key no', () => {
    const keyring = rotated();
    expect(keyring.isCurrent(KEY_ARN)).toBe(true);
    expect(keyring.isCurrent(PREVIOUS_KEY_ARN)).toBe(false);
    expect(keyring.isCurrent(STRANGER_KEY_ARN)).toBe(false);
  });

  it('isCurrent with an alias: learns the key ARN from the first answer of KMS', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32),
      CiphertextBlob: new Uint8Array(184),
      KeyId: KEY_ARN,
    });
    const aliased = rotated({ keyId: 'alias/secrets-store' });
    expect(aliased.isCurrent(KEY_ARN)).toBe(false);
    await aliased.generateDataKey(context);
    expect(aliased.isCurrent(KEY_ARN)).toBe(true);
    expect(aliased.isCurrent(PREVIOUS_KEY_ARN)).toBe(false);
  });
});

describe('KmsKeyring.rewrapDataKey: ReEncrypt, the data key never leaves KMS', () => {
  const rotated = () =>
    new KmsKeyring({
      keyId: KEY_ARN,
      previousKeyIds: [PREVIOUS_KEY_ARN],
      client: new KMSClient({ region: 'eu-west-1' }),
    });

  it('sends ReEncrypt with the source key pinned, the current key as destination, the context on both sides', async () => {
    const rewrapped = new Uint8Array(184).fill(8);
    kms.on(ReEncryptCommand).resolves({
      CiphertextBlob: rewrapped,
      SourceKeyId: PREVIOUS_KEY_ARN,
      KeyId: KEY_ARN,
    });
    const blob = new Uint8Array(184).fill(2);
    const result = await rotated().rewrapDataKey(blob, PREVIOUS_KEY_ARN, context);
    expect(result).toEqual({ wrapped: rewrapped, keyId: KEY_ARN });
    expect(kms).toHaveReceivedCommandExactlyOnceWith(ReEncryptCommand, {
      CiphertextBlob: blob,
      SourceKeyId: PREVIOUS_KEY_ARN,
      SourceEncryptionContext: { namespace: 'app:1', secret: 'authToken' },
      DestinationKeyId: KEY_ARN,
      DestinationEncryptionContext: { namespace: 'app:1', secret: 'authToken' },
    });
    expect(kms).not.toHaveReceivedCommand(DecryptCommand);
    expect(kms).not.toHaveReceivedCommand(GenerateDataKeyCommand);
  });

  it('a data key wrapped by a key in neither list is a DecryptionError, and KMS is not asked', async () => {
    await expect(
      rotated().rewrapDataKey(new Uint8Array(184), STRANGER_KEY_ARN, context),
    ).rejects.toThrow(DecryptionError);
    expect(kms).not.toHaveReceivedCommand(ReEncryptCommand);
  });

  it('an answer for another source key is a DecryptionError', async () => {
    kms.on(ReEncryptCommand).resolves({
      CiphertextBlob: new Uint8Array(184),
      SourceKeyId: STRANGER_KEY_ARN,
      KeyId: KEY_ARN,
    });
    await expect(
      rotated().rewrapDataKey(new Uint8Array(184), PREVIOUS_KEY_ARN, context),
    ).rejects.toThrow(/answered for source key .*ffffffff.*, the item names .*0000aaaa/);
  });

  it('an answer wrapped under another destination key is refused', async () => {
    kms.on(ReEncryptCommand).resolves({
      CiphertextBlob: new Uint8Array(184),
      SourceKeyId: PREVIOUS_KEY_ARN,
      KeyId: STRANGER_KEY_ARN,
    });
    await expect(
      rotated().rewrapDataKey(new Uint8Array(184), PREVIOUS_KEY_ARN, context),
    ).rejects.toThrow(/KMS ReEncrypt returned KeyId .*ffffffff.*, not the configured/);
  });

  it.each([
    ['IncorrectKeyException', DecryptionError],
    ['InvalidCiphertextException', DecryptionError],
    ['AccessDeniedException', KeyAccessError],
    ['ThrottlingException', KeyServiceError],
  ])('maps %s to %o', async (name, errorClass) => {
    kms.on(ReEncryptCommand).rejects(kmsError(name));
    const error = await rotated()
      .rewrapDataKey(new Uint8Array(184), PREVIOUS_KEY_ARN, context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toMatch(new RegExp(`KMS ReEncrypt .* failed with ${name}`));
  });
});

describe('the fakeKms stand-in behind the keyrings (used by the store tests)', () => {
  it('ReEncrypt moves a data key from the previous key to the current one, checking key ids and context', async () => {
    const fake = fakeKms();
    try {
      const before = new KmsKeyring({ keyId: FAKE_PREVIOUS_KEY_ARN, client: fake.client });
      const moved = new KmsKeyring({
        keyId: FAKE_KEY_ARN,
        previousKeyIds: [FAKE_PREVIOUS_KEY_ARN],
        client: fake.client,
      });
      const generated = await before.generateDataKey(context);
      expect(generated.keyId).toBe(FAKE_PREVIOUS_KEY_ARN);
      await expect(
        moved.rewrapDataKey(generated.wrapped, generated.keyId, { ...context, secret: 'other' }),
      ).rejects.toThrow(/failed with InvalidCiphertextException/);
      const rewrapped = await moved.rewrapDataKey(generated.wrapped, generated.keyId, context);
      expect(rewrapped.keyId).toBe(FAKE_KEY_ARN);
      const onlyCurrent = new KmsKeyring({ keyId: FAKE_KEY_ARN, client: fake.client });
      const unwrapped = await onlyCurrent.decryptDataKey(
        rewrapped.wrapped,
        rewrapped.keyId,
        context,
      );
      expect(unwrapped.equals(generated.plaintext)).toBe(true);
      // the old blob names the previous key: pinned to the current key, KMS refuses it
      await expect(
        fake.client.send(
          new DecryptCommand({
            CiphertextBlob: generated.wrapped,
            KeyId: FAKE_KEY_ARN,
            EncryptionContext: { ...context },
          }),
        ),
      ).rejects.toThrow(/incorrect key/);
    } finally {
      fake.kms.restore();
    }
  });
});

describe("KmsKeyring passes the caller's signal to the SDK", () => {
  it('as abortSignal of GenerateDataKey, Decrypt and ReEncrypt', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32).fill(9),
      CiphertextBlob: new Uint8Array(184).fill(1),
      KeyId: KEY_ARN,
    });
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(9), KeyId: KEY_ARN });
    kms.on(ReEncryptCommand).resolves({
      CiphertextBlob: new Uint8Array(184).fill(2),
      SourceKeyId: PREVIOUS_KEY_ARN,
      KeyId: KEY_ARN,
    });
    const signal = new AbortController().signal;
    const moving = new KmsKeyring({
      keyId: KEY_ARN,
      previousKeyIds: [PREVIOUS_KEY_ARN],
      client: new KMSClient({ region: 'eu-west-1' }),
    });
    await moving.generateDataKey(context, { signal });
    await moving.decryptDataKey(new Uint8Array(184), KEY_ARN, context, { signal });
    await moving.rewrapDataKey(new Uint8Array(184), PREVIOUS_KEY_ARN, context, { signal });
    expect(kms.send.getCalls().map((call) => (call.args as unknown[])[1])).toEqual([
      { abortSignal: signal },
      { abortSignal: signal },
      { abortSignal: signal },
    ]);
  });

  it('an aborted call is a KeyServiceError that names AbortError, never a hang', async () => {
    kms
      .on(DecryptCommand)
      .rejects(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    const error = await keyring()
      .decryptDataKey(new Uint8Array(184), KEY_ARN, context, {
        signal: AbortSignal.abort(),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toContain('AbortError');
  });
});
