/**
 * KMS faults through the real KMSClient over HTTP (to the loopback KMS stand-in), so that the
 * SDK's own retry strategy is what is tested: transient faults are retried with backoff, the
 * others fail at once with the mapped error, and a failed write sends nothing to DynamoDB.
 */
import { createServer } from 'node:net';
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, ReEncryptCommand } from '@aws-sdk/client-kms';
import {
  DecryptionError,
  KeyAccessError,
  KeyServiceError,
  KmsKeyring,
  SecretsStore,
} from '@secrets-store/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';
import {
  DROP_CONNECTION,
  type KmsServer,
  LOCAL_KMS_KEY_ARN,
  LOCAL_KMS_SECOND_KEY_ARN,
  startKmsServer,
} from '../support/kmsServer.ts';

let kms: KmsServer;
let table: FakeTable;

beforeAll(async () => {
  kms = await startKmsServer();
});
afterAll(() => kms.stop());
afterEach(() => table?.dynamodb.restore());

function newStore(keyring = new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: kms.client() })) {
  table = fakeTable();
  return storeOn(table, keyring);
}

function storeOn(on: FakeTable, keyring: KmsKeyring): SecretsStore {
  return new SecretsStore({
    tableName: 'secrets',
    namespace: 'app:1',
    keyring,
    client: on.client,
    dataKeyCache: false,
  });
}

/** A loopback port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const served = (operation: string) => kms.requests.get(operation) ?? 0;

describe('transient KMS faults are retried by the SDK with backoff', () => {
  it.each([
    ['ThrottlingException', 400],
    ['DependencyTimeoutException', 503],
    ['KMSInternalException', 500],
    ['KeyUnavailableException', 500],
  ])(
    '%s (HTTP %i) twice, then success: 3 requests, the put succeeds',
    async (errorType, status) => {
      const store = newStore();
      const before = served('GenerateDataKey');
      kms.failNext('GenerateDataKey', errorType, 2, status);
      await expect(store.put('k', { token: 'abc' })).resolves.toBe(true);
      expect(served('GenerateDataKey') - before).toBe(3);
      const decrypts = served('Decrypt');
      kms.failNext('Decrypt', errorType, 2, status);
      await expect(store.get('k')).resolves.toEqual({ token: 'abc' });
      expect(served('Decrypt') - decrypts).toBe(3);
    },
  );

  it('a transient fault that outlasts the SDK retries is a KeyServiceError naming it', async () => {
    const store = newStore();
    kms.failNext('GenerateDataKey', 'KMSInternalException', 3, 500);
    const error = await store.put('k', { token: 'abc' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toMatch(/failed with KMSInternalException/);
    expect(table.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('connections dropped on every attempt: a KeyServiceError naming ECONNRESET, nothing written', async () => {
    const store = newStore();
    const before = served('GenerateDataKey');
    kms.failNext('GenerateDataKey', DROP_CONNECTION, 3);
    const error = await store.put('k', { token: 'abc' }).catch((caught: unknown) => caught);
    expect(served('GenerateDataKey') - before).toBe(3);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toMatch(/failed with \w+ \(ECONNRESET\)/);
    expect(table.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(table.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('no KMS listening: a KeyServiceError naming ECONNREFUSED', async () => {
    const port = await closedPort();
    const client = new KMSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const store = newStore(new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client }));
    const error = await store.put('k', { token: 'abc' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyServiceError);
    expect((error as Error).message).toMatch(
      /KMS GenerateDataKey for secret "k" in namespace app:1 failed with Error \(ECONNREFUSED\)/,
    );
    expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(table.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});

describe('other KMS errors fail at once, with the mapped error', () => {
  it.each([
    ['DisabledException', KeyAccessError],
    ['KMSInvalidStateException', KeyAccessError],
    ['NotFoundException', KeyAccessError],
    ['InvalidKeyUsageException', KeyAccessError],
    ['AccessDeniedException', KeyAccessError],
    ['InvalidCiphertextException', DecryptionError],
    ['IncorrectKeyException', DecryptionError],
  ])('%s: one request, %o, and no DynamoDB write', async (errorType, errorClass) => {
    const store = newStore();
    await store.put('k', { token: 'abc' });
    const writes = () =>
      table.dynamodb.commandCalls(UpdateItemCommand).length +
      table.dynamodb.commandCalls(PutItemCommand).length;
    const writesBefore = writes();

    const decrypts = served('Decrypt');
    kms.failNext('Decrypt', errorType);
    await expect(store.get('k')).rejects.toThrow(errorClass);
    expect(served('Decrypt') - decrypts).toBe(1);

    kms.failNext('Decrypt', errorType); // patch reads (and decrypts) first
    await expect(store.patch('k', { token: 'new' })).rejects.toThrow(errorClass);
    const generates = served('GenerateDataKey');
    kms.failNext('GenerateDataKey', errorType);
    await expect(store.put('k', { token: 'new' })).rejects.toThrow(
      errorType === 'InvalidCiphertextException' || errorType === 'IncorrectKeyException'
        ? DecryptionError
        : KeyAccessError,
    );
    expect(served('GenerateDataKey') - generates).toBe(1);
    expect(writes()).toBe(writesBefore);
    await expect(store.get('k')).resolves.toEqual({ token: 'abc' });
  });
});

describe('a disabled key refuses: KeyAccessError, and a retry will not help', () => {
  it('puts and gets fail at once with DisabledException', async () => {
    const server = await startKmsServer();
    try {
      table = fakeTable();
      const store = storeOn(
        table,
        new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: server.client() }),
      );
      await store.put('k', { token: 'abc' });
      server.disableKey(LOCAL_KMS_KEY_ARN);
      await expect(store.get('k')).rejects.toThrow(KeyAccessError);
      await expect(store.get('k')).rejects.toThrow(
        /failed with DisabledException: the key refuses/,
      );
      expect(server.requests.get('Decrypt')).toBe(2); // one request each: not retried
    } finally {
      await server.stop();
    }
  });
});

describe('moving to another key, through the KMS stand-in', () => {
  const oldKeyring = () => new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: kms.client() });
  const movedKeyring = () =>
    new KmsKeyring({
      keyId: LOCAL_KMS_SECOND_KEY_ARN,
      previousKeyIds: [LOCAL_KMS_KEY_ARN],
      client: kms.client(),
    });
  const context = { namespace: 'app:1', secret: 'k' };

  it('reads what the previous key wrapped, and writes under the new key only', async () => {
    const before = newStore(oldKeyring());
    await before.put('old', { token: 'abc' });
    const after = storeOn(table, movedKeyring());
    await expect(after.get('old')).resolves.toEqual({ token: 'abc' });
    await after.put('new', { token: 'def' });
    const keyIds = await Promise.all(
      ['old', 'new'].map(async (key) => [key, (await table.item('app:1', key))?.keyId?.S]),
    );
    expect(keyIds).toEqual([
      ['old', LOCAL_KMS_KEY_ARN],
      ['new', LOCAL_KMS_SECOND_KEY_ARN],
    ]);
    // a keyring that only knows the old key cannot read what the new key wrapped
    await expect(storeOn(table, oldKeyring()).get('new')).rejects.toThrow(DecryptionError);
  });

  it('rewrapDataKey sends ReEncrypt, gets back no plaintext, and the new key alone can unwrap the result', async () => {
    const generated = await oldKeyring().generateDataKey(context);
    const moved = await movedKeyring().rewrapDataKey(generated.wrapped, generated.keyId, context);
    expect(moved.keyId).toBe(LOCAL_KMS_SECOND_KEY_ARN);
    const reEncrypt = kms.received.filter((request) => request.operation === 'ReEncrypt').at(-1);
    expect(reEncrypt?.input).toMatchObject({
      SourceKeyId: LOCAL_KMS_KEY_ARN,
      DestinationKeyId: LOCAL_KMS_SECOND_KEY_ARN,
      SourceEncryptionContext: context,
      DestinationEncryptionContext: context,
    });
    const onlyNew = new KmsKeyring({ keyId: LOCAL_KMS_SECOND_KEY_ARN, client: kms.client() });
    const unwrapped = await onlyNew.decryptDataKey(moved.wrapped, moved.keyId, context);
    expect(unwrapped.equals(generated.plaintext)).toBe(true);
    expect(onlyNew.isCurrent(moved.keyId)).toBe(true);
    expect(movedKeyring().isCurrent(generated.keyId)).toBe(false);
  });

  it('rewrap under another encryption context fails as KMS does: DecryptionError', async () => {
    const generated = await oldKeyring().generateDataKey(context);
    await expect(
      movedKeyring().rewrapDataKey(generated.wrapped, generated.keyId, { ...context, secret: 'x' }),
    ).rejects.toThrow(/KMS ReEncrypt .* failed with InvalidCiphertextException/);
  });

  it('the stand-in checks the source key id and the context as KMS does', async () => {
    const generated = await oldKeyring().generateDataKey(context);
    const send = (input: Partial<ConstructorParameters<typeof ReEncryptCommand>[0]>) =>
      kms
        .client()
        .send(
          new ReEncryptCommand({
            CiphertextBlob: generated.wrapped,
            SourceKeyId: LOCAL_KMS_KEY_ARN,
            SourceEncryptionContext: context,
            DestinationKeyId: LOCAL_KMS_SECOND_KEY_ARN,
            DestinationEncryptionContext: context,
            ...input,
          }),
        )
        .catch((error: Error) => error.name);
    expect(await send({ SourceKeyId: LOCAL_KMS_SECOND_KEY_ARN })).toBe('IncorrectKeyException');
    expect(await send({ SourceEncryptionContext: { ...context, namespace: 'app:2' } })).toBe(
      'InvalidCiphertextException',
    );
    expect(await send({ DestinationKeyId: `${LOCAL_KMS_KEY_ARN}0` })).toBe('NotFoundException');
    expect(await send({ DestinationEncryptionContext: { ...context, secret: 'y' } })).toBe(
      'ValidationException',
    );
    expect(await send({})).toMatchObject({ KeyId: LOCAL_KMS_SECOND_KEY_ARN });
  });
});
