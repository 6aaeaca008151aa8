/**
 * The one home of the table's item schema and of every DynamoDB command the store sends about a
 * secret: attribute names, expressions, conditions and the write history. One item per secret,
 * `pk` = namespace, `sk` = key. What an item is lives in schema.ts; the commands, by kind, in
 * reads.ts, writes.ts and deletes.ts.
 *
 * Write protocol v3 (DESIGN.md; the decisions live in writeLoop.ts). Every write carries a
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
export {
  batchDeleteRequest,
  deleteWrittenBeforeInput,
  keyOfBatchDelete,
  transactDeleteWrittenBefore,
} from './deletes.ts';
export {
  batchGetSecretsInput,
  existsInput,
  getSecretInput,
  MAX_BATCH_GET_KEYS,
  queryKeysInput,
  scanNamespacesInput,
} from './reads.ts';
export {
  ATTRIBUTE,
  fromItem,
  HISTORY_LENGTH,
  historyOf,
  type Item,
  isLive,
  isTombstone,
  itemBytesBesidesCiphertext,
  itemKey,
  keyOf,
  MAX_ITEM_BYTES,
  namespaceOf,
  type SecretAddress,
  type SecretRecord,
  type StoredSecret,
  type WriteState,
  writeStateOf,
} from './schema.ts';
export {
  type LeaseFence,
  putSecretInput,
  replacedItem,
  replaceSecretInput,
  tombstoneExpiry,
  tombstoneInput,
} from './writes.ts';
