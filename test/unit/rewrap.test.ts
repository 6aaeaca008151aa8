/**
 * store.rewrap(): every secret of a namespace moves to the keyring's current key, conditioned
 * on the writeId it read, so concurrent writes are never lost; a rerun finishes what a crash
 * left. On the MemoryTable, with local keyrings (master keys A then B) and with the KMS
 * aws-sdk-client-mock stand-in, whose ReEncrypt checks key ids and the encryption context.
 */
import { DecryptCommand, ReEncryptCommand } from '@aws-sdk/client-kms';
import {
  DecryptionError,
  KmsKeyring,
  LocalKeyring,
  type SecretsStore,
  type SecretsStoreOptions,
} from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { KEY_ARN, PREVIOUS_KEY_ARN } from '../support/fakeKms.ts';
import { kms, NAMESPACE, rival, subject, table, useStoreHarness } from '../support/storeHarness.ts';

const masterA = LocalKeyring.generateMasterKey();
const masterB = LocalKeyring.generateMasterKey();
const keyIdA = LocalKeyring.keyIdOf(masterA);
const keyIdB = LocalKeyring.keyIdOf(masterB);
const onlyA = () => new LocalKeyring({ masterKey: masterA });
const bAfterA = () => new LocalKeyring({ masterKey: masterB, previousMasterKeys: [masterA] });
const onlyB = () => new LocalKeyring({ masterKey: masterB });

useStoreHarness();

function store(keyring: SecretsStoreOptions['keyring'], namespace = NAMESPACE): SecretsStore {
  return subject({ keyring, namespace });
}

async function keyIdsOf(keys: string[], namespace = NAMESPACE): Promise<(string | undefined)[]> {
  return Promise.all(keys.map(async (key) => (await table.item(namespace, key))?.keyId?.S));
}

const KEYS = ['a', 'b', 'c', 'd', 'e'];

describe('rewrap with local keyrings', () => {
  it('moves every secret to the current key; the values are unchanged and the old key is no longer needed', async () => {
    const before = store(onlyA());
    for (const key of KEYS) await before.put(key, { token: `token-${key}` });
    const progress: number[] = [];
    const summary = await store(bAfterA()).rewrap({
      onProgress: ({ moved, alreadyCurrent }) => progress.push(moved + alreadyCurrent),
    });
    expect(summary).toEqual({ moved: 5, alreadyCurrent: 0, failed: 0, failures: [] });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(await keyIdsOf(KEYS)).toEqual(KEYS.map(() => keyIdB));
    const retired = store(onlyB());
    for (const key of KEYS) expect(await retired.get(key)).toEqual({ token: `token-${key}` });
  });

  it('is idempotent: a second run moves nothing', async () => {
    for (const key of KEYS) await store(onlyA()).put(key, { v: key });
    await store(bAfterA()).rewrap();
    const before = table.memory.requests.length;
    expect(await store(bAfterA()).rewrap()).toEqual({
      moved: 0,
      alreadyCurrent: 5,
      failed: 0,
      failures: [],
    });
    // A Query and one read per secret: no write.
    const operations = table.memory.requests.slice(before).map((request) => request.operation);
    expect(operations.filter((operation) => operation === 'UpdateItem')).toEqual([]);
  });

  it('resumes after a crash halfway: the rerun moves what is left', async () => {
    for (const key of KEYS) await store(onlyA()).put(key, { v: key });
    const crash = new Error('the process died');
    await expect(
      store(bAfterA()).rewrap({
        concurrency: 1,
        onProgress: ({ moved }) => {
          if (moved === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(await keyIdsOf(KEYS)).toEqual([keyIdB, keyIdB, keyIdA, keyIdA, keyIdA]);
    // Between the two runs the store serves every secret: both keys are in the keyring.
    for (const key of KEYS) expect(await store(bAfterA()).get(key)).toEqual({ v: key });
    expect(await store(bAfterA()).rewrap()).toMatchObject({ moved: 3, alreadyCurrent: 2 });
    expect(await keyIdsOf(KEYS)).toEqual(KEYS.map(() => keyIdB));
  });

  it('a secret wrapped by a key in neither list is listed as failed, the others move', async () => {
    const stranger = LocalKeyring.generateMasterKey();
    for (const key of ['a', 'b']) await store(onlyA()).put(key, { v: key });
    await store(new LocalKeyring({ masterKey: stranger })).put('x', { v: 'x' });
    const summary = await store(bAfterA()).rewrap();
    expect(summary).toMatchObject({ moved: 2, alreadyCurrent: 0, failed: 1 });
    expect(summary.failures.map(({ key }) => key)).toEqual(['x']);
    expect(summary.failures[0]?.error).toBeInstanceOf(DecryptionError);
  });

  it('never touches other namespaces; each namespace moves with its own store', async () => {
    await store(onlyA(), 'app:1').put('k', { v: 1 });
    await store(onlyA(), 'app:2').put('k', { v: 2 });
    expect(await store(bAfterA(), 'app:1').rewrap()).toMatchObject({ moved: 1 });
    expect(await keyIdsOf(['k'], 'app:1')).toEqual([keyIdB]);
    expect(await keyIdsOf(['k'], 'app:2')).toEqual([keyIdA]);
    expect(await store(bAfterA(), 'app:1').forNamespace('app:2').rewrap()).toMatchObject({
      moved: 1,
    });
    expect(await keyIdsOf(['k'], 'app:2')).toEqual([keyIdB]);
  });
});

describe('rewrap under concurrent writes: no lost update', () => {
  it('a patch that lands between the rewrap read and its write: the rewrap reads again, the patch stays', async () => {
    await store(onlyA()).put('log', { ids: ['first'] });
    // A Lambda still on the old keyring patches while the rewrap's write is held.
    const paused = table.memory.pauseNext('UpdateItem');
    const rewrapping = store(bAfterA()).rewrap();
    await paused.reached;
    const oldLambda = rival({ keyring: onlyA() });
    await oldLambda.patch<{ ids: string[] }>('log', (value) => ({ ids: [...value.ids, 'patch'] }));
    paused.release();
    expect(await rewrapping).toMatchObject({ moved: 1, failed: 0 });
    expect(await keyIdsOf(['log'])).toEqual([keyIdB]);
    expect(await store(onlyB()).get('log')).toEqual({ ids: ['first', 'patch'] });
  });

  it('patches of a store on the new keyring write under the current key (never the old data key)', async () => {
    await store(onlyA()).put('counter', { n: 0 });
    const moved = store(bAfterA());
    await moved.patch<{ n: number }>('counter', (value) => ({ n: value.n + 1 }));
    expect(await keyIdsOf(['counter'])).toEqual([keyIdB]);
    expect(await moved.rewrap()).toMatchObject({ moved: 0, alreadyCurrent: 1 });
  });

  it('20 patchers on another store while the rewrap runs: every id once, every secret on the new key', async () => {
    for (const key of KEYS) await store(onlyA()).put(key, { ids: [] });
    // Deployed first, as the README says: every Lambda knows both keys before the rewrap starts.
    const writer = rival({ keyring: bAfterA() });
    const ids = Array.from({ length: 20 }, (_, index) => `patch-${index}`);
    const [summary] = await Promise.all([
      store(bAfterA()).rewrap({ concurrency: 2 }),
      ...ids.map((id, index) =>
        writer.patch<{ ids: string[] }>(KEYS[index % KEYS.length] as string, (value) => ({
          ids: [...value.ids, id],
        })),
      ),
    ]);
    expect(summary.failed).toBe(0);
    const reader = store(bAfterA());
    const stored = (await Promise.all(KEYS.map((key) => reader.get<{ ids: string[] }>(key))))
      .flatMap((value) => value.ids)
      .sort();
    expect(stored).toEqual([...ids].sort());
    expect(await keyIdsOf(KEYS)).toEqual(KEYS.map(() => keyIdB));
  });
});

describe('rewrap with KMS', () => {
  it('uses ReEncrypt (the data key never leaves KMS): one GetItem, one ReEncrypt and one UpdateItem per secret, no Decrypt', async () => {
    {
      const previous = new KmsKeyring({ keyId: PREVIOUS_KEY_ARN, client: kms.client });
      for (const key of ['a', 'b']) await store(previous).put(key, { v: key });
      const current = new KmsKeyring({
        keyId: KEY_ARN,
        previousKeyIds: [PREVIOUS_KEY_ARN],
        client: kms.client,
      });
      kms.kms.resetHistory();
      const before = table.memory.requests.length;
      expect(await store(current).rewrap({ concurrency: 1 })).toMatchObject({ moved: 2 });
      expect(kms.kms).toHaveReceivedCommandTimes(ReEncryptCommand, 2);
      expect(kms.kms).not.toHaveReceivedCommand(DecryptCommand);
      expect(kms.kms).toHaveReceivedCommandWith(ReEncryptCommand, {
        SourceKeyId: PREVIOUS_KEY_ARN,
        DestinationKeyId: KEY_ARN,
        SourceEncryptionContext: { namespace: NAMESPACE, secret: 'a' },
        DestinationEncryptionContext: { namespace: NAMESPACE, secret: 'a' },
      });
      expect(table.memory.requests.slice(before).map((request) => request.operation)).toEqual([
        'Query',
        'GetItem',
        'UpdateItem',
        'GetItem',
        'UpdateItem',
      ]);
      expect(await keyIdsOf(['a', 'b'])).toEqual([KEY_ARN, KEY_ARN]);
      const afterMove = new KmsKeyring({ keyId: KEY_ARN, client: kms.client });
      expect(await store(afterMove).get('a')).toEqual({ v: 'a' });
    }
  });
});
