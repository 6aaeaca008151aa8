/**
 * Envelope crypto per operation (seal + open, data key included), side by side:
 * - this project: LocalKeyring data key + envelope v1 (HKDF, key commitment, AES-256-GCM);
 * - the floor: a fresh random data key wrapped with AES-256-GCM under a local key, and the
 *   value sealed with AES-256-GCM under it (no HKDF, no commitment);
 * - the AWS Encryption SDK for JavaScript with a raw AES keyring: its default suite (committing,
 *   ECDSA P-384 signatures) and its committing suite without signatures.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { LocalKeyring } from '@secrets-store/core';
import { Bench } from 'tinybench';
import { openEnvelope, sealEnvelope } from '../packages/core/src/envelope.ts';
import { median, type Row } from './support.ts';

const SIZES = [
  ['1 KB', 1024],
  ['64 KB', 64 * 1024],
  ['350 KB', 350 * 1024],
] as const;
const ROUNDS = 3;

const identity = { namespace: 'bench:1', key: 'authToken' };
const context = { namespace: identity.namespace, secret: identity.key };

function gcm(key: Uint8Array, plaintext: Uint8Array, aad: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function ungcm(key: Uint8Array, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12), {
    authTagLength: 16,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([
    decipher.update(sealed.subarray(12, sealed.length - 16)),
    decipher.final(),
  ]);
}

export async function envelopeBenchmark(): Promise<Row[]> {
  const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
  const floorMasterKey = randomBytes(32);
  const aad = Buffer.from(JSON.stringify(['bench', identity.namespace, identity.key]));
  const sdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const sdkKeyring = new RawAesKeyringNode({
    keyName: 'bench',
    keyNamespace: 'secrets-store-bench',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const encryptionContext = { namespace: identity.namespace, secret: identity.key };

  const contenders: Record<string, (plaintext: Buffer) => Promise<void>> = {
    'envelope v1 (this project)': async (plaintext) => {
      const dataKey = await keyring.generateDataKey(context);
      const sealed = sealEnvelope(dataKey.plaintext, plaintext, identity);
      dataKey.plaintext.fill(0);
      const unwrapped = await keyring.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      openEnvelope(unwrapped, sealed, identity);
      unwrapped.fill(0);
    },
    'floor (GCM + wrapped random key)': async (plaintext) => {
      const dataKey = randomBytes(32);
      const wrapped = gcm(floorMasterKey, dataKey, aad);
      const sealed = gcm(dataKey, plaintext, aad);
      const unwrapped = ungcm(floorMasterKey, wrapped, aad);
      ungcm(unwrapped, sealed, aad);
    },
    'Encryption SDK, default suite (signing)': async (plaintext) => {
      const { result } = await sdk.encrypt(sdkKeyring, plaintext, { encryptionContext });
      await sdk.decrypt(sdkKeyring, result);
    },
    'Encryption SDK, committing, no signature': async (plaintext) => {
      const { result } = await sdk.encrypt(sdkKeyring, plaintext, {
        encryptionContext,
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      });
      await sdk.decrypt(sdkKeyring, result);
    },
  };

  const rows: Row[] = [];
  for (const [label, size] of SIZES) {
    const plaintext = randomBytes(size);
    const samples = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ time: size > 100_000 ? 400 : 250, warmupTime: 50 });
      for (const [name, run] of Object.entries(contenders)) bench.add(name, () => run(plaintext));
      await bench.run();
      for (const task of bench.tasks) {
        const p50 = task.result && 'latency' in task.result ? task.result.latency.p50 : Number.NaN;
        samples.set(task.name, [...(samples.get(task.name) ?? []), p50 * 1000]);
      }
    }
    const microseconds = (name: string) => median(samples.get(name) ?? []);
    const ours = microseconds('envelope v1 (this project)');
    const floor = microseconds('floor (GCM + wrapped random key)');
    for (const name of Object.keys(contenders)) {
      rows.push({
        size: label,
        implementation: name,
        'us/op (seal+open)': microseconds(name),
        'x floor': microseconds(name) / floor,
        'x this project': microseconds(name) / ours,
      });
    }
  }
  return rows;
}
