/**
 * What DynamoDB does with a parsed expression: reads document paths, evaluates conditions,
 * projects items and applies update actions. Every operand of an update is evaluated against
 * the item as it was before the update, as in DynamoDB (`SET b = a, a = :new` shifts values).
 */
import {
  compareValues,
  isSetType,
  numberOf,
  payload,
  setMemberKeys,
  setValue,
  sizeOf,
  typeOf,
  valuesEqual,
  type WireItem,
  type WireValue,
} from './attributeValues.ts';
import { addDecimals, formatDecimal, negateDecimal } from './decimal.ts';
import { validationError } from './dynamoErrors.ts';
import {
  type Condition,
  formatPath,
  type Operand,
  type Path,
  type PathElement,
  pathsOverlap,
  type UpdateActions,
} from './expressionSyntax.ts';

type MutableItem = Record<string, WireValue>;

export function readPath(item: WireItem, path: Path): WireValue | undefined {
  let current = { M: item } as WireValue | undefined;
  for (const element of path) {
    if (current === undefined) return undefined;
    if ('index' in element) {
      current = 'L' in current ? current.L[element.index] : undefined;
    } else {
      current = 'M' in current ? current.M[element.name] : undefined;
    }
  }
  return current;
}

// --- conditions ---------------------------------------------------------------------------

function conditionOperand(operand: Operand, item: WireItem): WireValue | undefined {
  switch (operand.kind) {
    case 'path':
      return readPath(item, operand.path);
    case 'value':
      return operand.value;
    case 'size': {
      const value = readPath(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw validationError(`Invalid ConditionExpression: unexpected operand ${operand.kind}`);
  }
}

function startsWith(value: WireValue, prefix: WireValue): boolean {
  if ('S' in value && 'S' in prefix) return value.S.startsWith(prefix.S);
  if ('B' in value && 'B' in prefix) {
    const bytes = Buffer.from(value.B, 'base64');
    const start = Buffer.from(prefix.B, 'base64');
    return bytes.subarray(0, start.length).equals(start);
  }
  return false;
}

function contains(value: WireValue, operand: WireValue): boolean {
  const type = typeOf(value);
  if (type === 'S') return 'S' in operand && payload<string>(value).includes(operand.S);
  if (type === 'L')
    return payload<WireValue[]>(value).some((element) => valuesEqual(element, operand));
  if (isSetType(type) && typeOf(operand) === type.slice(0, 1)) {
    const [member] = setMemberKeys(setValue(type, [payload<string>(operand)]));
    return setMemberKeys(value).includes(member as string);
  }
  return false;
}

export function evaluateCondition(condition: Condition, item: WireItem): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case 'or':
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case 'not':
      return !evaluateCondition(condition.condition, item);
    case 'compare': {
      const left = conditionOperand(condition.left, item);
      const right = conditionOperand(condition.right, item);
      if (condition.comparator === '<>') {
        return left === undefined || right === undefined || !valuesEqual(left, right);
      }
      if (left === undefined || right === undefined) return false;
      if (condition.comparator === '=') return valuesEqual(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      if (condition.comparator === '<') return order < 0;
      if (condition.comparator === '<=') return order <= 0;
      if (condition.comparator === '>') return order > 0;
      return order >= 0;
    }
    case 'between': {
      const value = conditionOperand(condition.operand, item);
      const low = conditionOperand(condition.low, item);
      const high = conditionOperand(condition.high, item);
      if (value === undefined || low === undefined || high === undefined) return false;
      const fromLow = compareValues(low, value);
      const toHigh = compareValues(value, high);
      return fromLow !== undefined && toHigh !== undefined && fromLow <= 0 && toHigh <= 0;
    }
    case 'in': {
      const value = conditionOperand(condition.operand, item);
      if (value === undefined) return false;
      return condition.list.some((candidate) => {
        const other = conditionOperand(candidate, item);
        return other !== undefined && valuesEqual(value, other);
      });
    }
    case 'function': {
      const [subject, argument] = condition.args as [Operand, Operand | undefined];
      const value = conditionOperand(subject, item);
      const other = argument && conditionOperand(argument, item);
      switch (condition.name) {
        case 'attribute_exists':
          return value !== undefined;
        case 'attribute_not_exists':
          return value === undefined;
        case 'attribute_type':
          return value !== undefined && other !== undefined && typeOf(value) === payload(other);
        case 'begins_with':
          return value !== undefined && other !== undefined && startsWith(value, other);
        case 'contains':
          return value !== undefined && other !== undefined && contains(value, other);
      }
    }
  }
}

// --- projections --------------------------------------------------------------------------

/** Refuses a list of paths in which two overlap, as DynamoDB does for projections and updates. */
export function checkNoOverlap(
  paths: readonly Path[],
  kind: 'ProjectionExpression' | 'UpdateExpression',
): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const a = paths[i] as Path;
      const b = paths[j] as Path;
      if (pathsOverlap(a, b)) {
        throw validationError(
          `Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${formatPath(a)}], path two: [${formatPath(b)}]`,
        );
      }
    }
  }
}

interface ProjectionTree {
  readonly names: Map<string, ProjectionTree | true>;
  readonly indexes: Map<number, ProjectionTree | true>;
}

function projectionTree(paths: readonly Path[]): ProjectionTree {
  const root: ProjectionTree = { names: new Map(), indexes: new Map() };
  for (const path of paths) {
    let node = root;
    path.forEach((element, position) => {
      const last = position === path.length - 1;
      const children: Map<string | number, ProjectionTree | true> =
        'index' in element ? node.indexes : node.names;
      const key = 'index' in element ? element.index : element.name;
      const existing = children.get(key);
      if (last) children.set(key, true);
      else if (existing !== true) {
        const child = existing ?? { names: new Map(), indexes: new Map() };
        children.set(key, child);
        node = child;
      }
    });
  }
  return root;
}

function projectValue(value: WireValue, tree: ProjectionTree): WireValue | undefined {
  if ('M' in value && tree.names.size > 0) {
    const projected = projectMap(value.M, tree);
    return Object.keys(projected).length > 0 ? { M: projected } : undefined;
  }
  if ('L' in value && tree.indexes.size > 0) {
    const elements: WireValue[] = [];
    for (const index of [...tree.indexes.keys()].sort((a, b) => a - b)) {
      const element = value.L[index];
      const subtree = tree.indexes.get(index) as ProjectionTree | true;
      const projected =
        element === undefined
          ? undefined
          : subtree === true
            ? element
            : projectValue(element, subtree);
      if (projected !== undefined) elements.push(projected);
    }
    return elements.length > 0 ? { L: elements } : undefined;
  }
  return undefined;
}

function projectMap(map: WireItem, tree: ProjectionTree): MutableItem {
  const result: MutableItem = {};
  for (const [name, subtree] of tree.names) {
    const value = map[name];
    if (value === undefined) continue;
    const projected = subtree === true ? value : projectValue(value, subtree);
    if (projected !== undefined) result[name] = projected;
  }
  return result;
}

export function project(item: WireItem, paths: readonly Path[]): WireItem {
  return projectMap(item, projectionTree(paths));
}

// --- updates ------------------------------------------------------------------------------

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';
const WRONG_OPERAND_TYPE = 'An operand in the update expression has an incorrect data type';

function updateOperand(operand: Operand, before: WireItem): WireValue {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path': {
      const value = readPath(before, operand.path);
      if (value === undefined) {
        throw validationError(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      }
      return value;
    }
    case 'if_not_exists':
      return readPath(before, operand.path) ?? updateOperand(operand.fallback, before);
    case 'list_append': {
      const left = updateOperand(operand.left, before);
      const right = updateOperand(operand.right, before);
      if (!('L' in left) || !('L' in right)) throw validationError(WRONG_OPERAND_TYPE);
      return { L: [...left.L, ...right.L] };
    }
    case 'arithmetic': {
      const left = updateOperand(operand.left, before);
      const right = updateOperand(operand.right, before);
      if (!('N' in left) || !('N' in right)) throw validationError(WRONG_OPERAND_TYPE);
      const addend = operand.operator === '+' ? numberOf(right) : negateDecimal(numberOf(right));
      return { N: formatDecimal(addDecimals(numberOf(left), addend)) };
    }
    case 'size':
      throw validationError('Invalid UpdateExpression: size() is not allowed in an update');
  }
}

/** A container of `item` that the update may change in place (the item is a deep copy). */
function parentOf(item: MutableItem, path: Path): WireValue | undefined {
  return path.length === 1 ? { M: item } : readPath(item, path.slice(0, -1));
}

function setPath(item: MutableItem, path: Path, value: WireValue): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1] as PathElement;
  if ('index' in last) {
    if (parent === undefined || !('L' in parent)) throw validationError(INVALID_PATH);
    const list = parent.L as WireValue[];
    if (last.index >= list.length) list.push(value);
    else list[last.index] = value;
  } else {
    if (parent === undefined || !('M' in parent)) throw validationError(INVALID_PATH);
    (parent.M as MutableItem)[last.name] = value;
  }
}

function removePath(item: MutableItem, path: Path): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1] as PathElement;
  if (parent === undefined) throw validationError(INVALID_PATH);
  if ('index' in last) {
    if (!('L' in parent)) throw validationError(INVALID_PATH);
    if (last.index < parent.L.length) (parent.L as WireValue[]).splice(last.index, 1);
  } else {
    if (!('M' in parent)) throw validationError(INVALID_PATH);
    delete (parent.M as MutableItem)[last.name];
  }
}

/** List elements are removed from the highest index down, so each index means the old element. */
function removalOrder(a: Path, b: Path): number {
  const shorter = Math.min(a.length, b.length);
  for (let position = 0; position < shorter; position++) {
    const x = a[position] as PathElement;
    const y = b[position] as PathElement;
    if ('index' in x && 'index' in y && x.index !== y.index) return y.index - x.index;
  }
  return 0;
}

function setUnion(type: 'SS' | 'NS' | 'BS', existing: WireValue, added: WireValue): WireValue {
  const members = [...payload<string[]>(existing)];
  const keys = new Set(setMemberKeys(existing));
  payload<string[]>(added).forEach((member, position) => {
    const key = setMemberKeys(added)[position] as string;
    if (!keys.has(key)) {
      keys.add(key);
      members.push(member);
    }
  });
  return setValue(type, members);
}

function setDifference(
  type: 'SS' | 'NS' | 'BS',
  existing: WireValue,
  removed: WireValue,
): WireValue | undefined {
  const removedKeys = new Set(setMemberKeys(removed));
  const existingKeys = setMemberKeys(existing);
  const members = payload<string[]>(existing).filter(
    (_, position) => !removedKeys.has(existingKeys[position] as string),
  );
  return members.length > 0 ? setValue(type, members) : undefined;
}

export interface UpdateResult {
  readonly item: WireItem;
  /** The paths the update wrote, for `ReturnValues: UPDATED_OLD | UPDATED_NEW`. */
  readonly updatedPaths: readonly Path[];
}

/**
 * Applies an update to a copy of `before` (which holds at least the key). Refuses overlapping
 * paths, updates of key attributes, operands naming missing attributes and wrong types.
 */
export function applyUpdate(
  before: WireItem,
  actions: UpdateActions,
  keyAttributes: readonly string[],
): UpdateResult {
  const targets = [
    ...actions.set.map((action) => action.path),
    ...actions.remove,
    ...actions.add.map((action) => action.path),
    ...actions.delete.map((action) => action.path),
  ];
  for (const path of targets) {
    const first = path[0] as { name: string };
    if (keyAttributes.includes(first.name)) {
      throw validationError(
        `One or more parameter values were invalid: Cannot update attribute ${first.name}. This attribute is part of the key`,
      );
    }
  }
  checkNoOverlap(targets, 'UpdateExpression');

  // Every operand first, from the item as it was.
  const assignments = actions.set.map((action) => ({
    path: action.path,
    value: updateOperand(action.value, before),
  }));
  const item = structuredClone(before) as MutableItem;
  for (const { path, value } of assignments) setPath(item, path, value);
  for (const path of [...actions.remove].sort(removalOrder)) removePath(item, path);
  for (const { path, value } of actions.add) {
    const existing = readPath(item, path);
    const type = typeOf(value);
    if (existing === undefined) setPath(item, path, value);
    else if (type === 'N' && 'N' in existing) {
      setPath(item, path, { N: formatDecimal(addDecimals(numberOf(existing), numberOf(value))) });
    } else if (isSetType(type) && typeOf(existing) === type) {
      setPath(item, path, setUnion(type, existing, value));
    } else throw validationError(WRONG_OPERAND_TYPE);
  }
  for (const { path, value } of actions.delete) {
    const existing = readPath(item, path);
    const type = typeOf(value) as 'SS' | 'NS' | 'BS';
    if (existing === undefined) continue;
    if (typeOf(existing) !== type) throw validationError(WRONG_OPERAND_TYPE);
    const remaining = setDifference(type, existing, value);
    if (remaining === undefined) removePath(item, path);
    else setPath(item, path, remaining);
  }
  return { item, updatedPaths: targets };
}
