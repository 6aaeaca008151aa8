/**
 * What an item of the table is: its attribute names, the write history it keeps, the types the
 * store reads it into and writes it from, and how a read item is decoded and checked. One item
 * per secret, `pk` = namespace, `sk` = key.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DecryptionError } from '../errors.ts';
import { TABLE_SCHEMA } from '../tableSchema.ts';

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
export const HISTORY_ATTRIBUTES: readonly string[] = [ATTRIBUTE.writeId, ...PRIOR_WRITE_IDS];

/**
 * What `put` shifts into a history slot that had no id yet. Not an empty string: DynamoDB
 * accepts those since 2020, but DynamoDB Local's older releases refuse them.
 */
export const EMPTY_SLOT = '-';

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

export function itemKey(namespace: string, key: string): Item {
  return { [ATTRIBUTE.namespace]: { S: namespace }, [ATTRIBUTE.key]: { S: key } };
}

/** Whether a read item is a secret: present and not a tombstone. */
export function isLive(item: Item | undefined): item is Item {
  return item !== undefined && !isTombstone(item);
}

/** The namespace of an item returned by `scanNamespacesInput` (reads.ts); none for a tombstone. */
export function namespaceOf(item: Item): string | undefined {
  return isTombstone(item) ? undefined : item[ATTRIBUTE.namespace]?.S;
}

/** The secret key of an item returned by `queryKeysInput` (reads.ts). */
export function keyOf(item: Item): string | undefined {
  return item[ATTRIBUTE.key]?.S;
}

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
