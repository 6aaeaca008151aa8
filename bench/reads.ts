/**
 * Reads at scale (DESIGN.md), on dynalite, each store call beside the raw SDK call that reads
 * the same items, alternating call by call (ABAB, then BABA) so that a server that slows down
 * weighs on both alike:
 * - a hot `get` served by the value cache against a raw GetItem (goal: at least 20x faster);
 * - a warm `get` without the value cache against a raw GetItem (goal: within 1.10x);
 * - `getMany` of 100 keys, warm data keys, against one raw BatchGetItem of the same 100 items
 *   (goal: within 1.5x);
 * - a cold `getMany` of 100 keys: keyring calls against distinct data keys (goal: at most one each);
 * - the warm `get` again on the in-process MemoryTable, where no network or server noise hides
 *   the store's own cost (`store - raw us`).
 */
import { BatchGetItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type EncryptionContext, LocalKeyring, SecretsStore } from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { type Row, sideBySide } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const ROUNDS = 5;
const NAMESPACE = 'reads';
const MANY = 100;

/** A LocalKeyring that counts its unwraps. */
class CountingKeyring extends LocalKeyring {
  unwraps = 0;
  override decryptDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
  ): Promise<Buffer> {
    this.unwraps++;
    return super.decryptDataKey(wrapped, keyId, context);
  }
}

export async function readsBenchmark(servers: Servers): Promise<Row[]> {
  const client = localDynamoDBClient(servers.dynalite.endpoint);
  const masterKey = LocalKeyring.generateMasterKey();
  const newStore = (valueCache: false | { maxAgeMs: number }) => {
    const keyring = new CountingKeyring({ masterKey });
    const store = new SecretsStore({
      tableName: TABLE,
      namespace: NAMESPACE,
      keyring,
      client: client,
      valueCache,
    });
    return { store, keyring };
  };
  const value = { token: 'x'.repeat(200), siteId: 123, scopes: ['read', 'write'] };
  const keys = Array.from({ length: MANY }, (_, index) => `k${String(index).padStart(3, '0')}`);
  const writer = newStore(false).store;
  for (const key of keys) await writer.put(key, value);

  const itemKey = (key: string) => ({ pk: { S: NAMESPACE }, sk: { S: key } });
  const rawGet = () =>
    client.send(
      new GetItemCommand({ TableName: TABLE, Key: itemKey('k000'), ConsistentRead: true }),
    );
  const rawBatch = () =>
    client.send(
      new BatchGetItemCommand({
        RequestItems: { [TABLE]: { Keys: keys.map(itemKey), ConsistentRead: true } },
      }),
    );

  const uncached = newStore(false).store;
  await uncached.getMany(keys); // warm data keys
  const cached = newStore({ maxAgeMs: 60 * 60 * 1000 }).store;
  await cached.get('k000');

  const rows: Row[] = [];
  const row = (
    operation: string,
    rawCall: string,
    { oursUs, rawUs }: { oursUs: number; rawUs: number },
    goal: string,
    meets: boolean,
  ) =>
    rows.push({
      operation,
      'store us/op': oursUs,
      'raw SDK call': rawCall,
      'raw us/op': rawUs,
      'store - raw us': oursUs - rawUs,
      'store / raw time': oursUs / rawUs,
      'raw / store time': rawUs / oursUs,
      goal,
      meets,
    });

  const hot = await sideBySide(() => cached.get('k000'), rawGet, 300, ROUNDS);
  row('get, value cache hit', 'GetItem', hot, '>= 20x faster', hot.rawUs / hot.oursUs >= 20);
  const warm = await sideBySide(() => uncached.get('k000'), rawGet, 300, ROUNDS);
  row(
    'get, no value cache (warm data key)',
    'GetItem',
    warm,
    'store / raw <= 1.10',
    warm.oursUs / warm.rawUs <= 1.1,
  );
  const many = await sideBySide(() => uncached.getMany(keys), rawBatch, 40, ROUNDS);
  row(
    `getMany of ${MANY} (warm data keys)`,
    `BatchGetItem of the ${MANY}`,
    many,
    'store / raw <= 1.5',
    many.oursUs / many.rawUs <= 1.5,
  );

  // The same warm get on the in-process table: the SDK and the table cost alike on both sides.
  const memory = new MemoryTable();
  const memoryClient = memory.client();
  const onMemory = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    keyring: new LocalKeyring({ masterKey }),
    client: memoryClient,
  });
  await onMemory.put('k000', value);
  await onMemory.get('k000');
  const inProcess = await sideBySide(
    () => onMemory.get('k000'),
    () => {
      memory.requests.length = 0; // the table records requests: keep its memory flat
      return memoryClient.send(
        new GetItemCommand({ TableName: TABLE, Key: itemKey('k000'), ConsistentRead: true }),
      );
    },
    1000,
    ROUNDS,
  );
  row(
    'get, no value cache, in-process MemoryTable',
    'GetItem',
    inProcess,
    'store / raw <= 1.10',
    inProcess.oursUs / inProcess.rawUs <= 1.1,
  );
  memoryClient.destroy();

  // Cold: a new container's store (empty data-key cache), the same 100 keys, twice at once.
  const cold = newStore(false);
  const response = await rawBatch();
  const distinctDataKeys = new Set(
    (response.Responses?.[TABLE] ?? []).map((item) =>
      Buffer.from(item.dataKey?.B ?? []).toString('base64'),
    ),
  ).size;
  await Promise.all([cold.store.getMany(keys), cold.store.getMany([...keys].reverse())]);
  rows.push({
    operation: `getMany of ${MANY} (cold), twice at once`,
    'store us/op': Number.NaN,
    'raw SDK call': '-',
    'raw us/op': Number.NaN,
    'store - raw us': Number.NaN,
    'store / raw time': Number.NaN,
    'raw / store time': Number.NaN,
    goal: `keyring calls <= distinct data keys (${distinctDataKeys})`,
    meets: cold.keyring.unwraps <= distinctDataKeys,
    'keyring calls': cold.keyring.unwraps,
  });
  client.destroy();
  return rows;
}
