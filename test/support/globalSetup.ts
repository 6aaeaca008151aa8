/**
 * vitest global setup of the integration projects: starts dynalite on a free loopback port (or
 * uses DYNAMODB_ENDPOINT), creates the table, and provides both to the tests. The
 * `integration-memory` project (SECRETS_STORE_TEST_DYNAMODB=memory in its env) gets the
 * MemoryTable behind a loopback endpoint instead, where tables exist on first use.
 */
import 'vitest';
import type { TestProject } from 'vitest/node';
import { createSecretsTable, localDynamoDBClient, startDynalite } from './dynamodb.ts';
import { startMemoryTableServer } from './memoryTableServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tableName = `secrets-store-test-${Date.now().toString(36)}`;
  if (project.config.env?.SECRETS_STORE_TEST_DYNAMODB === 'memory') {
    const memory = await startMemoryTableServer();
    project.provide('dynamodbEndpoint', memory.endpoint);
    project.provide('tableName', tableName);
    return () => memory.stop();
  }
  const external = process.env.DYNAMODB_ENDPOINT;
  const server = external ? undefined : await startDynalite();
  const endpoint = external ?? (server?.endpoint as string);
  const client = localDynamoDBClient(endpoint);
  await createSecretsTable(client, tableName);
  client.destroy();
  project.provide('dynamodbEndpoint', endpoint);
  project.provide('tableName', tableName);
  return async () => {
    await server?.stop();
  };
}
