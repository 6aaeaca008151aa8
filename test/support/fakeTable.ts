/**
 * The unit tests' DynamoDB: the in-process {@link MemoryTable} (DynamoDB's semantics for every
 * command, ALL_OLD, the 400 KB limit, schedule hooks) behind a client that aws-sdk-client-mock
 * watches, so a test can both pin the exact commands the store sends
 * (`toHaveReceivedCommandWith`) and force an interleaving (`memory.pauseNext`,
 * `memory.loseResponseOfNext`). The watched client is a real client of the memory table, called
 * through, so the SDK's serialisers, retries, error classes and the store's own middleware run as
 * against AWS.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryTable } from '@secrets-store/core/testing';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

export interface FakeTable {
  /** Every command the store sent (one entry per `send`, whatever the SDK retried below it). */
  readonly dynamodb: AwsClientStub<DynamoDBClient>;
  /** The client to give the store. */
  readonly client: DynamoDBClient;
  /** The table itself: its hooks, and `requests` (every copy the SDK sent). */
  readonly memory: MemoryTable;
  /** The stored item of a secret, attributes and all, as the SDK returns it. */
  item(namespace: string, key: string): Promise<Item | undefined>;
  /** Stores `item` as it is (a tampered or hand-made item), bypassing the store. */
  putItem(item: Item): Promise<void>;
}

export function fakeTable(tableName = 'secrets'): FakeTable {
  const memory = new MemoryTable();
  const direct = memory.client();
  const client = memory.client();
  // Watched, and called through: the store's own command objects reach the real client, so
  // that its middleware (every copy's answer, write protocol v3) runs as against AWS.
  const dynamodb = mockClient(client);
  dynamodb.send.callThrough();
  return {
    dynamodb,
    client,
    memory,
    item: async (namespace, key) => {
      const response = await direct.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: namespace }, sk: { S: key } },
          ConsistentRead: true,
        }),
      );
      return response.Item;
    },
    putItem: async (item) => {
      await direct.send(new PutItemCommand({ TableName: tableName, Item: item }));
    },
  };
}
