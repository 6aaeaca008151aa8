/**
 * Plaintext data keys the library holds are zero-filled once used: the buffers a keyring hands
 * out, the copies the cache keeps and hands out, and what KMS answered.
 */
import { DecryptCommand } from '@aws-sdk/client-kms';
import {
  DataKeyCache,
  type EncryptionContext,
  type Keyring,
  KmsKeyring,
  LocalKeyring,
  SecretsStore,
} from '@secrets-store/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeKms, KEY_ARN } from '../support/fakeKms.ts';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';

const zeroed = (buffer: Uint8Array) => buffer.every((byte) => byte === 0);

/** A keyring that keeps every plaintext buffer it hands out, to look at them afterwards. */
function recordingKeyring(inner: Keyring) {
  const handedOut: Buffer[] = [];
  const keyring: Keyring = {
    maxWrappedKeyBytes: inner.maxWrappedKeyBytes,
    maxKeyIdBytes: inner.maxKeyIdBytes,
    generateDataKey: async (context: EncryptionContext) => {
      const generated = await inner.generateDataKey(context);
      handedOut.push(generated.plaintext);
      return generated;
    },
    decryptDataKey: async (wrapped, keyId, context) => {
      const plaintext = await inner.decryptDataKey(wrapped, keyId, context);
      handedOut.push(plaintext);
      return plaintext;
    },
    isCurrent: (keyId) => inner.isCurrent(keyId),
    rewrapDataKey: (wrapped, keyId, context) => inner.rewrapDataKey(wrapped, keyId, context),
  };
  return { keyring, handedOut };
}

let table: FakeTable;
beforeEach(() => {
  table = fakeTable();
});
afterEach(() => table.dynamodb.restore());

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

describe('zero-filled data keys', () => {
  it.each([false, true])(
    'every key a keyring handed out is zero after put, get, patch (cache: %s)',
    async (cache) => {
      const { keyring, handedOut } = recordingKeyring(
        new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
      );
      const options = {
        tableName: 'secrets',
        namespace: 'app:1',
        keyring,
        client: table.client,
      };
      const store = new SecretsStore(cache ? options : { ...options, dataKeyCache: false });
      await store.put('k', { token: 'abc' });
      const cold = new SecretsStore(cache ? options : { ...options, dataKeyCache: false });
      await cold.get('k');
      await cold.patch('k', { token: 'new' });
      await cold.delete('k', ['token']);
      await nextMacrotask(); // the cache zero-fills a loaded key once every waiter has its copy
      // put: one fresh key. With the cache, the cold store decrypts once and patch and the field
      // delete re-use it; without, get, patch and the field delete each decrypt their own.
      expect(handedOut.length).toBe(cache ? 2 : 4);
      expect(handedOut.every(zeroed)).toBe(true);
    },
  );

  it('the KMS response buffers are zero-filled after they are copied', async () => {
    const kms = fakeKms();
    const store = new SecretsStore({
      tableName: 'secrets',
      namespace: 'app:1',
      keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
      client: table.client,
      dataKeyCache: false,
    });
    await store.put('k', { token: 'abc' });
    const answered: Uint8Array[] = [];
    kms.kms.on(DecryptCommand).callsFake(() => {
      const plaintext = new Uint8Array(32).fill(7); // not the key the item was sealed with
      answered.push(plaintext);
      return { Plaintext: plaintext, KeyId: KEY_ARN };
    });
    await store.get('k').catch(() => undefined); // a wrong key: the answer is still zero-filled
    expect(answered).toHaveLength(1);
    expect(zeroed(answered[0] as Uint8Array)).toBe(true);
    expect(kms.issued.every(zeroed)).toBe(true);
    kms.kms.restore();
  });

  it('the cache zero-fills what it evicts, expires and clears, and hands out copies', async () => {
    const cache = new DataKeyCache({ maxEntries: 1 });
    const loaded = Buffer.alloc(32, 5);
    const copy = await cache.getOrLoad('a', async () => loaded);
    await nextMacrotask();
    expect(zeroed(loaded)).toBe(true); // the keyring's buffer: the cache keeps its own copy
    expect(copy.equals(Buffer.alloc(32, 5))).toBe(true); // the caller's copy, for the caller to fill
    const held = cache.get('a');
    cache.set('b', Buffer.alloc(32, 6)); // evicts a
    expect(cache.get('a')).toBeUndefined();
    expect(held && !zeroed(held)).toBe(true); // copies handed out are not pulled away
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
