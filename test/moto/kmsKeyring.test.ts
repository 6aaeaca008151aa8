/**
 * KmsKeyring against moto's KMS, a third party that enforces what KMS enforces: the encryption
 * context on Decrypt and ReEncrypt, aliases, ReEncrypt between keys. The store runs end to end on
 * moto's DynamoDB too.
 *
 * What moto (5.2.1) does not do like AWS, and stays with the home-made stand-in
 * (test/support/kmsServer.ts and fakeKms.ts, used by the unit, security and CLI tiers, which also
 * run where moto is absent):
 * - a disabled key: moto still decrypts with it, where KMS answers DisabledException
 *   (KeyAccessError); (and its DisableKey takes a key id, not an ARN);
 * - a Decrypt whose pinned KeyId is not the key of the ciphertext: moto answers
 *   AccessDeniedException, where KMS answers IncorrectKeyException (DecryptionError).
 * Both are pinned at the end of this file, so a moto that learns them shows up here.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { DecryptionError, KmsKeyring, SecretsStore } from '@secrets-store/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { itemsOf, rawClient, tableName, uniqueNamespace } from '../support/integration.ts';
import { kmsClient } from './support/clients.ts';

let kms: KMSClient;
let firstKeyArn: string;
let secondKeyArn: string;

async function newKey(): Promise<string> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'moto tier' }));
  return KeyMetadata?.Arn as string;
}

beforeAll(async () => {
  kms = kmsClient();
  firstKeyArn = await newKey();
  secondKeyArn = await newKey();
});

const context = (secret: string) => ({ namespace: 'app:1', secret });

describe('KmsKeyring on moto', () => {
  it('a data key decrypts under its own context, and the key id is the key ARN', async () => {
    const keyring = new KmsKeyring({ keyId: firstKeyArn, client: kms });
    const generated = await keyring.generateDataKey(context('authToken'));
    expect(generated.plaintext).toHaveLength(32);
    expect(generated.keyId).toBe(firstKeyArn);
    const decrypted = await keyring.decryptDataKey(
      generated.wrapped,
      generated.keyId,
      context('authToken'),
    );
    expect(decrypted.equals(generated.plaintext)).toBe(true);
  });

  it.each([
    ['another secret', { namespace: 'app:1', secret: 'webhook' }],
    ['another namespace', { namespace: 'app:2', secret: 'authToken' }],
  ])('a wrong context (%s) is refused: DecryptionError', async (_name, wrong) => {
    const keyring = new KmsKeyring({ keyId: firstKeyArn, client: kms });
    const generated = await keyring.generateDataKey(context('authToken'));
    const error = await keyring
      .decryptDataKey(generated.wrapped, generated.keyId, wrong)
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error.message).toMatch(/InvalidCiphertextException/);
  });

  it('an alias as keyId: writes wrap under the aliased key, whose ARN the items record', async () => {
    const alias = `alias/secrets-store-moto-${randomUUID()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: firstKeyArn }));
    const store = new SecretsStore({
      tableName,
      namespace: uniqueNamespace('alias'),
      keyring: new KmsKeyring({ keyId: alias, client: kms }),
      client: rawClient,
    });
    await store.put('authToken', { token: 'via alias' });
    expect(await store.get('authToken')).toEqual({ token: 'via alias' });
    expect((await itemsOf(store.namespace)).map((item) => item.keyId?.S)).toEqual([firstKeyArn]);
  });

  it('rewrap moves every secret to the new key with ReEncrypt (previousKeyIds), after which the old key is not needed', async () => {
    const namespace = uniqueNamespace('rewrap');
    const before = new SecretsStore({
      tableName,
      namespace,
      keyring: new KmsKeyring({ keyId: firstKeyArn, client: kms }),
      client: rawClient,
    });
    await before.put('authToken', { token: 'a' });
    await before.put('webhook', { url: 'b' });
    const moving = new SecretsStore({
      tableName,
      namespace,
      keyring: new KmsKeyring({ keyId: secondKeyArn, previousKeyIds: [firstKeyArn], client: kms }),
      client: rawClient,
    });
    const summary = await moving.rewrap();
    expect(summary).toMatchObject({ moved: 2, failures: [] });
    expect((await itemsOf(namespace)).map((item) => item.keyId?.S)).toEqual([
      secondKeyArn,
      secondKeyArn,
    ]);
    const after = new SecretsStore({
      tableName,
      namespace,
      keyring: new KmsKeyring({ keyId: secondKeyArn, client: kms }),
      client: rawClient,
      dataKeyCache: false,
    });
    expect(await after.get('authToken')).toEqual({ token: 'a' });
    expect(await after.get('webhook')).toEqual({ url: 'b' });
    // Again: nothing left to move.
    expect(await moving.rewrap()).toMatchObject({ moved: 0, failures: [] });
  });
});

describe('where moto differs from KMS (the stand-in covers these)', () => {
  it('a pinned KeyId that is not the ciphertext key: moto answers AccessDeniedException (KMS: IncorrectKeyException)', async () => {
    const keyring = new KmsKeyring({ keyId: firstKeyArn, client: kms });
    const generated = await keyring.generateDataKey(context('authToken'));
    const error = await kms
      .send(
        new DecryptCommand({
          CiphertextBlob: generated.wrapped,
          KeyId: secondKeyArn,
          EncryptionContext: context('authToken'),
        }),
      )
      .catch((caught) => caught);
    expect(error.name).toBe('AccessDeniedException');
  });

  it('a disabled key: moto still decrypts (KMS: DisabledException)', async () => {
    const keyArn = await newKey();
    const keyring = new KmsKeyring({ keyId: keyArn, client: kms });
    const generated = await keyring.generateDataKey(context('authToken'));
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/').at(-1) }));
    const decrypted = await keyring.decryptDataKey(
      generated.wrapped,
      generated.keyId,
      context('authToken'),
    );
    expect(decrypted.equals(generated.plaintext)).toBe(true);
  });
});
