/**
 * What the integration tests share: a store on the real DynamoDB API of the global setup
 * (dynalite, or DYNAMODB_ENDPOINT), one fresh namespace per store, and a raw client to look at
 * or tamper with the items the store wrote.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, SecretsStore, type SecretsStoreOptions } from '@secrets-store/core';
import { inject } from 'vitest';
import { localDynamoDBClient } from './dynamodb.ts';

export const tableName = inject('tableName');
export const endpoint = inject('dynamodbEndpoint');
export const rawClient = localDynamoDBClient(endpoint);
export const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });

export function uniqueNamespace(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export function newStore(options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName,
    namespace: uniqueNamespace(),
    keyring,
    dynamoDBClient: rawClient,
    ...options,
  });
}

/** Every item of a namespace, attributes and all, in key order. */
export async function itemsOf(namespace: string) {
  const response = await rawClient.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :namespace',
      ExpressionAttributeValues: { ':namespace': { S: namespace } },
      ConsistentRead: true,
    }),
  );
  return response.Items ?? [];
}

/** Counts the requests a client sends, by operation name (a middleware, like the benchmarks'). */
export function countRequests(client: DynamoDBClient): { total(): number; reset(): void } {
  let count = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      count++;
      return next(args);
    },
    { step: 'initialize', name: `countRequests-${randomUUID()}` },
  );
  return {
    total: () => count,
    reset: () => {
      count = 0;
    },
  };
}
