/**
 * AWS calls per operation, counted by middleware on the real DynamoDB and KMS clients (over
 * HTTP to dynalite behind the ALL_OLD proxy, and to the KMS stand-in), cold and warm data-key
 * cache, against the design's table.
 */
import { KmsKeyring, SecretsStore } from '@secrets-store/core';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN } from '../test/support/kmsServer.ts';
import { countRequests, type startServers, TABLE } from './servers.ts';
import type { Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;

/** The design's round trips: [DynamoDB, KMS]. */
const EXPECTED: Record<string, [number, number]> = {
  'get (cold)': [1, 1],
  'get (warm)': [1, 0],
  exists: [1, 0],
  put: [1, 1],
  'patch (cold)': [2, 1],
  'patch (warm)': [2, 0],
  delete: [1, 0],
  'delete fields (warm)': [2, 0],
  'get (value cache hit)': [0, 0],
  'getMany of 250 (warm)': [3, 0],
};

export async function roundTripBenchmark(
  servers: Servers,
): Promise<{ operations: Row[]; conflict: Row[] }> {
  const dynamodb = localDynamoDBClient(servers.proxy.endpoint);
  const kmsClient = servers.kms.client();
  const dynamoCalls = countRequests(dynamodb);
  const kmsCalls = countRequests(kmsClient);
  const keyring = new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: kmsClient });
  let namespaceCounter = 0;
  const newStore = () =>
    new SecretsStore({
      tableName: TABLE,
      namespace: `rt-${++namespaceCounter}`,
      keyring,
      client: dynamodb,
    });

  const measure = async (
    prepare: (store: SecretsStore) => Promise<SecretsStore>,
    action: (store: SecretsStore) => Promise<unknown>,
  ) => {
    const writer = newStore();
    await writer.put('k', { token: 'abc', siteId: 123 });
    const store = await prepare(writer);
    dynamoCalls.reset();
    kmsCalls.reset();
    await action(store);
    return [dynamoCalls.total(), kmsCalls.total()] as const;
  };
  const warm = async (store: SecretsStore) => store;
  // Same namespace and clients, but a cache of its own: what a new Lambda container has.
  const cold = async (store: SecretsStore) =>
    new SecretsStore({
      tableName: TABLE,
      namespace: store.namespace,
      keyring,
      client: dynamodb,
    });

  const operations: [string, typeof warm, (store: SecretsStore) => Promise<unknown>][] = [
    ['get (cold)', cold, (store) => store.get('k')],
    ['get (warm)', warm, (store) => store.get('k')],
    ['exists', warm, (store) => store.exists('k')],
    ['put', warm, (store) => store.put('k', { token: 'new' })],
    ['patch (cold)', cold, (store) => store.patch('k', { token: 'new' })],
    ['patch (warm)', warm, (store) => store.patch('k', { token: 'new' })],
    ['delete', warm, (store) => store.delete('k')],
    ['delete fields (warm)', warm, (store) => store.delete('k', ['siteId'])],
  ];
  const rows: Row[] = [];
  for (const [name, prepare, action] of operations) {
    const [dynamo, kms] = await measure(prepare, action);
    const [expectedDynamo, expectedKms] = EXPECTED[name] ?? [Number.NaN, Number.NaN];
    rows.push({
      operation: name,
      DynamoDB: dynamo,
      KMS: kms,
      design: `${expectedDynamo} + ${expectedKms}`,
      matches: dynamo === expectedDynamo && kms === expectedKms,
    });
  }

  // Reads at scale: a get the value cache answers; getMany = ceil(n / 100) BatchGetItem.
  const reads: [string, () => Promise<readonly [number, number]>][] = [
    [
      'get (value cache hit)',
      async () => {
        const store = new SecretsStore({
          tableName: TABLE,
          namespace: `rt-${++namespaceCounter}`,
          keyring,
          client: dynamodb,
          valueCache: {},
        });
        await store.put('k', { token: 'abc' });
        await store.get('k');
        dynamoCalls.reset();
        kmsCalls.reset();
        await store.get('k');
        return [dynamoCalls.total(), kmsCalls.total()];
      },
    ],
    [
      'getMany of 250 (warm)',
      async () => {
        const store = newStore();
        const keys = Array.from({ length: 250 }, (_, index) => `k${index}`);
        for (const key of keys) await store.put(key, { token: key });
        dynamoCalls.reset();
        kmsCalls.reset();
        await store.getMany(keys);
        return [dynamoCalls.total(), kmsCalls.total()];
      },
    ],
  ];
  for (const [name, run] of reads) {
    const [dynamo, kms] = await run();
    const [expectedDynamo, expectedKms] = EXPECTED[name] ?? [Number.NaN, Number.NaN];
    rows.push({
      operation: name,
      DynamoDB: dynamo,
      KMS: kms,
      design: `${expectedDynamo} + ${expectedKms}`,
      matches: dynamo === expectedDynamo && kms === expectedKms,
    });
  }

  // Two patchers in two stores (two Lambdas: one store would group-commit them) race on one
  // secret, with and without ALL_OLD in the failed condition.
  const conflict: Row[] = [];
  for (const [server, endpoint] of [
    ['DynamoDB behaviour (ALL_OLD returned)', servers.proxy.endpoint],
    ['dynalite as is (no ALL_OLD)', servers.dynalite.endpoint],
  ] as const) {
    const namespace = `conflict-${++namespaceCounter}`;
    const clients = [localDynamoDBClient(endpoint), localDynamoDBClient(endpoint)];
    const counters = clients.map((client) => countRequests(client));
    const stores = clients.map(
      (client) => new SecretsStore({ tableName: TABLE, namespace, keyring, client: client }),
    );
    await stores[0]?.put('counter', { n: 0 });
    for (const store of stores) await store.get('counter');
    const count = (command: string) =>
      counters.reduce((sum, counter) => sum + counter.of(command), 0);
    for (let round = 0; round < 20; round++) {
      for (const counter of counters) counter.reset();
      let runs = 0;
      await Promise.all(
        stores.map((store) =>
          store.patch<{ n: number }>('counter', (value) => {
            runs++;
            return { n: value.n + 1 };
          }),
        ),
      );
      conflict.push({
        server,
        round,
        updaterRuns: runs,
        GetItem: count('GetItemCommand'),
        UpdateItem: count('UpdateItemCommand'),
      });
    }
    for (const client of clients) client.destroy();
  }
  dynamodb.destroy();
  return { operations: rows, conflict: summarizeConflicts(conflict) };
}

/** Per server: conflicts seen and the reads beyond the one each patch starts with. */
function summarizeConflicts(rounds: Row[]): Row[] {
  const servers = [...new Set(rounds.map((row) => String(row.server)))];
  return servers.map((server) => {
    const mine = rounds.filter((row) => row.server === server);
    const conflicts = mine.reduce((sum, row) => sum + (Number(row.updaterRuns) - 2), 0);
    const extraReads = mine.reduce((sum, row) => sum + (Number(row.GetItem) - 2), 0);
    const writes = mine.reduce((sum, row) => sum + Number(row.UpdateItem), 0);
    return {
      server,
      patches: mine.length * 2,
      'conflicts (retries)': conflicts,
      UpdateItem: writes,
      'extra GetItem': extraReads,
      'extra reads per retry': conflicts === 0 ? 0 : extraReads / conflicts,
    };
  });
}
