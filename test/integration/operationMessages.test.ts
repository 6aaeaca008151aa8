/**
 * `secrets-store:operation` on a real DynamoDB API: one message per operation with the exact
 * requests it sent (DynamoDB and KMS: the KMS stand-in on loopback counts its own) and the
 * capacity units the server reported in `ConsumedCapacity`. dynalite computes them as DynamoDB
 * does (item size in 4 KB read units and 1 KB write units); moto answers constants; the
 * MemoryTable reports none. Each tier pins what its server charges.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  KmsKeyring,
  OPERATION_CHANNEL,
  type OperationMessage,
  SecretsStore,
} from '@secrets-store/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawClient, tableName, uniqueNamespace } from '../support/integration.ts';
import {
  type KmsServer,
  LOCAL_KMS_KEY_ARN,
  LOCAL_KMS_SECOND_KEY_ARN,
  startKmsServer,
} from '../support/kmsServer.ts';

type Backend = 'dynalite' | 'memory' | 'moto';
const backend = (process.env.SECRETS_STORE_TEST_DYNAMODB ?? 'dynalite') as Backend;

let kms: KmsServer;
let messages: OperationMessage[];
const listener = (message: unknown) => messages.push(message as OperationMessage);

beforeAll(async () => {
  kms = await startKmsServer();
});

afterAll(async () => {
  await kms?.stop();
});

beforeEach(() => {
  messages = [];
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
});

afterEach(() => {
  diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
});

/** A value of about `bytes` bytes once encrypted: the item's size decides its capacity units. */
function valueOfSize(bytes: number): { text: string } {
  return { text: 'x'.repeat(bytes) };
}

/**
 * A namespace holding `small` (a few hundred bytes in all) and `large` (about 5 KB: 2 read
 * units, 6 write units), wrapped by `seedKey`; then a store with cold caches on it, whose keyring
 * moves to the first key, and the seeding's messages and KMS requests gone.
 */
async function seeded(seedKey = LOCAL_KMS_KEY_ARN): Promise<SecretsStore> {
  const namespace = uniqueNamespace();
  const store = (keyId: string, previousKeyIds: string[] = []) =>
    new SecretsStore({
      tableName,
      namespace,
      client: rawClient,
      keyring: new KmsKeyring({ keyId, previousKeyIds, client: kms.client() }),
    });
  const seeder = store(seedKey);
  await seeder.put('small', { v: 1 });
  await seeder.put('large', valueOfSize(5000));
  messages = [];
  kms.received.length = 0;
  return store(LOCAL_KMS_KEY_ARN, [LOCAL_KMS_SECOND_KEY_ARN]);
}

async function drain(iterable: AsyncIterable<string>): Promise<void> {
  for await (const _ of iterable);
}

interface Expected {
  readonly requests: number;
  readonly kms: number;
  /** [read units, write units] the server charged, per tier. */
  readonly units: Record<Backend, readonly [number, number]>;
}

const ROWS: readonly (readonly [
  string,
  (store: SecretsStore) => Promise<unknown>,
  Expected,
  string?,
])[] = [
  [
    'get',
    (s) => s.get('small'),
    { requests: 1, kms: 1, units: { dynalite: [1, 0], memory: [0, 0], moto: [0.5, 0] } },
  ],
  [
    'get',
    (s) => s.get('large'),
    { requests: 1, kms: 1, units: { dynalite: [2, 0], memory: [0, 0], moto: [0.5, 0] } },
    'of a 5 KB item',
  ],
  [
    'get',
    (s) => s.get('none'),
    { requests: 1, kms: 0, units: { dynalite: [1, 0], memory: [0, 0], moto: [0.5, 0] } },
    'of nothing',
  ],
  [
    'getMany',
    (s) => s.getMany(['small', 'large', 'none']),
    // 1 (small) + 2 (large) + 1 (an absent key is charged the minimum).
    { requests: 1, kms: 2, units: { dynalite: [4, 0], memory: [0, 0], moto: [3, 0] } },
  ],
  [
    'exists',
    (s) => s.exists('large'),
    // A projection does not make a read cheaper: the whole item's size is charged.
    { requests: 1, kms: 0, units: { dynalite: [2, 0], memory: [0, 0], moto: [0.5, 0] } },
  ],
  [
    'keys',
    (s) => drain(s.keys()),
    // Keys only, but the Query is charged for the items it read: about 5.3 KB in 4 KB units.
    { requests: 1, kms: 0, units: { dynalite: [2, 0], memory: [0, 0], moto: [1, 0] } },
  ],
  [
    'put',
    (s) => s.put('new', { v: 1 }),
    { requests: 1, kms: 1, units: { dynalite: [0, 1], memory: [0, 0], moto: [0, 0.5] } },
  ],
  [
    'put',
    (s) => s.put('small', valueOfSize(5000)),
    { requests: 1, kms: 1, units: { dynalite: [0, 6], memory: [0, 0], moto: [0, 0.5] } },
    'of 5 KB over a small item',
  ],
  [
    'patch',
    (s) => s.patch('large', { w: 1 }),
    { requests: 2, kms: 1, units: { dynalite: [2, 6], memory: [0, 0], moto: [0.5, 0.5] } },
  ],
  [
    'delete',
    (s) => s.delete('large'),
    { requests: 1, kms: 0, units: { dynalite: [0, 6], memory: [0, 0], moto: [0, 0.5] } },
  ],
  [
    'delete',
    (s) => s.delete('none'),
    // Its condition fails; the error carries no ConsumedCapacity, so the store counts what
    // DynamoDB documents for a failed conditional write: 1 unit when there is no item.
    { requests: 1, kms: 0, units: { dynalite: [0, 1], memory: [0, 1], moto: [0, 1] } },
    'of nothing (its condition fails: charged too)',
  ],
  [
    'purge',
    (s) => s.purge(),
    { requests: 2, kms: 0, units: { dynalite: [2, 7], memory: [0, 0], moto: [1, 1] } },
  ],
];

describe('one message per operation: exact requests and capacity units on this tier', () => {
  it.each(
    ROWS.map(
      ([operation, run, expected, label]) =>
        [`${operation} ${label ?? ''}`, operation, run, expected] as const,
    ),
  )('%s', async (_, operation, run, expected) => {
    const store = await seeded();
    await run(store);
    const [readUnits, writeUnits] = expected.units[backend];
    expect(messages).toMatchObject([
      {
        operation,
        outcome: 'ok',
        attempts: 1,
        dynamodb: { requests: expected.requests, readUnits, writeUnits },
        kms: { requests: expected.kms },
      },
    ]);
    expect(kms.received).toHaveLength(expected.kms);
  });

  it('rewrap: one ReEncrypt per secret, reads and conditional writes', async () => {
    const store = await seeded(LOCAL_KMS_SECOND_KEY_ARN);
    await store.rewrap();
    const units: Record<Backend, [number, number]> = {
      dynalite: [5, 7], // Query 2, GetItem 1 + 2; UpdateItem 1 + 6
      memory: [0, 0],
      moto: [2, 1], // moto's constants per command (an UpdateItem 0.5)
    };
    const [readUnits, writeUnits] = units[backend];
    expect(messages).toMatchObject([
      {
        operation: 'rewrap',
        outcome: 'ok',
        dynamodb: { requests: 5, readUnits, writeUnits },
        kms: { requests: 2 },
      },
    ]);
    expect(kms.received.map((request) => request.operation)).toEqual(['ReEncrypt', 'ReEncrypt']);
  });
});
