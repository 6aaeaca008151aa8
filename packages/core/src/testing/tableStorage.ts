/**
 * The data of the in-process table: items by table, partition key and sort key, for ONE key
 * schema (`pk` string hash key, `sk` string range key), with DynamoDB's checks of keys and
 * item sizes.
 */

import { TABLE_SCHEMA } from '../tableSchema.ts';
import {
  checkItem,
  itemSize,
  MAX_ITEM_BYTES,
  type WireItem,
  type WireValue,
} from './attributeValues.ts';
import { resourceNotFound, validationError } from './dynamoErrors.ts';

export const HASH_KEY = TABLE_SCHEMA.partitionKey;
export const RANGE_KEY = TABLE_SCHEMA.sortKey;
export const KEY_ATTRIBUTES: readonly string[] = [HASH_KEY, RANGE_KEY];

/** DynamoDB's limits on key values, in UTF-8 bytes. */
const MAX_HASH_KEY_BYTES = 2048;
const MAX_RANGE_KEY_BYTES = 1024;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

function checkKeyValue(name: string, value: WireValue | undefined, limit: number): string {
  if (value === undefined || !('S' in value)) {
    throw validationError('The provided key element does not match the schema');
  }
  if (value.S === '') {
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
    );
  }
  const bytes = Buffer.byteLength(value.S, 'utf8');
  if (bytes > limit) {
    throw validationError(
      name === HASH_KEY
        ? `One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of ${limit} bytes`
        : `One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${limit} bytes`,
    );
  }
  return value.S;
}

/** A `Key` parameter: exactly the two key attributes, non-empty strings. */
export function checkKey(key: unknown): ItemKey {
  const checked = checkItem(key ?? {});
  if (Object.keys(checked).length !== KEY_ATTRIBUTES.length) {
    throw validationError('The provided key element does not match the schema');
  }
  return {
    pk: checkKeyValue(HASH_KEY, checked[HASH_KEY], MAX_HASH_KEY_BYTES),
    sk: checkKeyValue(RANGE_KEY, checked[RANGE_KEY], MAX_RANGE_KEY_BYTES),
  };
}

/** An `Item` parameter: valid values, both key attributes, at most 400 KB. */
export function checkFullItem(item: unknown): { item: WireItem; key: ItemKey } {
  if (item === undefined)
    throw validationError('One or more parameter values were invalid: Item is missing');
  const checked = checkItem(item);
  for (const name of KEY_ATTRIBUTES) {
    const value = checked[name];
    if (value === undefined) {
      throw validationError(
        `One or more parameter values were invalid: Missing the key ${name} in the item`,
      );
    }
    if (!('S' in value)) {
      throw validationError(
        `One or more parameter values were invalid: Type mismatch for key ${name} expected: S actual: ${Object.keys(value)[0]}`,
      );
    }
  }
  const key = checkKey({ [HASH_KEY]: checked[HASH_KEY], [RANGE_KEY]: checked[RANGE_KEY] });
  checkItemSize(checked, 'Item size has exceeded the maximum allowed size');
  return { item: checked, key };
}

export function checkItemSize(item: WireItem, message: string): void {
  if (itemSize(item) > MAX_ITEM_BYTES) throw validationError(message);
}

export function keyItem(key: ItemKey): WireItem {
  return { [HASH_KEY]: { S: key.pk }, [RANGE_KEY]: { S: key.sk } };
}

export function keyId(tableName: string, key: ItemKey): string {
  return JSON.stringify([tableName, key.pk, key.sk]);
}

/** DynamoDB orders sort keys by their UTF-8 bytes. */
export function compareSortKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class TableStorage {
  private readonly tables = new Map<string, Map<string, Map<string, WireItem>>>();

  /** @param declared table names that exist; undefined: any valid name exists. */
  constructor(private readonly declared: readonly string[] | undefined) {}

  /** Checks a `TableName` parameter and answers ResourceNotFound for an undeclared table. */
  checkTableName(name: unknown): string {
    if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
      throw validationError(
        `1 validation error detected: Value ${JSON.stringify(name)} at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255`,
      );
    }
    if (this.declared && !this.declared.includes(name)) throw resourceNotFound();
    return name;
  }

  private partition(
    tableName: string,
    pk: string,
    create: boolean,
  ): Map<string, WireItem> | undefined {
    let table = this.tables.get(tableName);
    if (!table && create) {
      table = new Map();
      this.tables.set(tableName, table);
    }
    let partition = table?.get(pk);
    if (!partition && create && table) {
      partition = new Map();
      table.set(pk, partition);
    }
    return partition;
  }

  get(tableName: string, key: ItemKey): WireItem | undefined {
    return this.partition(tableName, key.pk, false)?.get(key.sk);
  }

  put(tableName: string, key: ItemKey, item: WireItem): void {
    this.partition(tableName, key.pk, true)?.set(key.sk, structuredClone(item));
  }

  delete(tableName: string, key: ItemKey): void {
    const partition = this.partition(tableName, key.pk, false);
    partition?.delete(key.sk);
    if (partition?.size === 0) this.tables.get(tableName)?.delete(key.pk);
  }

  /** The items of one partition in sort key order. */
  partitionItems(tableName: string, pk: string): WireItem[] {
    const partition = this.partition(tableName, pk, false);
    if (!partition) return [];
    return [...partition.entries()]
      .sort(([a], [b]) => compareSortKeys(a, b))
      .map(([, item]) => item);
  }

  /** Every item of a table, by partition then sort key. */
  allItems(tableName: string): WireItem[] {
    const table = this.tables.get(tableName);
    if (!table) return [];
    return [...table.keys()]
      .sort(compareSortKeys)
      .flatMap((pk) => this.partitionItems(tableName, pk));
  }

  tableNames(): string[] {
    return [...(this.declared ?? this.tables.keys())];
  }

  clear(): void {
    this.tables.clear();
  }
}
