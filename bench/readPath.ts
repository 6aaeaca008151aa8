/**
 * Where a warm `get` spends its CPU beyond the GetItem it sends: each step of the read path
 * alone, in a loop, on the item a raw GetItem returns (the SDK's unmarshalling, binary
 * attributes included, is the same for the store and the raw call, so it is not counted).
 * The profile behind the read path's figures in the README.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, SecretsStore } from '@secrets-store/core';
import { DataKeyCache } from '../packages/core/src/dataKeyCache.ts';
import { openEnvelope } from '../packages/core/src/envelope.ts';
import { fromItem, getSecretInput } from '../packages/core/src/item/index.ts';
import { checkKey } from '../packages/core/src/keys.ts';
import { SecretSealer } from '../packages/core/src/secretSealer.ts';
import { decodeValue } from '../packages/core/src/values.ts';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { median, type Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const CALLS = 20_000;

/** Microseconds per call: the median of 5 loops of CALLS calls, after one loop of warm-up. */
async function perCall(step: () => unknown): Promise<number> {
  const loops: number[] = [];
  for (let loop = 0; loop < 6; loop++) {
    const started = performance.now();
    for (let index = 0; index < CALLS; index++) {
      const result = step();
      if (result instanceof Promise) await result;
    }
    if (loop > 0) loops.push(((performance.now() - started) * 1000) / CALLS);
  }
  return median(loops);
}

export async function readPathBenchmark(servers: Servers): Promise<Row[]> {
  const client = localDynamoDBClient(servers.dynalite.endpoint);
  const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
  const namespace = 'read-path';
  const store = new SecretsStore({ tableName: TABLE, namespace, keyring, client: client });
  await store.put('k', { token: 'x'.repeat(200), siteId: 123, scopes: ['read', 'write'] });
  const response = await client.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { pk: { S: namespace }, sk: { S: 'k' } },
      ConsistentRead: true,
    }),
  );
  client.destroy();
  const item = response.Item ?? {};
  const name = { namespace, key: 'k' };
  const sealer = new SecretSealer(keyring, new DataKeyCache(), 60 * 60 * 1000);
  const stored = fromItem(item, 'k');
  const opened = await sealer.open(name, stored);
  const dataKey = Buffer.from(opened.dataKey);
  opened.dataKey.fill(0);
  const plaintext = openEnvelope(dataKey, stored.ciphertext, name);

  const steps: [string, () => unknown][] = [
    ['checkKey', () => checkKey('k')],
    [
      'getSecretInput (the command input)',
      () => getSecretInput({ tableName: TABLE, ...name }, true),
    ],
    ['fromItem (decode the item)', () => fromItem(item, 'k')],
    [
      'openEnvelope (HKDF, commitment, AES-GCM)',
      () => openEnvelope(dataKey, stored.ciphertext, name).fill(0),
    ],
    ['decodeValue (JSON.parse)', () => decodeValue(plaintext)],
    [
      'sealer.open (data-key cache hit + envelope + JSON)',
      async () => (await sealer.open(name, stored)).dataKey.fill(0),
    ],
  ];
  const rows: Row[] = [];
  for (const [step, run] of steps) rows.push({ step, 'us/call': await perCall(run) });
  dataKey.fill(0);
  plaintext.fill(0);
  return rows;
}
