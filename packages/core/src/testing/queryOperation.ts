import { validationError } from './dynamoErrors.ts';
import { parseCondition } from './expressionParser.ts';
import type { Condition, Operand } from './expressionSyntax.ts';
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
  KEY_ATTRIBUTES,
  RANGE_KEY,
  type TableStorage,
} from './tableStorage.ts';

type SortKeyTest = (sortKey: string) => boolean;

function invalidKeyCondition(reason: string): never {
  throw validationError(`Invalid KeyConditionExpression: ${reason}`);
}

function keyAttributeOf(operand: Operand): string | undefined {
  return operand.kind === 'path' && operand.path.length === 1 && 'name' in (operand.path[0] ?? {})
    ? (operand.path[0] as { name: string }).name
    : undefined;
}

function stringValue(operand: Operand): string {
  if (operand.kind !== 'value')
    invalidKeyCondition('Conditions can only compare a key attribute with a value');
  if (!('S' in operand.value)) {
    throw validationError(
      'One or more parameter values were invalid: Condition parameter type does not match schema type',
    );
  }
  return operand.value.S;
}

/** Splits a key condition into the partition key and a test of sort keys, as DynamoDB allows. */
function keyCondition(condition: Condition): { pk: string; sortKeyTest: SortKeyTest } {
  const parts: Condition[] = [];
  const flatten = (node: Condition) => {
    if (node.kind === 'and') {
      flatten(node.left);
      flatten(node.right);
    } else parts.push(node);
  };
  flatten(condition);
  if (parts.length > 2)
    invalidKeyCondition('The expression contains too many conditions for a key condition');
  let pk: string | undefined;
  let sortKeyTest: SortKeyTest | undefined;
  for (const part of parts) {
    if (part.kind === 'compare') {
      let attribute = keyAttributeOf(part.left);
      let valueSide = part.right;
      let comparator = part.comparator;
      if (attribute === undefined) {
        // `:v < sk` means `sk > :v`.
        attribute = keyAttributeOf(part.right);
        valueSide = part.left;
        const mirrored = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;
        comparator = mirrored[comparator as keyof typeof mirrored] ?? comparator;
      }
      if (attribute === undefined)
        invalidKeyCondition('The key condition must name a key attribute');
      if (comparator === '<>')
        invalidKeyCondition('Unsupported operator on KeyConditionExpression: operator: <>');
      if (attribute !== HASH_KEY && attribute !== RANGE_KEY) {
        throw validationError(`Query condition missed key schema element: ${RANGE_KEY}`);
      }
      const value = stringValue(valueSide);
      if (attribute === HASH_KEY) {
        if (comparator !== '=') invalidKeyCondition(`Query key condition not supported`);
        if (pk !== undefined)
          invalidKeyCondition('KeyConditionExpressions must only contain one condition per key');
        pk = value;
        continue;
      }
      if (sortKeyTest)
        invalidKeyCondition('KeyConditionExpressions must only contain one condition per key');
      const tests: Record<string, SortKeyTest> = {
        '=': (sk) => compareSortKeys(sk, value) === 0,
        '<': (sk) => compareSortKeys(sk, value) < 0,
        '<=': (sk) => compareSortKeys(sk, value) <= 0,
        '>': (sk) => compareSortKeys(sk, value) > 0,
        '>=': (sk) => compareSortKeys(sk, value) >= 0,
      };
      sortKeyTest = tests[comparator];
    } else if (part.kind === 'between') {
      if (keyAttributeOf(part.operand) !== RANGE_KEY)
        invalidKeyCondition('BETWEEN applies to the sort key only');
      if (sortKeyTest)
        invalidKeyCondition('KeyConditionExpressions must only contain one condition per key');
      const low = stringValue(part.low);
      const high = stringValue(part.high);
      sortKeyTest = (sk) => compareSortKeys(low, sk) <= 0 && compareSortKeys(sk, high) <= 0;
    } else if (part.kind === 'function' && part.name === 'begins_with') {
      const [subject, prefixOperand] = part.args as [Operand, Operand];
      if (keyAttributeOf(subject) !== RANGE_KEY)
        invalidKeyCondition('begins_with applies to the sort key only');
      if (sortKeyTest)
        invalidKeyCondition('KeyConditionExpressions must only contain one condition per key');
      const prefix = stringValue(prefixOperand);
      sortKeyTest = (sk) => sk.startsWith(prefix);
    } else {
      invalidKeyCondition(
        `Unsupported operator or function in a key condition: ${part.kind === 'function' ? part.name : part.kind.toUpperCase()}`,
      );
    }
  }
  if (pk === undefined)
    throw validationError(`Query condition missed key schema element: ${HASH_KEY}`);
  return { pk, sortKeyTest: sortKeyTest ?? (() => true) };
}

/** A filter may not name a key attribute, as in DynamoDB. */
function refuseKeysInFilter(condition: Condition): void {
  const operands: Operand[] = [];
  const walk = (node: Condition): void => {
    switch (node.kind) {
      case 'and':
      case 'or':
        walk(node.left);
        walk(node.right);
        return;
      case 'not':
        walk(node.condition);
        return;
      case 'compare':
        operands.push(node.left, node.right);
        return;
      case 'between':
        operands.push(node.operand, node.low, node.high);
        return;
      case 'in':
        operands.push(node.operand, ...node.list);
        return;
      case 'function':
        operands.push(...node.args);
    }
  };
  walk(condition);
  for (const operand of operands) {
    if (operand.kind !== 'path' && operand.kind !== 'size') continue;
    const first = operand.path[0];
    if (first && 'name' in first && KEY_ATTRIBUTES.includes(first.name)) {
      throw validationError(
        `Filter Expression can only contain non-primary key attributes: Primary key attribute: ${first.name}`,
      );
    }
  }
}

export function query(storage: TableStorage, input: Input): Output {
  refuseLegacyParameters(input);
  const tableName = storage.checkTableName(input.TableName);
  if (input.IndexName !== undefined) {
    throw validationError(
      `The table does not have the specified index: ${String(input.IndexName)}`,
    );
  }
  if (input.KeyConditionExpression === undefined) {
    throw validationError(
      'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
    );
  }
  const select = checkSelect(input);
  const limit = checkLimit(input.Limit);
  const scope = expressionScope(input, [
    'KeyConditionExpression',
    'FilterExpression',
    'ProjectionExpression',
  ]);
  const { pk, sortKeyTest } = keyCondition(
    parseCondition('KeyConditionExpression', input.KeyConditionExpression, scope),
  );
  const filter =
    input.FilterExpression === undefined
      ? undefined
      : parseCondition('FilterExpression', input.FilterExpression, scope);
  if (filter) refuseKeysInFilter(filter);
  const projection = readProjection(input, scope);
  scope.checkAllUsed();

  const forward = input.ScanIndexForward !== false;
  let startAfter: string | undefined;
  if (input.ExclusiveStartKey !== undefined) {
    const start = checkKey(input.ExclusiveStartKey);
    if (start.pk !== pk) {
      throw validationError(
        'The provided starting key is outside query boundaries based on provided conditions',
      );
    }
    startAfter = start.sk;
  }
  const candidates = storage
    .partitionItems(tableName, pk)
    .filter((item) => sortKeyTest((item[RANGE_KEY] as { S: string }).S));
  if (!forward) candidates.reverse();
  const first =
    startAfter === undefined
      ? 0
      : candidates.findIndex((item) => {
          const order = compareSortKeys((item[RANGE_KEY] as { S: string }).S, startAfter);
          return forward ? order > 0 : order < 0;
        });

  // No item after the start key: an empty page.
  return readPage(first === -1 ? [] : candidates.slice(first), {
    select,
    limit,
    filter,
    projection,
  });
}
