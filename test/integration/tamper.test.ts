/**
 * Someone with write access to the table (but not to the keyring) moves or edits items:
 * every such item fails with DecryptionError, never with someone else's plaintext.
 */
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptionError, LocalKeyring, type SecretsStore } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { itemsOf, newStore, rawClient, tableName } from '../support/integration.ts';

type Item = Record<string, AttributeValue>;

async function stored(store: SecretsStore, key: string): Promise<Item> {
  const item = (await itemsOf(store.namespace)).find((candidate) => candidate.sk?.S === key);
  if (!item) throw new Error(`no item for ${key}`);
  return item;
}

async function write(item: Item): Promise<void> {
  await rawClient.send(new PutItemCommand({ TableName: tableName, Item: item }));
}

/** A reader with a cold cache, so that every read goes to the keyring. */
function coldReader(store: SecretsStore): SecretsStore {
  return newStore({ namespace: store.namespace, dataKeyCache: false });
}

describe('tampering and swapping', () => {
  it('a ciphertext and its data key copied to another key fail with DecryptionError', async () => {
    const secrets = newStore();
    await secrets.put('admin', { token: 'admin-secret' });
    await secrets.put('guest', { token: 'guest-secret' });
    const admin = await stored(secrets, 'admin');
    await write({ ...admin, sk: { S: 'guest' } });
    await expect(coldReader(secrets).get('guest')).rejects.toThrow(DecryptionError);
    await expect(secrets.get('guest')).rejects.toThrow(DecryptionError); // warm cache too
  });

  it('an item copied to another namespace fails with DecryptionError', async () => {
    const secrets = newStore();
    const victim = newStore();
    await victim.put('authToken', { token: 'victim-secret' });
    const item = await stored(victim, 'authToken');
    await write({ ...item, pk: { S: secrets.namespace } });
    await expect(secrets.get('authToken')).rejects.toThrow(DecryptionError);
    await expect(secrets.patch('authToken', { token: 'x' })).rejects.toThrow(DecryptionError);
  });

  it('only the ciphertext moved, with the target keeping its own data key: DecryptionError', async () => {
    const secrets = newStore();
    await secrets.put('a', { v: 'a-secret' });
    await secrets.put('b', { v: 'b-secret' });
    const a = await stored(secrets, 'a');
    const b = await stored(secrets, 'b');
    await write({ ...b, ciphertext: a.ciphertext as AttributeValue });
    await expect(coldReader(secrets).get('b')).rejects.toThrow(/commitment/);
  });

  it('any one byte of the ciphertext changed fails with DecryptionError', async () => {
    const secrets = newStore();
    await secrets.put('k', { token: 'abc' });
    const original = await stored(secrets, 'k');
    const ciphertext = Buffer.from(original.ciphertext?.B ?? []);
    let rejected = 0;
    for (let index = 0; index < ciphertext.length; index++) {
      const changed = Buffer.from(ciphertext);
      changed[index] = (changed[index] as number) ^ 0xff;
      await write({ ...original, ciphertext: { B: changed } });
      await expect(secrets.get('k')).rejects.toThrow(DecryptionError);
      rejected++;
    }
    expect(rejected).toBe(ciphertext.length);
    await write(original);
    expect(await secrets.get('k')).toEqual({ token: 'abc' });
  });

  it('any one byte of the wrapped data key changed fails with DecryptionError', async () => {
    const secrets = newStore();
    await secrets.put('k', { token: 'abc' });
    const original = await stored(secrets, 'k');
    const wrapped = Buffer.from(original.dataKey?.B ?? []);
    for (let index = 0; index < wrapped.length; index++) {
      const changed = Buffer.from(wrapped);
      changed[index] = (changed[index] as number) ^ 0x01;
      await write({ ...original, dataKey: { B: changed } });
      await expect(secrets.get('k')).rejects.toThrow(DecryptionError);
    }
  });

  it('a data key of another keyring fails with DecryptionError', async () => {
    const secrets = newStore();
    await secrets.put('k', { token: 'abc' });
    const stranger = newStore({
      namespace: secrets.namespace,
      keyring: new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
    });
    await expect(stranger.get('k')).rejects.toThrow(DecryptionError);
  });
});
