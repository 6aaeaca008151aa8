/**
 * What the store costs at published on-demand prices (bench/prices.ts), side by side with AWS
 * Secrets Manager and SSM Parameter Store advanced parameters doing the same work.
 *
 * The store's capacity units are measured, not assumed: each operation runs on dynalite (which
 * returns ConsumedCapacity computed from item sizes as DynamoDB does) with the KMS stand-in, and
 * its `secrets-store:operation` message gives the read and write units and the KMS requests it
 * cost. The rivals are priced per API call: a get is one GetSecretValue / GetParameter, a put one
 * PutSecretValue / PutParameter, a patch a read and a write, a delete one call. A `get` served by
 * an in-process cache costs nothing anywhere (Powertools Parameters caches those too).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  KmsKeyring,
  OPERATION_CHANNEL,
  type OperationMessage,
  SecretsStore,
  type SecretsStoreOptions,
} from '@secrets-store/core';
import { itemBytes } from '../packages/core/src/observability/operationMeter.ts';
import { localDynamoDBClient } from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN } from '../test/support/kmsServer.ts';
import { DYNAMODB_ITEM_OVERHEAD_BYTES, PRICES, PRICES_AS_OF } from './prices.ts';
import type { startServers } from './servers.ts';
import { TABLE } from './servers.ts';
import type { Row } from './support.ts';

type Servers = Awaited<ReturnType<typeof startServers>>;
const NAMESPACE = 'cost';
const RUNS = 20;
const MILLION = 1e6;
/** A typical secret: an OAuth token with its scopes and expiry, about 300 bytes of JSON. */
const VALUE = {
  accessToken: 'x'.repeat(200),
  refreshToken: 'y'.repeat(40),
  expiresAt: 1_767_225_600_000,
  scopes: ['read', 'write'],
};

/** The stores an operation may run on. */
interface Stores {
  /** Its data keys are cached: a get or patch makes no KMS call. */
  readonly warm: SecretsStore;
  /** A new store (a new container): the first read of each data key calls KMS. */
  readonly cold: () => SecretsStore;
  /** With the value cache, filled. */
  readonly cached: SecretsStore;
}

interface CostedOperation {
  readonly operation: string;
  /** Runs the operation once on secret `key` (which holds VALUE). */
  readonly run: (stores: Stores, key: string) => Promise<unknown>;
  /** Runs after the measured call, outside the measurement (puts back what a delete took). */
  readonly after?: (stores: Stores, key: string) => Promise<unknown>;
  /** API calls the same work costs on Secrets Manager and on Parameter Store. */
  readonly rivalCalls: number;
}

/** The operations priced. */
const OPERATIONS: readonly CostedOperation[] = [
  { operation: 'get (data key cached)', run: (s, key) => s.warm.get(key), rivalCalls: 1 },
  { operation: 'get (cold: KMS Decrypt)', run: (s, key) => s.cold().get(key), rivalCalls: 1 },
  { operation: 'get warm with the value cache', run: (s, key) => s.cached.get(key), rivalCalls: 0 },
  { operation: 'put', run: (s, key) => s.warm.put(key, VALUE), rivalCalls: 1 },
  {
    operation: 'patch (data key cached)',
    run: (s, key) => s.warm.patch(key, { expiresAt: Date.now() }),
    rivalCalls: 2,
  },
  {
    operation: 'delete',
    run: (s, key) => s.warm.delete(key),
    after: (s, key) => s.warm.put(key, VALUE),
    rivalCalls: 1,
  },
  {
    operation: 'refresh of a fresh token',
    run: (s, key) => s.warm.refresh(key, { needsRefresh: () => false, refresh: async (v) => v }),
    rivalCalls: 1,
  },
  {
    // Rivals: read the token, then store the refreshed one (with no lease of their own).
    operation: 'refresh of an expired token (lease, upstream, write)',
    run: (s, key) =>
      s.warm.refresh(key, {
        needsRefresh: () => true,
        refresh: async (value) => ({ ...value, expiresAt: Date.now() }),
      }),
    rivalCalls: 2,
  },
];

const dollars = (value: number) => Math.round(value * 100) / 100;

export interface CostResults {
  readonly pricesAsOf: string;
  readonly prices: typeof PRICES;
  readonly perOperation: Row[];
  readonly perMillionSecretsMonth: Row[];
}

export async function costBenchmark(servers: Servers): Promise<CostResults> {
  const client = localDynamoDBClient(servers.dynalite.endpoint);
  const options = (): SecretsStoreOptions => ({
    tableName: TABLE,
    namespace: NAMESPACE,
    client,
    keyring: new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: servers.kms.client() }),
  });
  const stores: Stores = {
    warm: new SecretsStore(options()),
    cold: () => new SecretsStore(options()),
    cached: new SecretsStore({ ...options(), valueCache: { maxAgeMs: 60 * 60 * 1000 } }),
  };
  const keys = Array.from({ length: RUNS }, (_, index) => `secret-${index}`);
  for (const key of keys) {
    await stores.warm.put(key, VALUE);
    await stores.warm.get(key);
    await stores.cached.get(key);
  }

  const messages: OperationMessage[] = [];
  const listener = (message: unknown) => messages.push(message as OperationMessage);
  const perOperation: Row[] = [];
  for (const costed of OPERATIONS) {
    let readUnits = 0;
    let writeUnits = 0;
    let kmsRequests = 0;
    let requests = 0;
    for (const key of keys) {
      messages.length = 0;
      diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
      try {
        await costed.run(stores, key);
      } finally {
        diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
      }
      const [message] = messages;
      if (messages.length !== 1 || message === undefined) {
        throw new Error(`${costed.operation} published ${messages.length} messages, not 1`);
      }
      readUnits += message.dynamodb.readUnits;
      writeUnits += message.dynamodb.writeUnits;
      kmsRequests += message.kms.requests;
      requests += message.dynamodb.requests;
      await costed.after?.(stores, key);
    }
    const units = {
      read: readUnits / RUNS,
      write: writeUnits / RUNS,
      kms: kmsRequests / RUNS,
    };
    const store =
      MILLION *
      (units.read * PRICES.dynamodbReadRequestUnit.usd +
        units.write * PRICES.dynamodbWriteRequestUnit.usd +
        units.kms * PRICES.kmsRequest.usd);
    perOperation.push({
      operation: costed.operation,
      'DynamoDB requests': requests / RUNS,
      'read units': units.read,
      'write units': units.write,
      'KMS requests': units.kms,
      'store $/M': dollars(store),
      'Secrets Manager $/M': dollars(
        MILLION * costed.rivalCalls * PRICES.secretsManagerApiCall.usd,
      ),
      'Parameter Store $/M': dollars(
        MILLION * costed.rivalCalls * PRICES.parameterStoreApiInteraction.usd,
      ),
    });
  }

  // Storage: the item of a typical secret as DynamoDB bills it (its size plus 100 bytes).
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { pk: { S: NAMESPACE }, sk: { S: keys[0] as string } },
      ConsistentRead: true,
    }),
  );
  const billedBytes = itemBytes(Item ?? {}) + DYNAMODB_ITEM_OVERHEAD_BYTES;
  const storeMonth =
    ((MILLION * billedBytes) / 2 ** 30) * PRICES.dynamodbStorageGbMonth.usd +
    PRICES.kmsKeyMonth.usd;
  const perMillionSecretsMonth: Row[] = [
    {
      store: 'this store: DynamoDB storage + 1 KMS key',
      'bytes billed per secret': billedBytes,
      '$ per million secrets a month': dollars(storeMonth),
    },
    {
      store: 'Secrets Manager ($0.40 per secret)',
      'bytes billed per secret': 'priced per secret',
      '$ per million secrets a month': dollars(MILLION * PRICES.secretsManagerSecretMonth.usd),
    },
    {
      store: 'Parameter Store, advanced parameters ($0.05 each)',
      'bytes billed per secret': 'priced per secret',
      '$ per million secrets a month': dollars(
        MILLION * PRICES.parameterStoreAdvancedParameterMonth.usd,
      ),
    },
  ];
  client.destroy();
  return { pricesAsOf: PRICES_AS_OF, prices: PRICES, perOperation, perMillionSecretsMonth };
}
