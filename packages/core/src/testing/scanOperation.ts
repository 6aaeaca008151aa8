/**
 * Scan: every item of the table, partition by partition (in partition key order here; DynamoDB's
 * order is by hash, which no caller may rely on), paged by `Limit` and DynamoDB's 1 MB of items
 * read, then filtered and projected, like Query. Parallel scans (`Segment`) are not implemented.
 */
import type { WireItem } from './attributeValues.ts';
import { validationError } from './dynamoErrors.ts';
import { parseCondition } from './expressionParser.ts';
import {
  expressionScope,
  type Input,
  type Output,
  readProjection,
  refuseLegacyParameters,
} from './itemOperations.ts';
import { checkLimit, checkSelect, readPage } from './pageReading.ts';
import {
  checkKey,
  compareSortKeys,
  HASH_KEY,
  type ItemKey,
  RANGE_KEY,
  type TableStorage,
} from './tableStorage.ts';

const keyOfItem = (item: WireItem): ItemKey => ({
  pk: (item[HASH_KEY] as { S: string }).S,
  sk: (item[RANGE_KEY] as { S: string }).S,
});

/** The table's scan order: partition key, then sort key (both by UTF-8 bytes). */
function compareKeys(a: ItemKey, b: ItemKey): number {
  return compareSortKeys(a.pk, b.pk) || compareSortKeys(a.sk, b.sk);
}

export function scan(storage: TableStorage, input: Input): Output {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  if (input.IndexName !== undefined) {
    throw validationError(
      `The table does not have the specified index: ${String(input.IndexName)}`,
    );
  }
  if (input.Segment !== undefined || input.TotalSegments !== undefined) {
    throw validationError('MemoryTable does not implement parallel scans (Segment, TotalSegments)');
  }
  const select = checkSelect(input);
  const limit = checkLimit(input.Limit);
  const scope = expressionScope(input, ['FilterExpression', 'ProjectionExpression']);
  // Unlike Query's, a Scan's filter may name the key attributes.
  const filter =
    input.FilterExpression === undefined
      ? undefined
      : parseCondition('FilterExpression', input.FilterExpression, scope);
  const projection = readProjection(input, scope);
  scope.checkAllUsed();

  const start =
    input.ExclusiveStartKey === undefined ? undefined : checkKey(input.ExclusiveStartKey);
  const after = (item: WireItem) => start === undefined || compareKeys(keyOfItem(item), start) > 0;
  return readPage(storage.allItems(tableName).filter(after), {
    select,
    limit,
    filter,
    projection,
  });
}
