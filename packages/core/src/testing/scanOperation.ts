/**
 * Scan: every item of the table, partition by partition (in partition key order here; DynamoDB's
 * order is by hash, which no caller may rely on), paged by `Limit` and DynamoDB's 1 MB of items
 * read, then filtered and projected, like Query. Parallel scans (`Segment`) are not implemented.
 */
import { itemSize, type WireItem } from './attributeValues.ts';
import { validationError } from './dynamoErrors.ts';
import { evaluateCondition, project } from './expressionEvaluator.ts';
import { parseCondition } from './expressionParser.ts';
import {
  expressionScope,
  type Input,
  type Output,
  readProjection,
  refuseLegacyParameters,
} from './itemOperations.ts';
import { checkLimit, MAX_PAGE_BYTES } from './queryOperation.ts';
import {
  checkKey,
  compareSortKeys,
  HASH_KEY,
  type ItemKey,
  keyItem,
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
  const select =
    input.Select ?? (input.ProjectionExpression ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES');
  if (!['ALL_ATTRIBUTES', 'COUNT', 'SPECIFIC_ATTRIBUTES'].includes(select as string)) {
    throw validationError(`Select ${String(select)} is not valid for a table without indexes`);
  }
  if (input.ProjectionExpression !== undefined && select !== 'SPECIFIC_ATTRIBUTES') {
    throw validationError(
      `Cannot specify the ProjectionExpression when choosing to get ${String(select)}`,
    );
  }
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
  const items: WireItem[] = [];
  let scanned = 0;
  let bytesRead = 0;
  let lastEvaluated: WireItem | undefined;
  for (const item of storage.allItems(tableName)) {
    const itemKey = keyOfItem(item);
    if (start !== undefined && compareKeys(itemKey, start) <= 0) continue;
    scanned += 1;
    bytesRead += itemSize(item);
    if (!filter || evaluateCondition(filter, item)) {
      items.push(projection ? project(item, projection) : item);
    }
    if (scanned === limit || bytesRead >= MAX_PAGE_BYTES) {
      // As Query: a page that stopped early has a LastEvaluatedKey, even when nothing is left.
      lastEvaluated = keyItem(itemKey);
      break;
    }
  }
  return {
    ...(select === 'COUNT' ? {} : { Items: items }),
    Count: items.length,
    ScannedCount: scanned,
    ...(lastEvaluated ? { LastEvaluatedKey: lastEvaluated } : {}),
  };
}
