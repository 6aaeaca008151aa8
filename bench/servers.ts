/**
 * The loopback servers the benchmarks run against: dynalite, the proxy that adds ALL_OLD as
 * DynamoDB does, and the KMS-protocol stand-in, each reached by the real AWS SDK clients.
 */
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

export { countRequests } from '../test/support/countRequests.ts';
