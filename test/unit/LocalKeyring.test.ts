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
