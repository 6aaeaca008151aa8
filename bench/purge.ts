/**
 * The uninstall's purge (`purgeWrittenBefore`: each delete conditioned on the item still being
 * older than the cutoff, so that a write racing the sweep is spared) against a purge by
 * `BatchWriteItem` (no condition) of the same 2,600 items, on the same server. The design's
 * bound: the uninstall's purge within 1.5x of the batch purge.
 *
 * - The MemoryTable server (@secrets-store/core/testing behind loopback HTTP) has
 *   TransactWriteItems: the uninstall deletes 100 keys a call, as on DynamoDB.
 * - dynalite has no TransactWriteItems: the uninstall falls back to one conditional DeleteItem a
 *   key; the row shows what that costs on a server whose time goes into each request.
 * - moto is not measured: it copies its whole table for every TransactWriteItems (for rollback),
 *   seconds a call on a table of thousands of items; no reference for speed.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { purgeNamespace } from '@secrets-store/core';
import { purgeWrittenBefore } from '@secrets-store/core/internal';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { startMemoryTableServer } from '../test/support/memoryTableServer.ts';
import { countRequests, type startServers, TABLE } from './servers.ts';
import { median, type Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;

const ITEMS = 2600;
const ROUNDS = 3;
/** Old enough for any cutoff: every item is the uninstall's to delete. */
const WRITTEN_AT = Date.UTC(2026, 0, 1);

async function fill(client: DynamoDBClient, namespace: string): Promise<void> {
  const requests = Array.from({ length: ITEMS }, (_, index) => ({
    PutRequest: {
      Item: {
        pk: { S: namespace },
        sk: { S: `secret-${String(index).padStart(5, '0')}` },
        updatedAt: { N: String(WRITTEN_AT) },
        writeId: { S: `w-${index}` },
        ciphertext: { B: Buffer.alloc(200, 1) },
      },
    },
  }));
  for (let start = 0; start < requests.length; start += 25) {
    await client.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests.slice(start, start + 25) } }),
    );
  }
}

async function measure(server: string, endpoint: string): Promise<Row> {
  const client = localDynamoDBClient(endpoint);
  const requests = countRequests(client);
  const batch: number[] = [];
  const conditional: number[] = [];
  let batchCalls = 0;
  let conditionalCalls = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const namespace = `purge-bench-${round}`;
    await fill(client, namespace);
    requests.reset();
    let start = performance.now();
    await purgeNamespace({ client, tableName: TABLE, namespace });
    batch.push(performance.now() - start);
    batchCalls = requests.of('BatchWriteItemCommand');

    await fill(client, namespace);
    requests.reset();
    start = performance.now();
    const result = await purgeWrittenBefore({
      client,
      tableName: TABLE,
      namespace,
      writtenBefore: WRITTEN_AT + 1,
    });
    conditional.push(performance.now() - start);
    if (result.deleted !== ITEMS)
      throw new Error(`the uninstall's purge deleted ${result.deleted}`);
    conditionalCalls = requests.of('TransactWriteItemsCommand') + requests.of('DeleteItemCommand');
  }
  client.destroy();
  const batchMs = median(batch);
  const conditionalMs = median(conditional);
  return {
    server,
    items: ITEMS,
    'BatchWriteItem purge ms': batchMs,
    'calls ': batchCalls,
    "uninstall's conditional purge ms": conditionalMs,
    calls: conditionalCalls,
    ratio: conditionalMs / batchMs,
    'within 1.5x': conditionalMs <= 1.5 * batchMs,
  };
}

export async function purgeBenchmark(servers: Servers): Promise<Row[]> {
  const memory = await startMemoryTableServer();
  try {
    return [
      await measure('MemoryTable (TransactWriteItems, 100 a call)', memory.endpoint),
      await measure('dynalite (no transactions: DeleteItem a key)', servers.dynalite.endpoint),
    ];
  } finally {
    await memory.stop();
  }
}
