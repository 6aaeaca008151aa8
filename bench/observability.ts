/**
 * What observing costs a warm `get` (no value cache, data key cached), side by side with a raw
 * GetItem of the same item, alternating call by call: with no subscriber on
 * `secrets-store:operation` (goal: within 1.10x of the raw call), and with a subscriber that
 * counts the requests of every message (goal: within 1.15x). On dynalite, and on the in-process
 * MemoryTable, where no network or server noise hides the store's own cost. Wall time and CPU
 * time side by side: the goals are judged on wall time; CPU time shows the store's own work when
 * other work keeps the machine busy.
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
import { median, type Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const NAMESPACE = 'observability';
const ROUNDS = 5;

interface Timing {
  readonly oursUs: number;
  readonly rawUs: number;
  readonly oursCpuUs: number;
  readonly rawCpuUs: number;
}

/**
 * bench/support.ts's `sideBySide` (alternating call by call, a warm-up round, the median of
 * `rounds` rounds), with the process's CPU time of each side beside its wall time: on a machine
 * that other work keeps busy, wall time counts the waits for a core, CPU time does not. dynalite
 * and the MemoryTable run in this process, so the server's work is in both sides' CPU time alike.
 */
async function sideBySideWithCpu(
  ours: () => Promise<unknown>,
  raw: () => Promise<unknown>,
  perRound: number,
  rounds: number,
): Promise<Timing> {
  const round = async (): Promise<Timing> => {
    const wall = { ours: 0, raw: 0 };
    const cpu = { ours: 0, raw: 0 };
    for (let index = 0; index < perRound; index++) {
      const order = index % 2 === 0 ? [ours, raw] : [raw, ours];
      for (const operation of order) {
        const side = operation === ours ? 'ours' : 'raw';
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await operation();
        wall[side] += performance.now() - started;
        const used = process.cpuUsage(cpuBefore);
        cpu[side] += (used.user + used.system) / 1000;
      }
    }
    const perCall = (ms: number) => (ms * 1000) / perRound;
    return {
      oursUs: perCall(wall.ours),
      rawUs: perCall(wall.raw),
      oursCpuUs: perCall(cpu.ours),
      rawCpuUs: perCall(cpu.raw),
    };
  };
  await round(); // warm-up
  const measured: Timing[] = [];
  for (let index = 0; index < rounds; index++) measured.push(await round());
  const middle = (pick: (timing: Timing) => number) => median(measured.map(pick));
  return {
    oursUs: middle((timing) => timing.oursUs),
    rawUs: middle((timing) => timing.rawUs),
    oursCpuUs: middle((timing) => timing.oursCpuUs),
    rawCpuUs: middle((timing) => timing.rawCpuUs),
  };
}

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
  const row = (subscriber: string, goal: number, timing: Timing): Row => ({
    where,
    subscriber,
    'get us/op': timing.oursUs,
    'raw GetItem us/op': timing.rawUs,
    'get / raw': timing.oursUs / timing.rawUs,
    'get CPU us/op': timing.oursCpuUs,
    'raw CPU us/op': timing.rawCpuUs,
    'CPU get / raw': timing.oursCpuUs / timing.rawCpuUs,
    goal: `<= ${goal.toFixed(2)}`,
    meets: timing.oursUs / timing.rawUs <= goal,
  });
  const rows = [
    row('none', 1.1, await sideBySideWithCpu(() => store.get('k'), rawGet, perRound, ROUNDS)),
  ];
  let requests = 0;
  const counting = (message: unknown) => {
    requests += (message as OperationMessage).dynamodb.requests;
  };
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, counting);
  try {
    rows.push(
      row(
        'counting',
        1.15,
        await sideBySideWithCpu(() => store.get('k'), rawGet, perRound, ROUNDS),
      ),
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
