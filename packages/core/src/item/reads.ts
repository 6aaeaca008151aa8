/** The reads of the table: GetItem, BatchGetItem, Query and Scan inputs. */
import type {
  BatchGetItemCommandInput,
  GetItemCommandInput,
  QueryCommandInput,
  ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
// The purge's Query filters by the condition its delete lands under: it lists what it may delete.
import { WRITTEN_BEFORE_CONDITION, WRITTEN_BEFORE_NAMES } from './deletes.ts';
import { ATTRIBUTE, type Item, itemKey, type SecretAddress } from './schema.ts';

/** GetItem of the whole secret. */
export function getSecretInput(
  address: SecretAddress,
  consistentRead: boolean,
): GetItemCommandInput {
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    ConsistentRead: consistentRead,
  };
}

/**
 * GetItem of the key and the tombstone mark only: whether a live secret exists, with nothing to
 * decrypt (see `isLive`, schema.ts).
 */
export function existsInput(address: SecretAddress, consistentRead: boolean): GetItemCommandInput {
  return {
    ...getSecretInput(address, consistentRead),
    ProjectionExpression: '#namespace, #expiresAt',
    ExpressionAttributeNames: {
      '#namespace': ATTRIBUTE.namespace,
      '#expiresAt': ATTRIBUTE.expiresAt,
    },
  };
}

/** BatchGetItem takes at most 100 keys a call. */
export const MAX_BATCH_GET_KEYS = 100;

/**
 * BatchGetItem of whole secrets of one namespace, at most {@link MAX_BATCH_GET_KEYS} distinct
 * keys. DynamoDB hands back what it could not read under `UnprocessedKeys` in this same shape,
 * so a retry sends that as its `RequestItems`.
 */
export function batchGetSecretsInput(
  tableName: string,
  namespace: string,
  keys: readonly string[],
  consistentRead: boolean,
): BatchGetItemCommandInput {
  return {
    RequestItems: {
      [tableName]: {
        Keys: keys.map((key) => itemKey(namespace, key)),
        ConsistentRead: consistentRead,
      },
    },
  };
}

/**
 * One page of a namespace's keys, names only (sort keys of reserved items and tombstones
 * included, with the tombstone mark: `isTombstone`, schema.ts); with
 * `writtenBefore` (epoch ms), only of the items last written before it.
 */
export function queryKeysInput(
  tableName: string,
  namespace: string,
  consistentRead: boolean,
  exclusiveStartKey: Item | undefined,
  writtenBefore?: number,
): QueryCommandInput {
  const filtered = writtenBefore !== undefined;
  return {
    TableName: tableName,
    KeyConditionExpression: '#namespace = :namespace',
    ExpressionAttributeNames: {
      '#namespace': ATTRIBUTE.namespace,
      '#key': ATTRIBUTE.key,
      '#expiresAt': ATTRIBUTE.expiresAt,
      ...(filtered && WRITTEN_BEFORE_NAMES),
    },
    ExpressionAttributeValues: {
      ':namespace': { S: namespace },
      ...(filtered && { ':cutoff': { N: String(writtenBefore) } }),
    },
    ...(filtered && { FilterExpression: WRITTEN_BEFORE_CONDITION }),
    // The tombstone mark too: keys() skips tombstones, purge deletes them.
    ProjectionExpression: '#key, #expiresAt',
    ConsistentRead: consistentRead,
    ExclusiveStartKey: exclusiveStartKey,
  };
}

/**
 * Scan of the whole table for the namespaces it holds: the partition key and the tombstone mark
 * only (a namespace of tombstones holds no secret), one page from
 * `exclusiveStartKey`. A Scan reads every item (1 MB a page), so it is for operator tools
 * (rewrap of a table), never for a request path.
 */
export function scanNamespacesInput(
  tableName: string,
  exclusiveStartKey: Item | undefined,
): ScanCommandInput {
  return {
    TableName: tableName,
    ExpressionAttributeNames: {
      '#namespace': ATTRIBUTE.namespace,
      '#expiresAt': ATTRIBUTE.expiresAt,
    },
    ProjectionExpression: '#namespace, #expiresAt',
    ExclusiveStartKey: exclusiveStartKey,
  };
}
