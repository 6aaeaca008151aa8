/**
 * What observing costs a warm `get` (no value cache, data key cached), side by side with a raw
 * GetItem of the same item, alternating call by call: with no subscriber on
 * `secrets-store:operation` (goal: within 1.10x of the raw call), and with a subscriber that
 * counts the requests of every message (goal: within 1.15x). On dynalite, and on the in-process
 * MemoryTable, where no network or server noise hides the store's own cost.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  LocalKeyring,
  OPERATION_CHANNEL,
  type OperationMessage,
  SecretsStore,
} from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import { type Row, sideBySide } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const NAMESPACE = 'observability';
const ROUNDS = 5;

async function measure(where: string, client: DynamoDBClient, perRound: number): Promise<Row[]> {
  const store = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    client,
    keyring: new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
  });
  await store.put('k', { token: 'x'.repeat(200), siteId: 123, scopes: ['read', 'write'] });
  await store.get('k'); // the data key is cached from here on
  const rawGet = () =>
    client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: NAMESPACE }, sk: { S: 'k' } },
        ConsistentRead: true,
      }),
    );
  const row = (
    subscriber: string,
    goal: number,
    { oursUs, rawUs }: { oursUs: number; rawUs: number },
  ): Row => ({
    where,
    subscriber,
    'get us/op': oursUs,
    'raw GetItem us/op': rawUs,
    'get / raw': oursUs / rawUs,
    goal: `<= ${goal.toFixed(2)}`,
    meets: oursUs / rawUs <= goal,
  });
  const rows = [row('none', 1.1, await sideBySide(() => store.get('k'), rawGet, perRound, ROUNDS))];
  let requests = 0;
  const counting = (message: unknown) => {
    requests += (message as OperationMessage).dynamodb.requests;
  };
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, counting);
  try {
    rows.push(
      row('counting', 1.15, await sideBySide(() => store.get('k'), rawGet, perRound, ROUNDS)),
    );
  } finally {
    diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, counting);
  }
  // Every get of the warm-up and the rounds was counted: the subscriber saw each message.
  if (requests !== (ROUNDS + 1) * perRound) {
    throw new Error(
      `the counting subscriber saw ${requests} requests, not ${(ROUNDS + 1) * perRound}`,
    );
  }
  return rows;
}

export async function observabilityBenchmark(servers: Servers): Promise<Row[]> {
  const dynalite = localDynamoDBClient(servers.dynalite.endpoint);
  const memory = new MemoryTable().client();
  try {
    return [
      ...(await measure('dynalite', dynalite, 500)),
      ...(await measure('MemoryTable', memory, 2000)),
    ];
  } finally {
    dynalite.destroy();
    memory.destroy();
  }
}
