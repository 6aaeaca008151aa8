/**
 * The one home of the table's item schema and of every DynamoDB command the store sends about a
 * secret: attribute names, expressions, conditions and the write history. One item per secret,
 * `pk` = namespace, `sk` = key.
 *
 * Write protocol v3 (DESIGN.md; the decisions live in secretWriter.ts). Every write carries a
 * fresh random `writeId` and keeps the ids of the last {@link HISTORY_LENGTH} writes in the item,
 * newest first: `writeId` itself, then
 * `priorWriteId1` ... `priorWriteId7`. They are separate top-level attributes, not a list,
 * because `put` must shift them without reading the item first, and an update expression can
 * copy one top-level attribute into another (every operand is evaluated against the item as it
 * was before the update) but cannot truncate a list.
 *
 * - A conditional write (patch, field delete) is conditioned on the `writeId` it read, which
 *   never repeats for a key, or on the item's absence: no ABA after a delete and re-create.
 * - A write that failed its condition finds out whether an earlier copy of itself landed by
 *   looking for its own id in the history ({@link historyOf}).
 * - `put` and `delete` are conditioned on their id NOT being in the history, so a late copy of
 *   one that already landed fails instead of erasing the writes made after it.
 * - `delete` leaves a tombstone ({@link isTombstone}) that carries the history on.
 */
import type {
  AttributeValue,
  BatchGetItemCommandInput,
  Delete,
  DeleteItemCommandInput,
  GetItemCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  TransactWriteItem,
  UpdateItemCommandInput,
  WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DecryptionError } from './errors.ts';
import { TABLE_SCHEMA } from './tableSchema.ts';

export type Item = Record<string, AttributeValue>;

/** How many recent write ids an item keeps: the newest (`writeId`) and seven before it. */
export const HISTORY_LENGTH = 8;

const PRIOR_WRITE_IDS = Array.from(
  { length: HISTORY_LENGTH - 1 },
  (_, index) => `priorWriteId${index + 1}`,
);

/** Attribute names, in one place. */
export const ATTRIBUTE = {
  namespace: TABLE_SCHEMA.partitionKey,
  key: TABLE_SCHEMA.sortKey,
  version: 'version',
  ciphertext: 'ciphertext',
  dataKey: 'dataKey',
  keyId: 'keyId',
  dataKeyCreatedAt: 'dataKeyCreatedAt',
  updatedAt: 'updatedAt',
  writeId: 'writeId',
  /** Epoch seconds; present only on a tombstone, and the table's TTL attribute. */
  expiresAt: TABLE_SCHEMA.timeToLiveAttribute,
  /**
   * The secret's lease (`refresh`, leaseItem.ts): a random id that every lease write replaces
   * (take, renew, release, the holder's final write), the fencing token. Once set it stays: an
   * id never repeats, so a write conditioned on one can never land after it moved on.
   */
  leaseId: 'leaseId',
  /** Present while the lease is held: how long its holder may stay silent before a takeover. */
  leaseMs: 'leaseMs',
} as const;

/** The history's attributes, newest first: `writeId`, `priorWriteId1`, ... */
const HISTORY_ATTRIBUTES: readonly string[] = [ATTRIBUTE.writeId, ...PRIOR_WRITE_IDS];

/**
 * What `put` shifts into a history slot that had no id yet. Not an empty string: DynamoDB
 * accepts those since 2020, but DynamoDB Local's older releases refuse them.
 */
const EMPTY_SLOT = '-';

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** A DynamoDB number takes at most 21 bytes (38 significant digits). */
const MAX_NUMBER_BYTES = 21;
/** A write id: 128 random bits, base64url. */
export const WRITE_ID_BYTES = 22;

/** Where a secret lives. */
export interface SecretAddress {
  readonly tableName: string;
  readonly namespace: string;
  readonly key: string;
}

/** What the write protocol needs of an item: its last write id, the history and the count. */
export interface WriteState {
  /**
   * The write count as DynamoDB holds it (a decimal string), or `undefined` when it is corrupt
   * (see `versionIsCorrupt`): a damaged count is restarted by the next write, never trusted.
   */
  readonly version: string | undefined;
  /**
   * Whether the count is one `put`'s increment cannot take: stored with another type than N, or
   * a number that is not a count this library writes (below 1, above {@link MAX_COUNT}, not an
   * integer: `9.99E125 + 1` and `1E-130 + 1` are a ValidationException). A whole-item write
   * replaces it.
   */
  readonly versionIsCorrupt: boolean;
  /** The id of the write that made this item; `undefined` only for items not written by this library. */
  readonly writeId: string | undefined;
  /**
   * The `writeId` attribute exactly as stored, whatever it holds (a damaged one included): what
   * the next write is conditioned on, so that a condition can always hold for the item read.
   */
  readonly writeIdAttribute: AttributeValue | undefined;
  /** The ids of the most recent writes, newest first (`writeId` first). */
  readonly history: readonly string[];
}

/** A secret as stored, before decryption. */
export interface StoredSecret extends WriteState {
  readonly ciphertext: Uint8Array;
  readonly wrappedDataKey: Uint8Array;
  readonly keyId: string;
  readonly dataKeyCreatedAt: number;
  /** Epoch ms of the last write of the value; `undefined` for an item not written by this library. */
  readonly updatedAt: number | undefined;
}

/** What a write stores, besides the item's identity and history. */
export interface SecretRecord {
  readonly ciphertext: Uint8Array;
  readonly wrappedDataKey: Uint8Array;
  readonly keyId: string;
  readonly dataKeyCreatedAt: number;
  readonly updatedAt: number;
  readonly writeId: string;
}

/**
 * A tombstone (write protocol v3): what `delete` leaves of a secret. The same key, no value
 * (no ciphertext, data key or key id), the write history carried on so that a re-sent copy of an
 * earlier write cannot land again across the delete, `updatedAt` = the time of the delete, and
 * `expiresAt` (epoch seconds) after which DynamoDB's TTL removes it. An item holding `expiresAt`
 * is a tombstone: every read treats it as absent.
 */
export function isTombstone(item: Item): boolean {
  return item[ATTRIBUTE.expiresAt] !== undefined;
}

/** How long a tombstone outlives its delete before the table's TTL removes it. */
export const TOMBSTONE_TTL_SECONDS = 24 * 60 * 60;

export function itemKey(namespace: string, key: string): Item {
  return { [ATTRIBUTE.namespace]: { S: namespace }, [ATTRIBUTE.key]: { S: key } };
}

// ---------------------------------------------------------------------------------------------
// Reads

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
 * decrypt (see {@link isLive}).
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

/** Whether a read item is a secret: present and not a tombstone. */
export function isLive(item: Item | undefined): item is Item {
  return item !== undefined && !isTombstone(item);
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
 * True for an item last written before `:cutoff`, or with no `updatedAt` (no write of the
 * store made it), or a tombstone (`expiresAt`): what an uninstall deletes of an installation
 * that was followed by another. A tombstone holds no value of anyone, and a sweep must be able
 * to empty the namespace whenever its delete happened.
 */
const WRITTEN_BEFORE_CONDITION =
  '(attribute_not_exists(#updatedAt) OR #updatedAt < :cutoff OR attribute_exists(#expiresAt))';

/** The names {@link WRITTEN_BEFORE_CONDITION} uses. */
const WRITTEN_BEFORE_NAMES = {
  '#updatedAt': ATTRIBUTE.updatedAt,
  '#expiresAt': ATTRIBUTE.expiresAt,
} as const;

/**
 * One page of a namespace's keys, names only (sort keys of reserved items and tombstones
 * included, with the tombstone mark: {@link isTombstone}); with
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

/** The namespace of an item returned by {@link scanNamespacesInput}; none for a tombstone. */
export function namespaceOf(item: Item): string | undefined {
  return isTombstone(item) ? undefined : item[ATTRIBUTE.namespace]?.S;
}

/** The secret key of an item returned by {@link queryKeysInput}. */
export function keyOf(item: Item): string | undefined {
  return item[ATTRIBUTE.key]?.S;
}

// ---------------------------------------------------------------------------------------------
// Writes

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

// ---------------------------------------------------------------------------------------------
// Decoding

/** The write ids of an item's history, newest first, as far as it holds them. */
export function historyOf(item: Item): string[] {
  const history: string[] = [];
  for (const name of HISTORY_ATTRIBUTES) {
    const id = item[name]?.S;
    // A gap ends the history: what follows cannot be trusted to be contiguous.
    if (id === undefined || id === '' || id === EMPTY_SLOT) break;
    history.push(id);
  }
  return history;
}

const DECIMAL_COUNT = /^\d{1,38}$/;

/**
 * The largest count a put may increment: one more still fits DynamoDB's 38 digits of precision.
 * A count above it, below 1 or not an integer is corrupt (see {@link WriteState.versionIsCorrupt}).
 */
export const MAX_COUNT = `${'9'.repeat(37)}8`;

/** Whether `text`, a count as DynamoDB returns it, is one a put can increment. */
function isCount(text: string | undefined): text is string {
  // Digits only, not all zeros, and at most MAX_COUNT (same length: text order is number order).
  return (
    text !== undefined &&
    DECIMAL_COUNT.test(text) &&
    /[1-9]/.test(text) &&
    (text.length < MAX_COUNT.length || text <= MAX_COUNT)
  );
}

function safeInteger(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isSafeInteger(value) ? value : undefined;
}

/** The write state of any item, even one too damaged to decrypt (a put may still replace it). */
export function writeStateOf(item: Item): WriteState {
  const version = item[ATTRIBUTE.version]?.N;
  const history = historyOf(item);
  return {
    version: isCount(version) ? version : undefined,
    versionIsCorrupt: item[ATTRIBUTE.version] !== undefined && !isCount(version),
    writeId: history[0],
    writeIdAttribute: item[ATTRIBUTE.writeId],
    history,
  };
}

/**
 * Reads the attributes a decryption needs. A malformed item can only come from outside the
 * library (a hand edit, a forgery), so it is reported as a failed decryption. A damaged write
 * count is not an error: the next write restarts it.
 */
export function fromItem(item: Item, key: string): StoredSecret {
  const createdAt = item[ATTRIBUTE.dataKeyCreatedAt]?.N;
  const dataKeyCreatedAt = Number(createdAt);
  if (createdAt === undefined || !Number.isSafeInteger(dataKeyCreatedAt)) {
    throw malformedItem(key, ATTRIBUTE.dataKeyCreatedAt);
  }
  const ciphertext = item[ATTRIBUTE.ciphertext]?.B;
  if (ciphertext === undefined) throw malformedItem(key, ATTRIBUTE.ciphertext);
  const wrappedDataKey = item[ATTRIBUTE.dataKey]?.B;
  if (wrappedDataKey === undefined) throw malformedItem(key, ATTRIBUTE.dataKey);
  const keyId = item[ATTRIBUTE.keyId]?.S;
  if (keyId === undefined) throw malformedItem(key, ATTRIBUTE.keyId);
  const state = writeStateOf(item);
  // Field by field, not `{ ...state, ... }`: on every read, the spread cost more than the rest
  // of this function together (npm run bench, reads; see the README).
  return {
    version: state.version,
    versionIsCorrupt: state.versionIsCorrupt,
    writeId: state.writeId,
    writeIdAttribute: state.writeIdAttribute,
    history: state.history,
    ciphertext,
    wrappedDataKey,
    keyId,
    dataKeyCreatedAt,
    updatedAt: safeInteger(item[ATTRIBUTE.updatedAt]?.N),
  };
}

function malformedItem(key: string, attribute: string): DecryptionError {
  return new DecryptionError(
    `the stored item of ${JSON.stringify(key)} is malformed: ${attribute} is missing or of the wrong type`,
  );
}

/**
 * The size of a secret's item without its ciphertext, as DynamoDB counts it (attribute names
 * plus values), with the keyring's upper bounds for the wrapped key and key id.
 */
export function itemBytesBesidesCiphertext(
  namespace: string,
  key: string,
  keyring: { readonly maxWrappedKeyBytes: number; readonly maxKeyIdBytes: number },
): number {
  const names = [...Object.values(ATTRIBUTE), ...PRIOR_WRITE_IDS].reduce(
    (sum, name) => sum + name.length,
    0,
  );
  return (
    names +
    Buffer.byteLength(namespace, 'utf8') +
    Buffer.byteLength(key, 'utf8') +
    3 * MAX_NUMBER_BYTES + // version, dataKeyCreatedAt, updatedAt
    keyring.maxWrappedKeyBytes +
    keyring.maxKeyIdBytes +
    HISTORY_LENGTH * WRITE_ID_BYTES
  );
}
