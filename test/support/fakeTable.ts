/**
 * The unit tests' DynamoDB: the in-process {@link MemoryTable} (DynamoDB's semantics for every
 * command, ALL_OLD, the 400 KB limit, schedule hooks) behind a client that aws-sdk-client-mock
 * watches, so a test can both pin the exact commands the store sends
 * (`toHaveReceivedCommandWith`) and force an interleaving (`memory.pauseNext`,
 * `memory.loseResponseOfNext`). The watched client hands every command to a real client of the
 * memory table, so the SDK's serialisers, retries and error classes run as against AWS.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
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
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const dynamodb = mockClient(client);
  dynamodb.on(GetItemCommand).callsFake((input) => direct.send(new GetItemCommand(input)));
  dynamodb.on(PutItemCommand).callsFake((input) => direct.send(new PutItemCommand(input)));
  dynamodb.on(UpdateItemCommand).callsFake((input) => direct.send(new UpdateItemCommand(input)));
  dynamodb.on(DeleteItemCommand).callsFake((input) => direct.send(new DeleteItemCommand(input)));
  dynamodb.on(QueryCommand).callsFake((input) => direct.send(new QueryCommand(input)));
  dynamodb
    .on(BatchGetItemCommand)
    .callsFake((input) => direct.send(new BatchGetItemCommand(input)));
  dynamodb
    .on(BatchWriteItemCommand)
    .callsFake((input) => direct.send(new BatchWriteItemCommand(input)));
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
