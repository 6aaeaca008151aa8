/**
 * What Query and Scan share: `Select` and `Limit` as DynamoDB checks them, and the reading of one
 * page: items in order, stopped at `Limit` items or 1 MB read (before the filter), then filtered
 * and projected, with a `LastEvaluatedKey` whenever the page stopped early.
 */
import { itemSize, type WireItem } from './attributeValues.ts';
import { validationError } from './dynamoErrors.ts';
import { evaluateCondition, project } from './expressionEvaluator.ts';
import type { Condition, Path } from './expressionSyntax.ts';
import type { Input, Output } from './itemOperations.ts';
import { HASH_KEY, keyItem, RANGE_KEY } from './tableStorage.ts';

/** DynamoDB stops a page once it has read 1 MB of items (before the filter). */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** `Select` of a table without indexes, checked against `ProjectionExpression`. */
export function checkSelect(input: Input): string {
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
  return select as string;
}

/** `Limit`: a positive integer, or absent. */
export function checkLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw validationError(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  return limit;
}

export interface PageOptions {
  readonly select: string;
  readonly limit: number | undefined;
  readonly filter: Condition | undefined;
  readonly projection: Path[] | undefined;
}

/** Reads one page from `candidates`, the items after the start key in the operation's order. */
export function readPage(candidates: Iterable<WireItem>, options: PageOptions): Output {
  const items: WireItem[] = [];
  let scanned = 0;
  let bytesRead = 0;
  let lastEvaluated: WireItem | undefined;
  for (const item of candidates) {
    scanned += 1;
    bytesRead += itemSize(item);
    if (!options.filter || evaluateCondition(options.filter, item)) {
      items.push(options.projection ? project(item, options.projection) : item);
    }
    if (scanned === options.limit || bytesRead >= MAX_PAGE_BYTES) {
      // DynamoDB answers with a LastEvaluatedKey whenever it stopped early, even if nothing is left.
      lastEvaluated = keyItem({
        pk: (item[HASH_KEY] as { S: string }).S,
        sk: (item[RANGE_KEY] as { S: string }).S,
      });
      break;
    }
  }
  return {
    ...(options.select === 'COUNT' ? {} : { Items: items }),
    Count: items.length,
    ScannedCount: scanned,
    ...(lastEvaluated ? { LastEvaluatedKey: lastEvaluated } : {}),
  };
}
