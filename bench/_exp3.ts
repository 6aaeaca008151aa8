import { KmsKeyring, SecretsStore } from '@secrets-store/core';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN } from '../test/support/kmsServer.ts';
import { startServers, TABLE } from './servers.ts';
const servers = await startServers();
const policies = JSON.parse(process.env.POLICIES ?? '[]');
let ns = 0;
const storeFor = (namespace: string) => new SecretsStore({ tableName: TABLE, namespace, keyring: new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: servers.kms.client() }), dynamoDBClient: localDynamoDBClient(servers.proxy.endpoint), patchRetry: { maxAttempts: 200 } });
async function serial(N: number) {
  const namespace = `exp-${++ns}`; const s0 = storeFor(namespace); await s0.put('log', { ids: [] });
  const t = performance.now();
  for (let i = 0; i < N; i++) await s0.patch<{ ids: string[] }>('log', (v) => ({ ids: [...v.ids, `s${i}`] }));
  return performance.now() - t;
}
async function separate(N: number) {
  const namespace = `exp-${++ns}`;
  const stores = Array.from({ length: N }, () => storeFor(namespace)); await storeFor(namespace).put('log', { ids: [] });
  let runs = 0;
  const t = performance.now();
  await Promise.all(stores.map((s, i) => s.patch<{ ids: string[] }>('log', (v) => { runs++; return { ids: [...v.ids, `w${i}`] }; })));
  const ms = performance.now() - t;
  const { ids } = await storeFor(namespace).get<{ ids: string[] }>('log');
  if (ids.length !== N || new Set(ids).size !== N) throw new Error('not exact');
  return { ms, runs };
}
for (const N of [100, 200]) {
  for (let round = 0; round < 2; round++) {
    const line: string[] = [];
    for (const p of policies) {
      (globalThis as any).EXP = p;
      const s = await serial(N); const r = await separate(N);
      line.push(`${JSON.stringify(p)} ${(r.ms / s).toFixed(2)}x (${r.runs / N})`);
    }
    console.log(N, line.join(' | '));
  }
}
await servers.stop();
