/**
 * The writes of a secret (write protocol v3, DESIGN.md; the decisions live in writeLoop.ts):
 * put, the tombstone a delete leaves, the whole conditional write, and the conditions each lands
 * under.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  ATTRIBUTE,
  EMPTY_SLOT,
  HISTORY_ATTRIBUTES,
  HISTORY_LENGTH,
  type Item,
  itemKey,
  MAX_COUNT,
  type SecretAddress,
  type SecretRecord,
  type WriteState,
} from './schema.ts';

const HISTORY_NAMES: Record<string, string> = Object.fromEntries(
  HISTORY_ATTRIBUTES.map((name, index) => [`#h${index}`, name]),
);

/** `#h1 = if_not_exists(#h0, :none), ...`: the history shifted by one, newest slot left to set. */
const HISTORY_SHIFT = HISTORY_ATTRIBUTES.slice(1).map(
  (_, index) => `#h${index + 1} = if_not_exists(#h${index}, :none)`,
);

/** True when `:writeId` is in the item's history: a copy of that write has landed. */
const WRITE_ID_IN_HISTORY = `(${HISTORY_ATTRIBUTES.map((_, index) => `#h${index} = :writeId`).join(' OR ')})`;

const PUT_NAMES: Record<string, string> = {
  '#ciphertext': ATTRIBUTE.ciphertext,
  '#dataKey': ATTRIBUTE.dataKey,
  '#keyId': ATTRIBUTE.keyId,
  '#dataKeyCreatedAt': ATTRIBUTE.dataKeyCreatedAt,
  '#updatedAt': ATTRIBUTE.updatedAt,
  '#version': ATTRIBUTE.version,
  '#expiresAt': ATTRIBUTE.expiresAt,
  ...HISTORY_NAMES,
};

/**
 * put: one UpdateItem that replaces the secret's attributes, counts its version up and shifts
 * the history by one (`#h1 = #h0` reads the old `writeId`: operands see the item before the
 * update). A slot with nothing to shift in gets {@link EMPTY_SLOT} (an item written by v1 has
 * only `writeId`).
 */
const PUT_EXPRESSION = [
  'SET #ciphertext = :ciphertext, #dataKey = :dataKey, #keyId = :keyId',
  '#dataKeyCreatedAt = :now, #updatedAt = :now',
  '#version = if_not_exists(#version, :zero) + :one',
  ...HISTORY_SHIFT,
  '#h0 = :writeId',
].join(', ');

/** put over a tombstone brings the secret back: the mark goes. */
const PUT_EXPRESSION_REMOVE = 'REMOVE #expiresAt';

/**
 * A put's copy that finds its own id in the history is a re-sent copy of a put that landed: it
 * must not write again. A count of the wrong type would make the update fail, so it is refused
 * here too and repaired by a full write (see the store).
 */
const PUT_CONDITION = [
  `(attribute_not_exists(#version) OR (attribute_type(#version, :numberType) AND #version BETWEEN :one AND :maxCount))`,
  `NOT ${WRITE_ID_IN_HISTORY}`,
].join(' AND ');

export function putSecretInput(
  address: SecretAddress,
  record: SecretRecord,
): UpdateItemCommandInput {
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    UpdateExpression: `${PUT_EXPRESSION} ${PUT_EXPRESSION_REMOVE}`,
    ConditionExpression: PUT_CONDITION,
    ExpressionAttributeNames: PUT_NAMES,
    ExpressionAttributeValues: {
      ':ciphertext': { B: record.ciphertext },
      ':dataKey': { B: record.wrappedDataKey },
      ':keyId': { S: record.keyId },
      ':now': { N: String(record.updatedAt) },
      ':writeId': { S: record.writeId },
      ':zero': { N: '0' },
      ':one': { N: '1' },
      ':none': { S: EMPTY_SLOT },
      ':numberType': { S: 'N' },
      ':maxCount': { N: MAX_COUNT },
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** How long a tombstone outlives its delete before the table's TTL removes it. */
export const TOMBSTONE_TTL_SECONDS = 24 * 60 * 60;

/** A tombstone sets or removes the same attributes as a put: the value's, the count, the history. */
const TOMBSTONE_NAMES = PUT_NAMES;

/**
 * delete: one UpdateItem that turns the secret into a tombstone. The value and its keys go, the
 * count restarts with the next write, the history shifts by the delete's own id, and
 * `expiresAt` marks it for the table's TTL.
 */
const TOMBSTONE_EXPRESSION = [
  `SET #expiresAt = :expiresAt, #updatedAt = :now, ${HISTORY_SHIFT.join(', ')}, #h0 = :writeId`,
  'REMOVE #ciphertext, #dataKey, #keyId, #dataKeyCreatedAt, #version',
].join(' ');

/**
 * A delete lands only on a live secret, and never twice: a copy re-sent after a later write
 * finds its id in the history and fails instead of deleting that write. Deleting what does not
 * exist (or is already a tombstone) fails the condition: nothing is written.
 */
const DELETE_CONDITION = `attribute_exists(#namespace) AND attribute_not_exists(#expiresAt) AND NOT ${WRITE_ID_IN_HISTORY}`;

/** When a tombstone a delete writes expires: one day after `deletedAt` (epoch ms), in epoch seconds. */
export function tombstoneExpiry(deletedAt: number): number {
  return Math.floor(deletedAt / 1000) + TOMBSTONE_TTL_SECONDS;
}

/**
 * The delete of a secret: a tombstone in one call. With `over`, the tombstone is written over
 * that item as read (absent, or a tombstone: its `writeId`) instead of over a live secret: how a
 * delete whose earlier copy may still land makes sure it never does (its id is then in the
 * history).
 */
export function tombstoneInput(
  address: SecretAddress,
  writeId: string,
  deletedAt: number,
  over?: { readonly read: WriteState | undefined },
): UpdateItemCommandInput {
  const condition = over
    ? writeCondition(over.read)
    : {
        ConditionExpression: DELETE_CONDITION,
        ExpressionAttributeNames: { '#namespace': ATTRIBUTE.namespace },
      };
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    UpdateExpression: TOMBSTONE_EXPRESSION,
    ConditionExpression: condition.ConditionExpression,
    ExpressionAttributeNames: { ...TOMBSTONE_NAMES, ...condition.ExpressionAttributeNames },
    ExpressionAttributeValues: {
      ':expiresAt': { N: String(tombstoneExpiry(deletedAt)) },
      ':now': { N: String(deletedAt) },
      ':writeId': { S: writeId },
      ':none': { S: EMPTY_SLOT },
      ...condition.ExpressionAttributeValues,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * The secret's attributes a whole write (patch, field delete, rewrap, repair, refresh) sets: the
 * item it leaves, besides the attributes it does not name (the lease's).
 */
export function replacedItem(
  address: SecretAddress,
  record: SecretRecord,
  read: WriteState | undefined,
): Item {
  const item: Item = {
    ...itemKey(address.namespace, address.key),
    [ATTRIBUTE.version]: { N: nextVersion(read) },
    [ATTRIBUTE.ciphertext]: { B: record.ciphertext },
    [ATTRIBUTE.dataKey]: { B: record.wrappedDataKey },
    [ATTRIBUTE.keyId]: { S: record.keyId },
    [ATTRIBUTE.dataKeyCreatedAt]: { N: String(record.dataKeyCreatedAt) },
    [ATTRIBUTE.updatedAt]: { N: String(record.updatedAt) },
  };
  const history = [record.writeId, ...(read?.history ?? [])].slice(0, HISTORY_LENGTH);
  history.forEach((id, index) => {
    item[HISTORY_ATTRIBUTES[index] as string] = { S: id };
  });
  return item;
}

/** The secret's own attributes: what a whole write sets (all but the key) or removes. */
const SECRET_ATTRIBUTES: readonly string[] = [
  ATTRIBUTE.version,
  ATTRIBUTE.ciphertext,
  ATTRIBUTE.dataKey,
  ATTRIBUTE.keyId,
  ATTRIBUTE.dataKeyCreatedAt,
  ATTRIBUTE.updatedAt,
];

/**
 * The lease a whole write is fenced by (refresh's final write): it lands only while the item's
 * lease id is still `held`, and releases the lease in the same write (`releasedAs`, a new id).
 */
export interface LeaseFence {
  readonly held: string;
  readonly releasedAs: string;
}

/**
 * A conditional write of a whole secret (patch, field delete, repair, rewrap, refresh): it lands
 * only if the item is still the one that was read (same `writeId`), or still absent when nothing
 * was read. An UpdateItem that names every attribute of the secret (a tombstone's mark and the
 * history slots it does not fill are removed), not a PutItem: attributes it does not name, the
 * lease of a `refresh` in progress, stay as they are. With `fence`, it also lands only while that
 * lease is held, and releases it.
 */
export function replaceSecretInput(
  address: SecretAddress,
  record: SecretRecord,
  read: WriteState | undefined,
  fence?: LeaseFence,
): UpdateItemCommandInput {
  const item = replacedItem(address, record, read);
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const removes = [`#${ATTRIBUTE.expiresAt}`];
  names[`#${ATTRIBUTE.expiresAt}`] = ATTRIBUTE.expiresAt;
  for (const name of SECRET_ATTRIBUTES) {
    names[`#${name}`] = name;
    values[`:${name}`] = item[name] as AttributeValue;
    sets.push(`#${name} = :${name}`);
  }
  HISTORY_ATTRIBUTES.forEach((name, index) => {
    names[`#h${index}`] = name;
    const id = item[name];
    if (id === undefined) {
      removes.push(`#h${index}`);
    } else {
      values[`:h${index}`] = id;
      sets.push(`#h${index} = :h${index}`);
    }
  });
  const condition = writeCondition(read);
  let conditionExpression = condition.ConditionExpression as string;
  if (fence) {
    names['#leaseId'] = ATTRIBUTE.leaseId;
    names['#leaseMs'] = ATTRIBUTE.leaseMs;
    values[':heldLease'] = { S: fence.held };
    values[':releasedLease'] = { S: fence.releasedAs };
    sets.push('#leaseId = :releasedLease');
    removes.push('#leaseMs');
    conditionExpression = `(${conditionExpression}) AND #leaseId = :heldLease`;
  }
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
    ConditionExpression: conditionExpression,
    ExpressionAttributeNames: { ...names, ...condition.ExpressionAttributeNames },
    ExpressionAttributeValues: { ...values, ...condition.ExpressionAttributeValues },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export function writeCondition(
  read: WriteState | undefined,
): Pick<
  UpdateItemCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  if (!read) {
    return {
      ConditionExpression: 'attribute_not_exists(#namespace)',
      ExpressionAttributeNames: { '#namespace': ATTRIBUTE.namespace },
    };
  }
  if (read.writeIdAttribute === undefined) {
    // An item not written by this library: its first write here gives it an id to condition on.
    return {
      ConditionExpression: 'attribute_exists(#namespace) AND attribute_not_exists(#writeId)',
      ExpressionAttributeNames: {
        '#namespace': ATTRIBUTE.namespace,
        '#writeId': ATTRIBUTE.writeId,
      },
    };
  }
  // The attribute as read, even a damaged one ("", a number): DynamoDB compares type and value,
  // so the condition holds for exactly the item read, and the write repairs the id.
  return {
    ConditionExpression: '#writeId = :readWriteId',
    ExpressionAttributeNames: { '#writeId': ATTRIBUTE.writeId },
    ExpressionAttributeValues: { ':readWriteId': read.writeIdAttribute },
  };
}

/** The count after `read`, exact at any size; a damaged count restarts at 1. */
function nextVersion(read: WriteState | undefined): string {
  return read?.version === undefined ? '1' : (BigInt(read.version) + 1n).toString();
}
