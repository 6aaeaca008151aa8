/**
 * The uninstall marker: an item with the reserved sort key `\u0000uninstalled` that exists while
 * a namespace is being emptied. It is written and removed with BatchWriteItem and looked up
 * with Query, so the cleanup role needs no other DynamoDB action.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { UNINSTALL_MARKER_KEY } from '@secrets-store/core';

export interface MarkerTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
}

const markerKey = (namespace: string) => ({
  pk: { S: namespace },
  sk: { S: UNINSTALL_MARKER_KEY },
});

export async function writeUninstallMarker(
  target: MarkerTarget,
  uninstalledAt: number,
): Promise<void> {
  await writeOne(target, {
    PutRequest: {
      Item: { ...markerKey(target.namespace), uninstalledAt: { N: String(uninstalledAt) } },
    },
  });
}

export async function removeUninstallMarker(target: MarkerTarget): Promise<void> {
  await writeOne(target, { DeleteRequest: { Key: markerKey(target.namespace) } });
}

export async function hasUninstallMarker(target: MarkerTarget): Promise<boolean> {
  const response = await target.client.send(
    new QueryCommand({
      TableName: target.tableName,
      KeyConditionExpression: 'pk = :namespace AND sk = :marker',
      ExpressionAttributeValues: {
        ':namespace': { S: target.namespace },
        ':marker': { S: UNINSTALL_MARKER_KEY },
      },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    }),
  );
  return (response.Items?.length ?? 0) > 0;
}

async function writeOne(target: MarkerTarget, request: WriteRequest): Promise<void> {
  // A single request is never left unprocessed for long: retry the SDK call a few times.
  for (let attempt = 1; attempt <= 5; attempt++) {
    const response = await target.client.send(
      new BatchWriteItemCommand({ RequestItems: { [target.tableName]: [request] } }),
    );
    if (!response.UnprocessedItems?.[target.tableName]?.length) return;
    await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
  }
  throw new Error(
    `the uninstall marker of ${target.namespace} stayed unprocessed after 5 attempts`,
  );
}
