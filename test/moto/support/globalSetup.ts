/**
 * vitest global setup of the moto tier: one moto server for every file, the integration
 * table created on it, and the endpoint provided to the integration suite (as `dynamodbEndpoint`,
 * exactly as dynalite's) and to the moto tests (`motoEndpoint`: KMS, SQS, EventBridge too).
 */
import 'vitest';
import type { TestProject } from 'vitest/node';
import { createSecretsTable, localDynamoDBClient } from '../../support/dynamodb.ts';
import { startMoto } from './motoServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  const tableName = `secrets-store-test-${Date.now().toString(36)}`;
  const client = localDynamoDBClient(moto.endpoint);
  await createSecretsTable(client, tableName);
  client.destroy();
  project.provide('dynamodbEndpoint', moto.endpoint);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('tableName', tableName);
  return () => moto.stop();
}
