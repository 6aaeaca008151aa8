/**
 * Exhaustive tampering of one stored secret (a small value, as a token is): every single-bit flip
 * and every truncation of the ciphertext attribute and of the wrapped data key, short GCM tags,
 * an unknown format byte, moved items and a changed encryption context. Each is rejected with
 * DecryptionError and no plaintext. The test names carry the figures they prove.
 */
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptionError, LocalKeyring, SecretsStore } from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVELOPE_OVERHEAD_BYTES } from '../../packages/core/src/envelope.ts';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';

const NAMESPACE = 'app:1';
const KEY = 'authToken';
const CANARY = 'canary-tamper-4d1f';
const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
let table: FakeTable;
let original: Record<string, AttributeValue>;

/** A reader that asks the keyring every time: a cached data key would skip the keyring's check. */
const reader = () =>
  new SecretsStore({
    tableName: 'secrets',
    namespace: NAMESPACE,
    keyring,
    client: table.client,
    dataKeyCache: false,
  });

async function storeItem(
  item: Record<string, AttributeValue>,
  key = KEY,
  namespace = NAMESPACE,
): Promise<void> {
  await table.putItem({ ...item, pk: { S: namespace }, sk: { S: key } });
}

/** Reads the tampered item; resolves to the error (a value would be a failure of this test). */
async function readError(store = reader(), key = KEY): Promise<unknown> {
  try {
    const value = await store.get(key);
    return new Error(`tampered item decrypted to ${Object.keys(value).length} fields`);
  } catch (error) {
    return error;
  }
}

function expectRejected(error: unknown): void {
  expect(error).toBeInstanceOf(DecryptionError);
  expect(JSON.stringify(error)).not.toContain(CANARY);
  expect(String((error as Error).message)).not.toContain(CANARY);
}

beforeAll(async () => {
  table = fakeTable();
  await reader().put(KEY, { token: CANARY });
  const response = await table.client.send(
    new GetItemCommand({ TableName: 'secrets', Key: { pk: { S: NAMESPACE }, sk: { S: KEY } } }),
  );
  original = structuredClone(response.Item ?? {});
});

afterAll(() => table.dynamodb.restore());

const ciphertext = () => Buffer.from(original.ciphertext?.B ?? []);
const wrappedKey = () => Buffer.from(original.dataKey?.B ?? []);

describe('the ciphertext attribute', () => {
  it('every single-bit flip is rejected', async () => {
    const bytes = ciphertext();
    let rejected = 0;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      await storeItem({ ...original, ciphertext: { B: flipped } });
      expectRejected(await readError());
      rejected++;
    }
    console.log(`ciphertext: ${rejected} of ${bytes.length * 8} single-bit flips rejected`);
    expect(rejected).toBe(bytes.length * 8);
  });

  it('every truncation is rejected', async () => {
    const bytes = ciphertext();
    for (let length = 0; length < bytes.length; length++) {
      await storeItem({ ...original, ciphertext: { B: bytes.subarray(0, length) } });
      expectRejected(await readError());
    }
    console.log(`ciphertext: ${bytes.length} of ${bytes.length} truncations rejected`);
  });

  it.each([4, 8, 12])('a GCM tag cut to %i bytes is rejected', async (tagBytes) => {
    const bytes = ciphertext();
    await storeItem({
      ...original,
      ciphertext: { B: bytes.subarray(0, bytes.length - 16 + tagBytes) },
    });
    expectRejected(await readError());
  });

  it('an unknown format byte is rejected', async () => {
    for (const format of [0x00, 0x02, 0xff]) {
      const bytes = ciphertext();
      bytes[0] = format;
      await storeItem({ ...original, ciphertext: { B: bytes } });
      const error = await readError();
      expectRejected(error);
      expect((error as Error).message).toContain(`unknown envelope version ${format}`);
    }
  });

  it('the envelope is the small value plus its fixed overhead', () => {
    expect(ciphertext().length).toBe(
      JSON.stringify({ token: CANARY }).length + ENVELOPE_OVERHEAD_BYTES,
    );
  });
});

describe('the wrapped data key', () => {
  it('every single-bit flip is rejected', async () => {
    const bytes = wrappedKey();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      await storeItem({ ...original, dataKey: { B: flipped } });
      expectRejected(await readError());
    }
    console.log(
      `wrapped data key: ${bytes.length * 8} of ${bytes.length * 8} single-bit flips rejected`,
    );
  });

  it('every truncation is rejected', async () => {
    const bytes = wrappedKey();
    for (let length = 0; length < bytes.length; length++) {
      await storeItem({ ...original, dataKey: { B: bytes.subarray(0, length) } });
      expectRejected(await readError());
    }
  });

  it('another key id is rejected', async () => {
    await storeItem({ ...original, keyId: { S: 'local:0000000000000000' } });
    expectRejected(await readError());
  });
});

describe('moving a ciphertext with its data key', () => {
  it('to another key of the namespace is rejected', async () => {
    await storeItem(original, 'otherKey');
    expectRejected(await readError(reader(), 'otherKey'));
  });

  it('to another namespace is rejected', async () => {
    await storeItem(original, KEY, 'app:2');
    const elsewhere = new SecretsStore({
      tableName: 'secrets',
      namespace: 'app:2',
      keyring,
      client: table.client,
      dataKeyCache: false,
    });
    expectRejected(await readError(elsewhere));
  });

  it('is rejected with a warm cache too: cache entries are scoped to the secret', async () => {
    const cached = new SecretsStore({
      tableName: 'secrets',
      namespace: NAMESPACE,
      keyring,
      client: table.client,
    });
    await storeItem(original);
    expect(await cached.get(KEY)).toEqual({ token: CANARY });
    await storeItem(original, 'otherKey');
    expectRejected(await readError(cached, 'otherKey'));
  });
});

describe('the encryption context', () => {
  it('a changed context is rejected by the keyring, as KMS does', async () => {
    const wrapped = wrappedKey();
    const keyId = original.keyId?.S ?? '';
    for (const context of [
      { namespace: NAMESPACE, secret: 'otherKey' },
      { namespace: 'app:2', secret: KEY },
      { namespace: NAMESPACE.toUpperCase(), secret: KEY },
    ]) {
      await expect(keyring.decryptDataKey(wrapped, keyId, context)).rejects.toThrow(
        DecryptionError,
      );
    }
    const right = await keyring.decryptDataKey(wrapped, keyId, {
      namespace: NAMESPACE,
      secret: KEY,
    });
    expect(right).toHaveLength(32);
    right.fill(0);
  });
});
