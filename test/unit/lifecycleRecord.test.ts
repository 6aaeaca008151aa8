import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StorageError } from '@secrets-store/core';
import { advanceLifecycle, readLifecycle } from '@secrets-store/core/internal';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

const dynamodb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const event = { id: 'e-1', time: 1_767_225_600_000 };

afterEach(() => {
  dynamodb.reset();
});

describe('advanceLifecycle', () => {
  it('returns the record the update left (one call)', async () => {
    dynamodb.on(UpdateItemCommand).resolves({
      Attributes: {
        pk: { S: 'app:1' },
        sk: { S: '\u0000lifecycle' },
        installedAt: { N: String(event.time) },
        installEventId: { S: 'e-1' },
      },
    });
    await expect(advanceLifecycle(client, 'secrets', 'app:1', 'install', event)).resolves.toEqual({
      advanced: true,
      record: { installedAt: event.time, installEventId: 'e-1' },
    });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, { ReturnValues: 'ALL_NEW' });
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('a failed condition (a late or repeated event) reads the record as it stands', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    dynamodb.on(QueryCommand).resolves({
      Items: [{ uninstalledAt: { N: String(event.time + 1000) }, uninstallEventId: { S: 'e-2' } }],
    });
    await expect(advanceLifecycle(client, 'secrets', 'app:1', 'uninstall', event)).resolves.toEqual(
      {
        advanced: false,
        record: { uninstalledAt: event.time + 1000, uninstallEventId: 'e-2' },
      },
    );
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#namespace = :namespace AND #key = :record',
      ExpressionAttributeValues: {
        ':namespace': { S: 'app:1' },
        ':record': { S: '\u0000lifecycle' },
      },
      ConsistentRead: true,
    });
  });

  it('any other failure is a StorageError naming the operation, the namespace and the AWS error', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const attempt = advanceLifecycle(client, 'secrets', 'app:1', 'install', event);
    await expect(attempt).rejects.toBeInstanceOf(StorageError);
    await expect(attempt).rejects.toThrow(
      'DynamoDB failed the UpdateItem of the lifecycle record of namespace app:1: ThrottlingException',
    );
  });
});

describe('readLifecycle', () => {
  it('is {} when no event was ever applied', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    await expect(readLifecycle(client, 'secrets', 'app:1')).resolves.toEqual({});
  });
});
