/**
 * GetItem, PutItem, UpdateItem, DeleteItem, and the ConditionCheck of a transaction. A write
 * is first planned (input checked, condition evaluated, new item computed) and then committed,
 * so a transaction can plan all its writes before it commits any.
 */
import type { WireItem, WireValue } from './attributeValues.ts';
import { conditionalCheckFailed, validationError } from './dynamoErrors.ts';
import {
  applyUpdate,
  checkNoOverlap,
  evaluateCondition,
  project,
  readPath,
} from './expressionEvaluator.ts';
import {
  ExpressionScope,
  parseCondition,
  parseProjection,
  parseUpdate,
} from './expressionParser.ts';
import type { Condition, Path, UpdateActions } from './expressionSyntax.ts';
import {
  checkFullItem,
  checkItemSize,
  checkKey,
  type ItemKey,
  KEY_ATTRIBUTES,
  keyItem,
  type TableStorage,
} from './tableStorage.ts';

export type Input = Readonly<Record<string, unknown>>;
export type Output = Record<string, unknown>;

/** Parameters of DynamoDB's pre-expression API, which the table refuses rather than ignores. */
const LEGACY_PARAMETERS = [
  'AttributesToGet',
  'Expected',
  'AttributeUpdates',
  'ConditionalOperator',
  'KeyConditions',
  'QueryFilter',
  'ScanFilter',
];

export function refuseLegacyParameters(input: Input): void {
  for (const parameter of LEGACY_PARAMETERS) {
    if (input[parameter] !== undefined) {
      throw validationError(
        `MemoryTable supports expressions only; the legacy parameter ${parameter} is not implemented`,
      );
    }
  }
}

/** The request's `#names`/`:values`, refused when no expression of the request can use them. */
export function expressionScope(
  input: Input,
  expressionParameters: readonly string[],
): ExpressionScope {
  const hasExpression = expressionParameters.some((name) => input[name] !== undefined);
  if (!hasExpression) {
    for (const parameter of ['ExpressionAttributeNames', 'ExpressionAttributeValues']) {
      if (input[parameter] !== undefined) {
        throw validationError(`${parameter} can only be specified when using expressions`);
      }
    }
  }
  return new ExpressionScope(input);
}

function checkChoice(input: Input, parameter: string, allowed: readonly string[]): string {
  const value = input[parameter] ?? 'NONE';
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw validationError(
      `1 validation error detected: Value ${JSON.stringify(value)} at '${parameter}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value;
}

function optionalCondition(input: Input, scope: ExpressionScope): Condition | undefined {
  return input.ConditionExpression === undefined
    ? undefined
    : parseCondition('ConditionExpression', input.ConditionExpression, scope);
}

/** What one item write would do; committed only when every write of the request may go. */
export interface PlannedWrite {
  readonly tableName: string;
  readonly key: ItemKey;
  readonly before: WireItem | undefined;
  /** The item after the write: an item, `null` for deleted, `undefined` for unchanged. */
  readonly after: WireItem | null | undefined;
  readonly conditionHolds: boolean;
  readonly returnOldOnFailure: boolean;
  readonly returnValues: string;
  readonly updatedPaths: readonly Path[];
}

function planned(
  storage: TableStorage,
  tableName: string,
  key: ItemKey,
  input: Input,
  condition: Condition | undefined,
  returnValues: string,
  after: (before: WireItem | undefined) => {
    item: WireItem | null | undefined;
    paths?: readonly Path[];
  },
): PlannedWrite {
  const returnOldOnFailure =
    checkChoice(input, 'ReturnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE']) === 'ALL_OLD';
  const before = storage.get(tableName, key);
  const conditionHolds = condition === undefined || evaluateCondition(condition, before ?? {});
  if (!conditionHolds) {
    return {
      tableName,
      key,
      before,
      after: undefined,
      conditionHolds,
      returnOldOnFailure,
      returnValues,
      updatedPaths: [],
    };
  }
  const result = after(before);
  return {
    tableName,
    key,
    before,
    after: result.item,
    conditionHolds,
    returnOldOnFailure,
    returnValues,
    updatedPaths: result.paths ?? [],
  };
}

export function planPut(storage: TableStorage, input: Input): PlannedWrite {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  const { item, key } = checkFullItem(input.Item);
  const returnValues = checkChoice(input, 'ReturnValues', ['NONE', 'ALL_OLD']);
  const scope = expressionScope(input, ['ConditionExpression']);
  const condition = optionalCondition(input, scope);
  scope.checkAllUsed();
  return planned(storage, tableName, key, input, condition, returnValues, () => ({ item }));
}

export function planDelete(storage: TableStorage, input: Input): PlannedWrite {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  const key = checkKey(input.Key);
  const returnValues = checkChoice(input, 'ReturnValues', ['NONE', 'ALL_OLD']);
  const scope = expressionScope(input, ['ConditionExpression']);
  const condition = optionalCondition(input, scope);
  scope.checkAllUsed();
  return planned(storage, tableName, key, input, condition, returnValues, () => ({ item: null }));
}

export function planUpdate(storage: TableStorage, input: Input): PlannedWrite {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  const key = checkKey(input.Key);
  const returnValues = checkChoice(input, 'ReturnValues', [
    'NONE',
    'ALL_OLD',
    'UPDATED_OLD',
    'ALL_NEW',
    'UPDATED_NEW',
  ]);
  const scope = expressionScope(input, ['ConditionExpression', 'UpdateExpression']);
  const actions: UpdateActions =
    input.UpdateExpression === undefined
      ? { set: [], remove: [], add: [], delete: [] }
      : parseUpdate(input.UpdateExpression, scope);
  const condition = optionalCondition(input, scope);
  scope.checkAllUsed();
  return planned(storage, tableName, key, input, condition, returnValues, (before) => {
    const { item, updatedPaths } = applyUpdate(before ?? keyItem(key), actions, KEY_ATTRIBUTES);
    checkItemSize(item, 'Item size to update has exceeded the maximum allowed size');
    return { item, paths: updatedPaths };
  });
}

export function planConditionCheck(storage: TableStorage, input: Input): PlannedWrite {
  const tableName = storage.checkTableName(input.TableName);
  const key = checkKey(input.Key);
  if (input.ConditionExpression === undefined) {
    throw validationError('ConditionCheck requires a ConditionExpression');
  }
  const scope = expressionScope(input, ['ConditionExpression']);
  const condition = optionalCondition(input, scope);
  scope.checkAllUsed();
  return planned(storage, tableName, key, input, condition, 'NONE', () => ({ item: undefined }));
}

export function commit(storage: TableStorage, write: PlannedWrite): void {
  if (write.after === null) storage.delete(write.tableName, write.key);
  else if (write.after !== undefined) storage.put(write.tableName, write.key, write.after);
}

/**
 * `UPDATED_OLD`/`UPDATED_NEW`: the whole top-level attribute of each updated path that exists in
 * the item (before or after), as DynamoDB Local answers (`SET m.b.d` returns all of `m`).
 */
function updatedAttributes(item: WireItem, paths: readonly Path[]): WireItem {
  const attributes: Record<string, WireValue> = {};
  for (const path of paths) {
    const name = (path[0] as { name: string }).name;
    const value = item[name];
    if (value !== undefined && readPath(item, path) !== undefined) attributes[name] = value;
  }
  return attributes;
}

/** Commits a single write, or throws DynamoDB's ConditionalCheckFailedException. */
export function commitOrFail(storage: TableStorage, write: PlannedWrite): Output {
  if (!write.conditionHolds) {
    throw conditionalCheckFailed(write.returnOldOnFailure ? write.before : undefined);
  }
  commit(storage, write);
  const after = write.after ?? undefined;
  let attributes: WireItem | undefined;
  switch (write.returnValues) {
    case 'ALL_OLD':
      attributes = write.before;
      break;
    case 'ALL_NEW':
      attributes = after;
      break;
    case 'UPDATED_OLD':
      attributes = write.before && updatedAttributes(write.before, write.updatedPaths);
      break;
    case 'UPDATED_NEW':
      attributes = after && updatedAttributes(after, write.updatedPaths);
      break;
  }
  return attributes && Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
}

/** A projection of a read request, or undefined for every attribute. */
export function readProjection(input: Input, scope: ExpressionScope): Path[] | undefined {
  if (input.ProjectionExpression === undefined) return undefined;
  const paths = parseProjection(input.ProjectionExpression, scope);
  checkNoOverlap(paths, 'ProjectionExpression');
  return paths;
}

export function getItem(storage: TableStorage, input: Input): Output {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  const key = checkKey(input.Key);
  if (input.ConsistentRead !== undefined && typeof input.ConsistentRead !== 'boolean') {
    throw validationError('ConsistentRead must be a boolean');
  }
  const scope = expressionScope(input, ['ProjectionExpression']);
  const projection = readProjection(input, scope);
  scope.checkAllUsed();
  // Every read of the in-process table is strongly consistent.
  const item = storage.get(tableName, key);
  if (!item) return {};
  return { Item: projection ? project(item, projection) : item };
}

export function putItem(storage: TableStorage, input: Input): Output {
  return commitOrFail(storage, planPut(storage, input));
}

export function updateItem(storage: TableStorage, input: Input): Output {
  return commitOrFail(storage, planUpdate(storage, input));
}

export function deleteItem(storage: TableStorage, input: Input): Output {
  return commitOrFail(storage, planDelete(storage, input));
}
