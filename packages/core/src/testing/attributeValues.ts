/**
 * Attribute values as they travel in DynamoDB's JSON protocol (binary as base64 text), and
 * what DynamoDB does with them: validation, equality, ordering, and the item size it counts.
 */
import {
  canonicalNumber,
  compareDecimals,
  type Decimal,
  decimalSize,
  parseDecimal,
} from './decimal.ts';
import { validationError } from './dynamoErrors.ts';

export type WireValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly string[] }
  | { readonly L: readonly WireValue[] }
  | { readonly M: WireItem };

export type WireItem = { readonly [name: string]: WireValue };

export type ValueType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

export const VALUE_TYPES: readonly ValueType[] = [
  'S',
  'N',
  'B',
  'BOOL',
  'NULL',
  'SS',
  'NS',
  'BS',
  'L',
  'M',
];

/** DynamoDB's item size limit, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

const SET_NAMES: Readonly<Record<string, string>> = { SS: 'string', NS: 'number', BS: 'binary' };

export function typeOf(value: WireValue): ValueType {
  return Object.keys(value)[0] as ValueType;
}

/** The payload of a value whose type is known. */
export function payload<T>(value: WireValue): T {
  return (value as unknown as Record<string, T>)[typeOf(value)] as T;
}

export function setValue(type: 'SS' | 'NS' | 'BS', members: readonly string[]): WireValue {
  return { [type]: members } as unknown as WireValue;
}

export function isSetType(type: ValueType): type is 'SS' | 'NS' | 'BS' {
  return type === 'SS' || type === 'NS' || type === 'BS';
}

function bytesOf(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

/** DynamoDB orders strings by their UTF-8 bytes (JavaScript's `<` compares UTF-16 units). */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Set members are equal by value: `1` and `1.0` are one number, binary by its bytes. */
function memberKey(type: 'SS' | 'NS' | 'BS', member: string): string {
  if (type === 'NS') return canonicalNumber(member);
  if (type === 'BS') return bytesOf(member).toString('base64');
  return member;
}

export function setMemberKeys(value: WireValue): string[] {
  const type = typeOf(value) as 'SS' | 'NS' | 'BS';
  return payload<string[]>(value).map((member) => memberKey(type, member));
}

/**
 * Checks one value of a request as DynamoDB does (one type, numbers in range, sets non-empty
 * and without duplicates) and returns it in canonical form (numbers normalised).
 */
export function checkValue(value: unknown): WireValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError('Supplied AttributeValue is not an object');
  }
  const types = Object.keys(value).filter(
    (type) => (value as Record<string, unknown>)[type] !== undefined,
  );
  const type = types[0];
  if (types.length !== 1 || !VALUE_TYPES.includes(type as ValueType)) {
    throw validationError(
      `Supplied AttributeValue has ${types.length === 0 ? 'no' : 'more than one'} datatypes; received ${JSON.stringify(types)}`,
    );
  }
  const content = (value as Record<string, unknown>)[type as string];
  const wrongType = () =>
    validationError(`Supplied AttributeValue of type ${type} has a malformed ${type} member`);
  switch (type as ValueType) {
    case 'S':
      if (typeof content !== 'string') throw wrongType();
      return { S: content };
    case 'B':
      if (typeof content !== 'string') throw wrongType();
      return { B: content };
    case 'N':
      if (typeof content !== 'string') throw wrongType();
      return { N: canonicalNumber(content) };
    case 'BOOL':
      if (typeof content !== 'boolean') throw wrongType();
      return { BOOL: content };
    case 'NULL':
      if (content !== true)
        throw validationError('Null attribute value types must have the value of true');
      return { NULL: true };
    case 'SS':
    case 'NS':
    case 'BS': {
      const setType = type as 'SS' | 'NS' | 'BS';
      if (!Array.isArray(content) || content.some((member) => typeof member !== 'string')) {
        throw wrongType();
      }
      if (content.length === 0) {
        throw validationError(
          `One or more parameter values were invalid: An ${SET_NAMES[setType]} set  may not be empty`,
        );
      }
      const members = setType === 'NS' ? content.map(canonicalNumber) : [...content];
      const keys = members.map((member) => memberKey(setType, member));
      if (new Set(keys).size !== keys.length) {
        throw validationError(
          'One or more parameter values were invalid: Input collection contains duplicates',
        );
      }
      return setValue(setType, members);
    }
    case 'L':
      if (!Array.isArray(content)) throw wrongType();
      return { L: content.map(checkValue) };
    case 'M':
      if (typeof content !== 'object' || content === null || Array.isArray(content)) {
        throw wrongType();
      }
      return { M: checkItem(content) };
  }
}

export function checkItem(item: unknown): WireItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw validationError('Supplied item is not a map of attribute values');
  }
  const checked: Record<string, WireValue> = {};
  for (const [name, value] of Object.entries(item)) checked[name] = checkValue(value);
  return checked;
}

export function numberOf(value: WireValue): Decimal {
  return parseDecimal(payload<string>(value));
}

export function valuesEqual(a: WireValue, b: WireValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'N':
      return compareDecimals(numberOf(a), numberOf(b)) === 0;
    case 'B':
      return bytesOf(payload(a)).equals(bytesOf(payload(b)));
    case 'SS':
    case 'NS':
    case 'BS': {
      const left = new Set(setMemberKeys(a));
      const right = setMemberKeys(b);
      return left.size === right.length && right.every((member) => left.has(member));
    }
    case 'L': {
      const left = payload<WireValue[]>(a);
      const right = payload<WireValue[]>(b);
      return (
        left.length === right.length &&
        left.every((element, index) => valuesEqual(element, right[index] as WireValue))
      );
    }
    case 'M': {
      const left = payload<WireItem>(a);
      const right = payload<WireItem>(b);
      const names = Object.keys(left);
      return (
        names.length === Object.keys(right).length &&
        names.every(
          (name) => right[name] !== undefined && valuesEqual(left[name] as WireValue, right[name]),
        )
      );
    }
    default:
      return payload(a) === payload(b);
  }
}

/** Order of two scalars of one type (S, N or B), or undefined when DynamoDB cannot order them. */
export function compareValues(a: WireValue, b: WireValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  switch (type) {
    case 'N':
      return compareDecimals(numberOf(a), numberOf(b));
    case 'S':
      return compareStrings(payload(a), payload(b));
    case 'B':
      return Buffer.compare(bytesOf(payload(a)), bytesOf(payload(b)));
    default:
      return undefined;
  }
}

/** The bytes DynamoDB counts for a value (names of nested maps included). */
export function valueSize(value: WireValue): number {
  switch (typeOf(value)) {
    case 'S':
      return Buffer.byteLength(payload<string>(value), 'utf8');
    case 'B':
      return bytesOf(payload(value)).length;
    case 'N':
      return decimalSize(numberOf(value));
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return payload<string[]>(value).reduce(
        (sum, member) => sum + Buffer.byteLength(member, 'utf8'),
        0,
      );
    case 'NS':
      return payload<string[]>(value).reduce(
        (sum, member) => sum + decimalSize(parseDecimal(member)),
        0,
      );
    case 'BS':
      return payload<string[]>(value).reduce((sum, member) => sum + bytesOf(member).length, 0);
    case 'L':
      return payload<WireValue[]>(value).reduce((sum, element) => sum + 1 + valueSize(element), 3);
    case 'M':
      return Object.entries(payload<WireItem>(value)).reduce(
        (sum, [name, element]) => sum + Buffer.byteLength(name, 'utf8') + 1 + valueSize(element),
        3,
      );
  }
}

/** An item's size as DynamoDB counts it against the 400 KB limit: names plus values. */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueSize(value),
    0,
  );
}

/** The length `size()` reports: characters of a string, bytes of a binary, members, elements. */
export function sizeOf(value: WireValue): number | undefined {
  switch (typeOf(value)) {
    case 'S':
      return [...payload<string>(value)].length;
    case 'B':
      return bytesOf(payload(value)).length;
    case 'SS':
    case 'NS':
    case 'BS':
    case 'L':
      return payload<unknown[]>(value).length;
    case 'M':
      return Object.keys(payload<WireItem>(value)).length;
    default:
      return undefined;
  }
}
