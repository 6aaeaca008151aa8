/**
 * listNamespaces: the exact Scan it sends, every page followed, each namespace once, and a
 * failed Scan as a StorageError that names the table and the AWS error.
 */
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ConfigurationError, listNamespaces, StorageError } from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

// This instance only: the MemoryTable's clients below must reach their table.
const client = new DynamoDBClient({ region: 'eu-west-1' });
const dynamodb = mockClient(client);

afterEach(() => {
  dynamodb.reset();
});

describe('listNamespaces', () => {
  it('scans the partition key and the tombstone mark only, follows LastEvaluatedKey, and lists each namespace of secrets once, sorted', async () => {
    const pageEnd = { pk: { S: 'b' }, sk: { S: 'k1' } };
    dynamodb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ pk: { S: 'b' } }, { pk: { S: 'a' } }, { pk: { S: 'b' } }],
        LastEvaluatedKey: pageEnd,
      })
      .resolvesOnce({
        // A namespace of tombstones only holds no secret.
        Items: [
          { pk: { S: 'b' } },
          { pk: { S: 'c:1' } },
          { pk: { S: 'd' }, expiresAt: { N: '1' } },
        ],
      });

    expect(await listNamespaces({ client, tableName: 'secrets' })).toEqual(['a', 'b', 'c:1']);

    const calls = dynamodb.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      {
        TableName: 'secrets',
        ExpressionAttributeNames: { '#namespace': 'pk', '#expiresAt': 'expiresAt' },
        ProjectionExpression: '#namespace, #expiresAt',
        ExclusiveStartKey: undefined,
      },
      {
        TableName: 'secrets',
        ExpressionAttributeNames: { '#namespace': 'pk', '#expiresAt': 'expiresAt' },
        ProjectionExpression: '#namespace, #expiresAt',
        ExclusiveStartKey: pageEnd,
      },
    ]);
  });

  it('finds every namespace of a table larger than one 1 MB page', async () => {
    const table = new MemoryTable();
    const memoryClient = table.client();
    // 8 items of ~300 KB: three Scan pages (4 + 4 + an empty last one).
    for (let index = 0; index < 8; index++) {
      await memoryClient.send(
        new PutItemCommand({
          TableName: 'secrets',
          Item: {
            pk: { S: `ns-${index % 3}` },
            sk: { S: `k${index}` },
            pad: { S: 'x'.repeat(300_000) },
          },
        }),
      );
    }
    expect(await listNamespaces({ client: memoryClient, tableName: 'secrets' })).toEqual([
      'ns-0',
      'ns-1',
      'ns-2',
    ]);
    expect(table.requests.filter((request) => request.operation === 'Scan')).toHaveLength(3);
  });

  it('lists nothing for an empty table', async () => {
    const table = new MemoryTable();
    expect(await listNamespaces({ client: table.client(), tableName: 'secrets' })).toEqual([]);
  });

  it('turns a failed Scan into a StorageError naming the table, the page and the AWS error', async () => {
    const table = new MemoryTable({ tableNames: ['secrets'] });
    const error = await listNamespaces({ client: table.client(), tableName: 'missing' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      'DynamoDB failed the Scan of table missing (page 1) listing its namespaces: ResourceNotFoundException',
    );
  });

  it('refuses an empty table name before any call', async () => {
    await expect(listNamespaces({ client, tableName: '' })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
