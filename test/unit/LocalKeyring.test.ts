import { ConfigurationError, DecryptionError, LocalKeyring } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';

const context = { namespace: 'app:1', secret: 'authToken' };

describe('LocalKeyring', () => {
  it('wraps a fresh 32-byte data key and unwraps it under the same context', async () => {
    const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const generated = await keyring.generateDataKey(context);
    expect(generated.plaintext).toHaveLength(32);
    expect(generated.wrapped).toHaveLength(keyring.maxWrappedKeyBytes);
    expect(generated.keyId).toMatch(/^local:[0-9a-f]{16}$/);
    const unwrapped = await keyring.decryptDataKey(generated.wrapped, generated.keyId, context);
    expect(unwrapped.equals(generated.plaintext)).toBe(true);
  });

  it('fails with DecryptionError under another encryption context, as KMS does', async () => {
    const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const { wrapped, keyId } = await keyring.generateDataKey(context);
    await expect(
      keyring.decryptDataKey(wrapped, keyId, { ...context, secret: 'other' }),
    ).rejects.toThrow(DecryptionError);
    await expect(
      keyring.decryptDataKey(wrapped, keyId, { ...context, namespace: 'app:2' }),
    ).rejects.toThrow(DecryptionError);
  });

  it('fails with DecryptionError for another master key, a flipped bit or a wrong length', async () => {
    const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const other = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const { wrapped, keyId } = await keyring.generateDataKey(context);
    await expect(other.decryptDataKey(wrapped, keyId, context)).rejects.toThrow(
      /wrapped by local:/,
    );
    const flipped = Buffer.from(wrapped);
    flipped[20] = (flipped[20] as number) ^ 1;
    await expect(keyring.decryptDataKey(flipped, keyId, context)).rejects.toThrow(
      /failed authentication/,
    );
    await expect(keyring.decryptDataKey(wrapped.subarray(1), keyId, context)).rejects.toThrow(
      /malformed/,
    );
  });

  it('copies the master key: zero-filling the caller buffer afterwards is safe', async () => {
    const masterKey = LocalKeyring.generateMasterKey();
    const keyring = new LocalKeyring({ masterKey });
    const { wrapped, keyId, plaintext } = await keyring.generateDataKey(context);
    masterKey.fill(0);
    expect((await keyring.decryptDataKey(wrapped, keyId, context)).equals(plaintext)).toBe(true);
  });

  it('refuses a master key that is not 32 bytes, without echoing it', () => {
    expect(() => new LocalKeyring({ masterKey: Buffer.alloc(16, 7) })).toThrow(ConfigurationError);
    expect(() => new LocalKeyring({ masterKey: 'abc' as never })).toThrow(/received string/);
  });
});

describe('LocalKeyring with previous master keys', () => {
  const oldKey = LocalKeyring.generateMasterKey();
  const newKey = LocalKeyring.generateMasterKey();
  const before = new LocalKeyring({ masterKey: oldKey });
  const rotated = new LocalKeyring({ masterKey: newKey, previousMasterKeys: [oldKey] });

  it('writes with the current key, still decrypts what the previous key wrapped', async () => {
    const old = await before.generateDataKey(context);
    expect(
      (await rotated.decryptDataKey(old.wrapped, old.keyId, context)).equals(old.plaintext),
    ).toBe(true);
    const fresh = await rotated.generateDataKey(context);
    expect(fresh.keyId).toBe(rotated.keyId);
    expect(fresh.keyId).toBe(LocalKeyring.keyIdOf(newKey));
    await expect(before.decryptDataKey(fresh.wrapped, fresh.keyId, context)).rejects.toThrow(
      DecryptionError,
    );
  });

  it('a data key wrapped by a key in neither list is a DecryptionError naming both', async () => {
    const stranger = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const { wrapped, keyId } = await stranger.generateDataKey(context);
    const error = await rotated.decryptDataKey(wrapped, keyId, context).catch((caught) => caught);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toContain(
      `wrapped by ${keyId}, this keyring is ${rotated.keyId}`,
    );
    expect((error as Error).message).toContain(`previous: ${before.keyId}`);
  });

  it('a wrapped key that names a previous key but was wrapped by another fails authentication', async () => {
    const stranger = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const { wrapped } = await stranger.generateDataKey(context);
    await expect(rotated.decryptDataKey(wrapped, before.keyId, context)).rejects.toThrow(
      /failed authentication/,
    );
  });

  it('isCurrent is true for the current key only', () => {
    expect(rotated.isCurrent(rotated.keyId)).toBe(true);
    expect(rotated.isCurrent(before.keyId)).toBe(false);
    expect(rotated.previousKeyIds).toEqual([before.keyId]);
  });

  it('rewrapDataKey moves a data key to the current key: same data key, new wrapping', async () => {
    const old = await before.generateDataKey(context);
    const moved = await rotated.rewrapDataKey(old.wrapped, old.keyId, context);
    expect(moved.keyId).toBe(rotated.keyId);
    expect(Buffer.from(moved.wrapped).equals(Buffer.from(old.wrapped))).toBe(false);
    const current = new LocalKeyring({ masterKey: newKey }); // the old key retired
    expect(
      (await current.decryptDataKey(moved.wrapped, moved.keyId, context)).equals(old.plaintext),
    ).toBe(true);
  });

  it('rewrapDataKey keeps the encryption context: the moved key fails under another one', async () => {
    const old = await before.generateDataKey(context);
    const moved = await rotated.rewrapDataKey(old.wrapped, old.keyId, context);
    await expect(
      rotated.decryptDataKey(moved.wrapped, moved.keyId, { ...context, secret: 'other' }),
    ).rejects.toThrow(DecryptionError);
    await expect(
      rotated.rewrapDataKey(old.wrapped, old.keyId, { ...context, namespace: 'app:2' }),
    ).rejects.toThrow(DecryptionError);
  });

  it('rewrapDataKey of a key wrapped by neither key is a DecryptionError', async () => {
    const stranger = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
    const { wrapped, keyId } = await stranger.generateDataKey(context);
    await expect(rotated.rewrapDataKey(wrapped, keyId, context)).rejects.toThrow(DecryptionError);
  });

  it('refuses previous master keys that are not an array of 32-byte keys, without echoing them', () => {
    expect(
      () => new LocalKeyring({ masterKey: newKey, previousMasterKeys: [Buffer.alloc(31, 7)] }),
    ).toThrow(/32-byte previousMasterKeys\[0\], received 31 bytes/);
    expect(
      () => new LocalKeyring({ masterKey: newKey, previousMasterKeys: 'abc' as never }),
    ).toThrow(ConfigurationError);
  });
});
