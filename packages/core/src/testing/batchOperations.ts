/**
 * BatchWriteItem (at most 25 puts and deletes) and BatchGetItem (at most 100 keys): checked as a
 * whole before anything is applied, duplicate keys refused, as DynamoDB does. Nothing is ever
 * left unprocessed unless a test asks for it (see `MemoryTable.leaveUnprocessedInNext`).
 */
import type { WireItem } from './attributeValues.ts';
import { validationError } from './dynamoErrors.ts';
import { project } from './expressionEvaluator.ts';
import { expressionScope, type Input, type Output, readProjection } from './itemOperations.ts';
import { checkFullItem, checkKey, type ItemKey, keyId, type TableStorage } from './tableStorage.ts';

export const MAX_BATCH_WRITES = 25;
export const MAX_BATCH_GETS = 100;

type WriteRequest =
  | {
      readonly kind: 'put';
      readonly tableName: string;
      readonly key: ItemKey;
      readonly item: WireItem;
      readonly request: unknown;
    }
  | {
      readonly kind: 'delete';
      readonly tableName: string;
      readonly key: ItemKey;
      readonly request: unknown;
    };

function requestMap(input: Input): [string, unknown][] {
  const requestItems = input.RequestItems;
  if (
    typeof requestItems !== 'object' ||
    requestItems === null ||
    Object.keys(requestItems).length === 0
  ) {
    throw validationError(
      "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
    );
  }
  return Object.entries(requestItems);
}

function checkWrites(storage: TableStorage, input: Input): WriteRequest[] {
  const writes: WriteRequest[] = [];
  for (const [table, requests] of requestMap(input)) {
    const tableName = storage.checkTableName(table);
    if (!Array.isArray(requests) || requests.length === 0) {
      throw validationError(
        `1 validation error detected: Value at 'requestItems.${table}.member' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    for (const request of requests as Record<string, { Item?: unknown; Key?: unknown }>[]) {
      const kinds = Object.keys(request ?? {}).filter((kind) => request[kind] !== undefined);
      if (kinds.length !== 1 || (kinds[0] !== 'PutRequest' && kinds[0] !== 'DeleteRequest')) {
        throw validationError(
          'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
        );
      }
      if (kinds[0] === 'PutRequest') {
        const { item, key } = checkFullItem(request.PutRequest?.Item);
        writes.push({ kind: 'put', tableName, key, item, request });
      } else {
        writes.push({
          kind: 'delete',
          tableName,
          key: checkKey(request.DeleteRequest?.Key),
          request,
        });
      }
    }
  }
  if (writes.length > MAX_BATCH_WRITES) {
    throw validationError(
      `1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to ${MAX_BATCH_WRITES}, Member must have length greater than or equal to 1]`,
    );
  }
  const ids = writes.map((write) => keyId(write.tableName, write.key));
  if (new Set(ids).size !== ids.length) {
    throw validationError('Provided list of item keys contains duplicates');
  }
  return writes;
}

/**
 * @param unprocessed how many of the requests (the last ones) to hand back unprocessed, as
 *   DynamoDB does under load.
 */
export function batchWriteItem(storage: TableStorage, input: Input, unprocessed = 0): Output {
  const writes = checkWrites(storage, input);
  const processedCount = Math.max(0, writes.length - unprocessed);
  const unprocessedItems: Record<string, unknown[]> = {};
  writes.forEach((write, position) => {
    if (position >= processedCount) {
      unprocessedItems[write.tableName] ??= [];
      unprocessedItems[write.tableName]?.push(write.request);
    } else if (write.kind === 'put') storage.put(write.tableName, write.key, write.item);
    else storage.delete(write.tableName, write.key);
  });
  return { UnprocessedItems: unprocessedItems };
}

/**
 * @param unprocessed how many of the keys (the last ones, across tables) to hand back as
 *   UnprocessedKeys, as DynamoDB does when a read is throttled.
 */
export function batchGetItem(storage: TableStorage, input: Input, unprocessed = 0): Output {
  const reads: {
    tableName: string;
    keys: ItemKey[];
    request: Input;
    project: (item: WireItem) => WireItem;
  }[] = [];
  let count = 0;
  for (const [table, request] of requestMap(input) as [string, Input][]) {
    const tableName = storage.checkTableName(table);
    if (!Array.isArray(request?.Keys) || request.Keys.length === 0) {
      throw validationError(
        `1 validation error detected: Value at 'requestItems.${table}.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    const scope = expressionScope(request, ['ProjectionExpression']);
    const projection = readProjection(request, scope);
    scope.checkAllUsed();
    const keys = request.Keys.map(checkKey);
    const ids = keys.map((key) => keyId(tableName, key));
    if (new Set(ids).size !== ids.length) {
      throw validationError('Provided list of item keys contains duplicates');
    }
    count += keys.length;
    reads.push({
      tableName,
      keys,
      request,
      project: (item) => (projection ? project(item, projection) : item),
    });
  }
  if (count > MAX_BATCH_GETS) {
    throw validationError(
      `Too many items requested for the BatchGetItem call; received ${count}, the limit is ${MAX_BATCH_GETS}`,
    );
  }
  const responses: Record<string, WireItem[]> = {};
  const unprocessedKeys: Record<string, Input> = {};
  let position = 0;
  const processedCount = Math.max(0, count - unprocessed);
  for (const read of reads) {
    const items: WireItem[] = [];
    const left: unknown[] = [];
    for (const [index, key] of read.keys.entries()) {
      if (position++ >= processedCount) {
        left.push((read.request.Keys as unknown[])[index]);
        continue;
      }
      const item = storage.get(read.tableName, key);
      if (item) items.push(read.project(item));
    }
    responses[read.tableName] = items;
    // Handed back with the request's own settings (ConsistentRead, projection), as DynamoDB does.
    if (left.length > 0) unprocessedKeys[read.tableName] = { ...read.request, Keys: left };
  }
  return { Responses: responses, UnprocessedKeys: unprocessedKeys };
}
