/**
 * vitest global setup of the integration project: starts dynalite on a free loopback port (or
 * uses DYNAMODB_ENDPOINT), creates the table, and provides both to the tests.
 */
import 'vitest';
import type { TestProject } from 'vitest/node';
import { createSecretsTable, localDynamoDBClient, startDynalite } from './dynamodb.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DYNAMODB_ENDPOINT;
  const server = external ? undefined : await startDynalite();
  const endpoint = external ?? (server?.endpoint as string);
  const tableName = `secrets-store-test-${Date.now().toString(36)}`;
  const client = localDynamoDBClient(endpoint);
  await createSecretsTable(client, tableName);
  client.destroy();
  project.provide('dynamodbEndpoint', endpoint);
  project.provide('tableName', tableName);
  return async () => {
    await server?.stop();
  };
}
