/**
 * The DynamoDB item schema: one item per secret, `pk` = namespace, `sk` = key.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DecryptionError } from './errors.ts';

export type Item = Record<string, AttributeValue>;

/** Attribute names, in one place. */
export const ATTRIBUTE = {
  namespace: 'pk',
  key: 'sk',
  version: 'version',
  ciphertext: 'ciphertext',
  dataKey: 'dataKey',
  keyId: 'keyId',
  dataKeyCreatedAt: 'dataKeyCreatedAt',
  updatedAt: 'updatedAt',
  writeId: 'writeId',
} as const;

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** A DynamoDB number takes at most 21 bytes (38 significant digits). */
const MAX_NUMBER_BYTES = 21;
/** `crypto.randomUUID()` */
export const WRITE_ID_BYTES = 36;

/** A secret as stored, before decryption. */
export interface StoredSecret {
  readonly version: number;
  readonly ciphertext: Uint8Array;
  readonly wrappedDataKey: Uint8Array;
  readonly keyId: string;
  readonly dataKeyCreatedAt: number;
  readonly writeId: string | undefined;
}

/** What a write stores besides the identity. */
export interface SecretRecord extends StoredSecret {
  readonly updatedAt: number;
  readonly writeId: string;
}

export function itemKey(namespace: string, key: string): Item {
  return { [ATTRIBUTE.namespace]: { S: namespace }, [ATTRIBUTE.key]: { S: key } };
}

export function toItem(namespace: string, key: string, record: SecretRecord): Item {
  return {
    ...itemKey(namespace, key),
    [ATTRIBUTE.version]: { N: String(record.version) },
    [ATTRIBUTE.ciphertext]: { B: record.ciphertext },
    [ATTRIBUTE.dataKey]: { B: record.wrappedDataKey },
    [ATTRIBUTE.keyId]: { S: record.keyId },
    [ATTRIBUTE.dataKeyCreatedAt]: { N: String(record.dataKeyCreatedAt) },
    [ATTRIBUTE.updatedAt]: { N: String(record.updatedAt) },
    [ATTRIBUTE.writeId]: { S: record.writeId },
  };
}

/**
 * Reads the attributes a decryption needs. A malformed item can only come from outside the
 * library (a hand edit, a forgery), so it is reported as a failed decryption.
 */
export function fromItem(item: Item, key: string): StoredSecret {
  const malformed = (attribute: string): never => {
    throw new DecryptionError(
      `the stored item of ${JSON.stringify(key)} is malformed: ${attribute} is missing or of the wrong type`,
    );
  };
  const number = (attribute: string): number => {
    const value = Number(item[attribute]?.N);
    return item[attribute]?.N !== undefined && Number.isFinite(value)
      ? value
      : malformed(attribute);
  };
  return {
    version: number(ATTRIBUTE.version),
    ciphertext: item[ATTRIBUTE.ciphertext]?.B ?? malformed(ATTRIBUTE.ciphertext),
    wrappedDataKey: item[ATTRIBUTE.dataKey]?.B ?? malformed(ATTRIBUTE.dataKey),
    keyId: item[ATTRIBUTE.keyId]?.S ?? malformed(ATTRIBUTE.keyId),
    dataKeyCreatedAt: number(ATTRIBUTE.dataKeyCreatedAt),
    writeId: item[ATTRIBUTE.writeId]?.S,
  };
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
  const names = Object.values(ATTRIBUTE).reduce((sum, name) => sum + name.length, 0);
  return (
    names +
    Buffer.byteLength(namespace, 'utf8') +
    Buffer.byteLength(key, 'utf8') +
    3 * MAX_NUMBER_BYTES + // version, dataKeyCreatedAt, updatedAt
    keyring.maxWrappedKeyBytes +
    keyring.maxKeyIdBytes +
    WRITE_ID_BYTES
  );
}
