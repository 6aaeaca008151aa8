/**
 * KMS faults through the real KMSClient over HTTP (to the loopback KMS stand-in), so that the
 * SDK's own retry strategy is what is tested: transient faults are retried with backoff, the
 * others fail at once with the mapped error, and a failed write sends nothing to DynamoDB.
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptionError, KeyAccessError, KmsKeyring, SecretsStore } from '@secrets-store/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';
import { type KmsServer, LOCAL_KMS_KEY_ARN, startKmsServer } from '../support/kmsServer.ts';

let kms: KmsServer;
let table: FakeTable;

beforeAll(async () => {
  kms = await startKmsServer();
});
afterAll(() => kms.stop());
afterEach(() => table?.dynamodb.restore());

function newStore(): SecretsStore {
  table = fakeTable();
  return new SecretsStore({
    tableName: 'secrets',
    namespace: 'app:1',
    keyring: new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: kms.client() }),
    dynamoDBClient: table.client,
    dataKeyCache: false,
  });
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

  it('a transient fault that outlasts the SDK retries is a KeyAccessError naming it', async () => {
    const store = newStore();
    kms.failNext('GenerateDataKey', 'KMSInternalException', 3, 500);
    await expect(store.put('k', { token: 'abc' })).rejects.toThrow(KeyAccessError);
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
