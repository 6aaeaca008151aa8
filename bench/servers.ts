/**
 * The loopback servers the benchmarks run against: dynalite, the proxy that adds ALL_OLD as
 * DynamoDB does, and the KMS-protocol stand-in, each reached by the real AWS SDK clients.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createSecretsTable,
  localDynamoDBClient,
  startDynalite,
} from '../test/support/dynamodb.ts';
import { startDynamoProxy } from '../test/support/dynamoProxy.ts';
import { startKmsServer } from '../test/support/kmsServer.ts';

export const TABLE = 'secrets-bench';

export async function startServers() {
  const dynalite = await startDynalite();
  const proxy = await startDynamoProxy({ target: dynalite.endpoint, allOld: true });
  const kms = await startKmsServer();
  const setup = localDynamoDBClient(dynalite.endpoint);
  await createSecretsTable(setup, TABLE);
  setup.destroy();
  return {
    dynalite,
    proxy,
    kms,
    stop: async () => {
      await kms.stop();
      await proxy.stop();
      await dynalite.stop();
    },
  };
}

/** Counts requests per command name with a middleware, as an operator would see them. */
export function countRequests(client: { middlewareStack: DynamoDBClient['middlewareStack'] }) {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  return {
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    of: (name: string) => counts.get(name) ?? 0,
    reset: () => counts.clear(),
  };
}
