import { checkSignal } from './abort.ts';
import { InvalidValueError, ValueTooLargeError } from './errors.ts';

/** A leaf of a stored value. */
export type Primitive = string | number | boolean | null;
/** Anything a field of a secret may hold. */
export type Value = Primitive | ValueHash | Value[];
/** A secret: a hash of primitives, arrays and nested hashes. `undefined` fields are dropped. */
export interface ValueHash {
  [field: string]: Value | undefined;
}

/**
 * The shape check behind the generic methods: `T` may be an interface (which, unlike a type
 * alias, has no implicit index signature), as long as every field holds a storable value.
 */
export type Storable<T> = T extends Primitive
  ? T
  : T extends readonly (infer Element)[]
    ? readonly Storable<Element>[]
    : T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { [Field in keyof T]: Storable<T[Field]> }
        : T extends undefined
          ? undefined
          : never;

/** A hash (not an array) whose fields are all storable: what `put` and `patch` accept as `T`. */
export type StorableHash<T> = T extends readonly unknown[] ? never : Storable<T>;

/** Receives a deep copy of the previous value ({} when absent) and returns the next value. */
export type PatchUpdater<T> = (previous: T) => T;

/** How deep containers may nest, counting the top-level hash as 1. */
export const MAX_NESTING_DEPTH = 32;

const FORBIDDEN_FIELD = '__proto__';
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function fieldPath(parent: string, field: string): string {
  if (IDENTIFIER.test(field)) return parent === '' ? field : `${parent}.${field}`;
  return `${parent}[${JSON.stringify(field)}]`;
}

/** Names the kind of a rejected value without revealing its content. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value); // only NaN and ±Infinity reach here
  if (typeof value !== 'object' || value === null) return typeof value;
  const constructorName = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof constructorName === 'string' && constructorName !== ''
    ? `an instance of ${constructorName}`
    : 'an object with a custom prototype';
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** How many bytes of JSON a value may take, and what the rest of its item adds to that. */
export interface ValueBudget {
  readonly maxValueBytes: number;
  readonly itemOverheadBytes: number;
}

/**
 * Validates a value and returns a deep, normalised copy: plain objects and arrays only,
 * `undefined` fields dropped. Throws {@link InvalidValueError} naming the offending path, or
 * {@link ValueTooLargeError} as soon as the value is certainly over its budget, so a huge value
 * is refused without walking all of it.
 */
export function copyValue(value: unknown, budget: ValueBudget): ValueHash {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError(
      '',
      `a secret must be a plain object (a hash of fields), received ${Array.isArray(value) ? 'an array' : describe(value)}`,
    );
  }
  // A lower bound of the JSON size, so that huge values fail fast.
  let minimumBytes = 0;
  const checkBudget = (): void => {
    if (minimumBytes > budget.maxValueBytes) {
      throw new ValueTooLargeError(
        minimumBytes + budget.itemOverheadBytes,
        budget.maxValueBytes + budget.itemOverheadBytes,
      );
    }
  };
  const ancestors = new Set<object>();

  const visit = (node: unknown, path: string, depth: number): Value => {
    switch (typeof node) {
      case 'string':
        minimumBytes += node.length + 2;
        break;
      case 'boolean':
        minimumBytes += 4;
        return node;
      case 'number':
        if (!Number.isFinite(node)) {
          throw new InvalidValueError(path, `numbers must be finite, received ${describe(node)}`);
        }
        minimumBytes += 1;
        return node;
      case 'object':
        if (node === null) {
          minimumBytes += 4;
          return null;
        }
        return visitContainer(node, path, depth);
      default:
        throw new InvalidValueError(path, `${describe(node)} cannot be stored`);
    }
    checkBudget();
    return node;
  };

  const visitContainer = (node: object, path: string, depth: number): Value => {
    if (depth > MAX_NESTING_DEPTH) {
      throw new InvalidValueError(path, `nesting is deeper than ${MAX_NESTING_DEPTH} levels`);
    }
    if (ancestors.has(node)) throw new InvalidValueError(path, 'the value contains a cycle');
    checkBudget();
    ancestors.add(node);
    let copy: Value;
    if (Array.isArray(node)) {
      minimumBytes += 2;
      const elements: Value[] = [];
      for (let index = 0; index < node.length; index++) {
        const element: unknown = node[index];
        const elementPath = `${path}[${index}]`;
        if (element === undefined) {
          throw new InvalidValueError(elementPath, 'arrays cannot hold undefined (or holes)');
        }
        elements.push(visit(element, elementPath, depth + 1));
      }
      copy = elements;
    } else {
      if (!isPlainObject(node)) {
        throw new InvalidValueError(path, `${describe(node)} cannot be stored, only plain objects`);
      }
      if (Object.getOwnPropertySymbols(node).length > 0) {
        throw new InvalidValueError(path, 'symbol-keyed fields cannot be stored');
      }
      minimumBytes += 2;
      const hash: ValueHash = {};
      for (const [field, fieldValue] of Object.entries(node)) {
        const childPath = fieldPath(path, field);
        if (field === FORBIDDEN_FIELD) {
          throw new InvalidValueError(childPath, 'the field name __proto__ is not allowed');
        }
        if (fieldValue === undefined) continue;
        minimumBytes += field.length + 3;
        hash[field] = visit(fieldValue, childPath, depth + 1);
      }
      copy = hash;
    }
    ancestors.delete(node);
    return copy;
  };

  return visitContainer(value, '', 1) as ValueHash;
}

/** Serialises a validated value to the bytes that get encrypted. */
export function encodeValue(value: ValueHash): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses decrypted bytes back into a hash; anything else means the item is corrupt. */
export function decodeValue(plaintext: Uint8Array): ValueHash {
  // A view, not a copy: one fewer plaintext buffer left for the garbage collector.
  const bytes = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('the decrypted value is not a hash');
  }
  return parsed as ValueHash;
}

/** Only the listed fields that exist in `value` (own fields: `toString` is not a field). */
export function pickFields(value: ValueHash, fields: readonly string[]): ValueHash {
  const picked: ValueHash = {};
  for (const field of fields) {
    if (Object.hasOwn(value, field)) picked[field] = value[field];
  }
  return picked;
}

/** Validates the `fields` argument of `get` and `delete`. */
export function checkFields(fields: unknown): asserts fields is readonly string[] | undefined {
  if (fields === undefined) return;
  if (!Array.isArray(fields)) {
    throw new InvalidValueError(
      '',
      `fields must be an array of field names, received ${typeof fields}`,
    );
  }
  fields.forEach((field, index) => {
    if (typeof field !== 'string') {
      throw new InvalidValueError(
        `fields[${index}]`,
        `a field name must be a string, received ${typeof field}`,
      );
    }
  });
}

/** How `get` and `getMany` read. */
export interface GetOptions {
  /** Only these fields (those of them that exist). @default every field */
  readonly fields?: readonly string[];
  /** Read the table even when the value cache holds the key, and refresh the cache. @default false */
  readonly forceFetch?: boolean;
  /**
   * Aborts the read: it rejects at once with a `StorageError` whose cause is the signal's reason
   * (`AbortSignal.timeout(ms)` for a deadline). @default none
   */
  readonly signal?: AbortSignal;
}

/** Validates `get`'s second argument: a list of fields (the OCP form) or {@link GetOptions}. */
export function checkGetOptions(options: unknown): {
  readonly fields: readonly string[] | undefined;
  readonly forceFetch: boolean;
  readonly signal: AbortSignal | undefined;
} {
  if (options === undefined || Array.isArray(options)) {
    checkFields(options);
    return { fields: options, forceFetch: false, signal: undefined };
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidValueError(
      '',
      `the options of a read must be an array of field names or { fields, forceFetch, signal }, received ${options === null ? 'null' : typeof options}`,
    );
  }
  const { fields, forceFetch, signal } = options as GetOptions;
  checkFields(fields);
  if (forceFetch !== undefined && typeof forceFetch !== 'boolean') {
    throw new InvalidValueError(
      'forceFetch',
      `forceFetch must be a boolean, received ${typeof forceFetch}`,
    );
  }
  return { fields, forceFetch: forceFetch ?? false, signal: checkSignal(signal) };
}

/** `delete`'s options: the fields to remove (all of the secret when absent), and a signal. */
export interface DeleteOptions {
  /** Remove only these fields, atomically; the secret stays (possibly as `{}`). @default the whole secret */
  readonly fields?: readonly string[];
  /** Aborts the delete; see `put` for what an aborted write is told. @default none */
  readonly signal?: AbortSignal;
}

/** Validates `delete`'s second argument: a list of fields (the OCP form) or {@link DeleteOptions}. */
export function checkDeleteOptions(options: unknown): {
  readonly fields: readonly string[] | undefined;
  readonly signal: AbortSignal | undefined;
} {
  if (options === undefined || Array.isArray(options)) {
    checkFields(options);
    return { fields: options, signal: undefined };
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidValueError(
      '',
      `the options of a delete must be an array of field names or { fields, signal }, received ${options === null ? 'null' : typeof options}`,
    );
  }
  const { fields, signal } = options as DeleteOptions;
  checkFields(fields);
  return { fields, signal: checkSignal(signal) };
}
