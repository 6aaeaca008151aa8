/** The deletes of whole items: the purge's and the uninstall's, which leave no tombstone. */
import type {
  Delete,
  DeleteItemCommandInput,
  TransactWriteItem,
  WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ATTRIBUTE, itemKey, type SecretAddress } from './schema.ts';

/**
 * True for an item last written before `:cutoff`, or with no `updatedAt` (no write of the
 * store made it), or a tombstone (`expiresAt`): what an uninstall deletes of an installation
 * that was followed by another. A tombstone holds no value of anyone, and a sweep must be able
 * to empty the namespace whenever its delete happened.
 */
export const WRITTEN_BEFORE_CONDITION =
  '(attribute_not_exists(#updatedAt) OR #updatedAt < :cutoff OR attribute_exists(#expiresAt))';

/** The names {@link WRITTEN_BEFORE_CONDITION} uses. */
export const WRITTEN_BEFORE_NAMES = {
  '#updatedAt': ATTRIBUTE.updatedAt,
  '#expiresAt': ATTRIBUTE.expiresAt,
} as const;

/** DeleteItem of an item, whatever it holds: purge's way out for secrets and tombstones alike. */
export function deleteSecretInput(address: SecretAddress): DeleteItemCommandInput {
  return { TableName: address.tableName, Key: itemKey(address.namespace, address.key) };
}

/**
 * DeleteItem of a secret only while it is still last written before `writtenBefore`: a write
 * that lands between the purge's Query and this delete is spared.
 */
export function deleteWrittenBeforeInput(
  address: SecretAddress,
  writtenBefore: number,
): DeleteItemCommandInput {
  return {
    ...deleteSecretInput(address),
    ConditionExpression: `attribute_exists(#key) AND ${WRITTEN_BEFORE_CONDITION}`,
    ExpressionAttributeNames: { '#key': ATTRIBUTE.key, ...WRITTEN_BEFORE_NAMES },
    ExpressionAttributeValues: { ':cutoff': { N: String(writtenBefore) } },
  };
}

/**
 * The same conditional delete as {@link deleteWrittenBeforeInput}, as one action of a
 * TransactWriteItems: the uninstall deletes up to 100 items a call, each under its condition.
 */
export function transactDeleteWrittenBefore(
  address: SecretAddress,
  writtenBefore: number,
): TransactWriteItem {
  const { TableName, Key, ...condition } = deleteWrittenBeforeInput(address, writtenBefore);
  return { Delete: { TableName, Key, ...condition } as Delete };
}

/** A BatchWriteItem request that deletes a secret (no condition: BatchWriteItem has none). */
export function batchDeleteRequest(namespace: string, key: string): WriteRequest {
  return { DeleteRequest: { Key: itemKey(namespace, key) } };
}

/** The secret key a {@link batchDeleteRequest} deletes. */
export function keyOfBatchDelete(request: WriteRequest): string | undefined {
  return request.DeleteRequest?.Key?.[ATTRIBUTE.key]?.S;
}
