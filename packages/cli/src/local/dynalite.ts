/**
 * dynalite: Amazon DynamoDB's API on LevelDB, in this process, on a loopback port. The local
 * mode persists it in a folder; the integration tests keep it in memory.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '@secrets-store/core';

const require = createRequire(import.meta.url);

export interface RunningDynamoDB {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface DynaliteServer {
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  address(): AddressInfo;
  close(callback: (error?: Error) => void): void;
}

/** Starts dynalite on 127.0.0.1 and a port the OS picks; in memory unless `path` is given. */
export async function startDynalite(options: { path?: string } = {}): Promise<RunningDynamoDB> {
  const dynalite = require('dynalite') as (options: object) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** A client for a local endpoint: fixed dummy credentials, no AWS account involved. */
export function localDynamoDBClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates the secrets table (core's TABLE_SCHEMA, on-demand, no LSI) unless it exists. */
export async function createSecretsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
}
