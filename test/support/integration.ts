/**
 * What the integration tests share: a store on the real DynamoDB API of the global setup
 * (dynalite, or DYNAMODB_ENDPOINT), one fresh namespace per store, and a raw client to look at
 * or tamper with the items the store wrote.
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
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
    client: rawClient,
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

/**
 * Writes, straight to the table, a tombstone as write protocol v3's delete leaves it: no value,
 * `updatedAt` the delete, `writeId` the delete's, and a TTL.
 */
export async function putTombstone(
  namespace: string,
  key: string,
  times: { writeId: string; updatedAt: number; expiresAt: number },
): Promise<void> {
  await rawClient.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: namespace },
        sk: { S: key },
        writeId: { S: times.writeId },
        updatedAt: { N: String(times.updatedAt) },
        expiresAt: { N: String(times.expiresAt) },
      },
    }),
  );
}

export { countRequests } from './countRequests.ts';
