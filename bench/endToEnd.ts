/**
 * Operations per second on dynalite, sequentially, of the store beside the raw SDK making the
 * same DynamoDB call on the same item: the store's overhead (validation, envelope, cache) over
 * the network call it cannot avoid.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, SecretsStore } from '@secrets-store/core';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { type Row, sideBySide } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const OPERATIONS_PER_ROUND = 300;
const ROUNDS = 5;

export async function endToEndBenchmark(servers: Servers): Promise<Row[]> {
  const client = localDynamoDBClient(servers.dynalite.endpoint);
  // The local keyring: KMS's latency is AWS's, not the library's; put pays one keyring call.
  const store = new SecretsStore({
    tableName: TABLE,
    namespace: 'e2e',
    keyring: new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
    client: client,
  });
  const value = { token: 'x'.repeat(200), siteId: 123, scopes: ['read', 'write'] };
  await store.put('k', value);
  await store.get('k'); // warm cache
  const key = { pk: { S: 'e2e' }, sk: { S: 'k' } };
  const rawItem = { ...key, value: { S: JSON.stringify(value) }, version: { N: '1' } };
  await client.send(
    new PutItemCommand({ TableName: TABLE, Item: { ...rawItem, sk: { S: 'raw' } } }),
  );
  let version = 1;

  const pairs: [string, () => Promise<unknown>, string, () => Promise<unknown>][] = [
    [
      'get (warm cache)',
      () => store.get('k'),
      'GetItem',
      () => client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true })),
    ],
    [
      'exists',
      () => store.exists('k'),
      'GetItem (projection pk)',
      () =>
        client.send(
          new GetItemCommand({
            TableName: TABLE,
            Key: key,
            ConsistentRead: true,
            ProjectionExpression: 'pk',
          }),
        ),
    ],
    [
      'put',
      () => store.put('k', value),
      'PutItem',
      () =>
        client.send(
          new PutItemCommand({ TableName: TABLE, Item: { ...rawItem, sk: { S: 'raw' } } }),
        ),
    ],
    [
      'patch (warm cache)',
      () => store.patch('k', { siteId: 124 }),
      'GetItem + conditional PutItem',
      async () => {
        await client.send(
          new GetItemCommand({
            TableName: TABLE,
            Key: { ...key, sk: { S: 'raw' } },
            ConsistentRead: true,
          }),
        );
        await client.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: { ...rawItem, sk: { S: 'raw' }, version: { N: String(version + 1) } },
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': { N: String(version) } },
          }),
        );
        version++;
      },
    ],
  ];

  const rows: Row[] = [];
  for (const [name, ours, rawName, raw] of pairs) {
    // ROUNDS is odd: the median of the rates is the rate of the median time.
    const { oursUs, rawUs } = await sideBySide(ours, raw, OPERATIONS_PER_ROUND, ROUNDS);
    const oursOps = 1e6 / oursUs;
    const rawOps = 1e6 / rawUs;
    rows.push({
      operation: name,
      'store ops/s': oursOps,
      'raw SDK call': rawName,
      'raw ops/s': rawOps,
      'overhead (x raw time)': rawOps / oursOps,
    });
  }
  client.destroy();
  return rows;
}
