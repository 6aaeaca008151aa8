import { InvalidValueError, ValueTooLargeError } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { copyValue, MAX_NESTING_DEPTH } from '../../packages/core/src/values.ts';

const budget = { maxValueBytes: 1000, itemOverheadBytes: 100 };
const copy = (value: unknown) => copyValue(value, budget);

function rejection(value: unknown): InvalidValueError {
  try {
    copy(value);
  } catch (error) {
    if (error instanceof InvalidValueError) return error;
    throw error;
  }
  throw new Error('the value was accepted');
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
}

describe('copyValue', () => {
  it('accepts strings, finite numbers, booleans, null, arrays and nested plain objects', () => {
    const value = {
      s: 'x',
      n: -1.5e10,
      t: true,
      f: false,
      z: null,
      list: [1, 'a', [null], { b: 2 }],
    };
    expect(copy(value)).toEqual(value);
  });

  it('accepts objects with a null prototype and returns a deep copy', () => {
    const inner = Object.assign(Object.create(null), { a: 1 });
    const value = { inner, list: [inner] };
    const copied = copy(value);
    expect(copied).toEqual({ inner: { a: 1 }, list: [{ a: 1 }] });
    expect(copied.inner).not.toBe(inner);
  });

  it('drops undefined fields at any depth', () => {
    expect(copy({ a: undefined, b: { c: undefined, d: 1 } })).toStrictEqual({ b: { d: 1 } });
  });

  it('allows constructor and prototype as ordinary field names', () => {
    const copied = copy({ constructor: 'x', prototype: { a: 1 } });
    expect(copied).toEqual({ constructor: 'x', prototype: { a: 1 } });
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
  });

  it.each([
    ['a function', { cb: () => 1 }, 'cb'],
    ['a symbol', { s: Symbol('x') }, 's'],
    ['a bigint', { big: 1n }, 'big'],
    ['NaN', { n: Number.NaN }, 'n'],
    ['Infinity', { deep: { n: Number.POSITIVE_INFINITY } }, 'deep.n'],
    ['a Date', { tokens: [{ exp: new Date() }] }, 'tokens[0].exp'],
    ['a Map', { m: new Map() }, 'm'],
    ['a Set', { s: new Set() }, 's'],
    ['a typed array', { bytes: new Uint8Array(2) }, 'bytes'],
    ['a Buffer', { bytes: Buffer.from('x') }, 'bytes'],
    ['a class instance', { x: new (class Point {})() }, 'x'],
    ['undefined inside an array', { tokens: [1, 2, undefined] }, 'tokens[2]'],
    // biome-ignore lint/suspicious/noSparseArray: a hole is what this case is about
    ['a hole in an array', { tokens: [1, , 3] }, 'tokens[1]'],
    ['a field named __proto__', JSON.parse('{"a":{"__proto__":{"polluted":true}}}'), 'a.__proto__'],
    ['a field name that needs quoting', { 'my field': () => 1 }, '["my field"]'],
  ])('rejects %s, naming its path', (_name, value, path) => {
    const error = rejection(value);
    expect(error.path).toBe(path);
    expect(error.code).toBe('INVALID_VALUE');
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });

  it('rejects a top level that is not a plain object', () => {
    for (const value of [null, undefined, 'x', 1, [1], new Date(), new Map()]) {
      expect(rejection(value).path).toBe('');
    }
  });

  it('rejects symbol-keyed fields', () => {
    expect(rejection({ [Symbol('k')]: 1 }).message).toMatch(/symbol/);
  });

  it('rejects cycles, but accepts the same object twice', () => {
    const shared = { a: 1 };
    expect(copy({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(rejection(cyclic).path).toBe('self.back');
  });

  it(`accepts nesting of ${MAX_NESTING_DEPTH} levels and rejects ${MAX_NESTING_DEPTH + 1}`, () => {
    expect(() => copy(nested(MAX_NESTING_DEPTH))).not.toThrow();
    expect(rejection(nested(MAX_NESTING_DEPTH + 1)).message).toMatch(/deeper than 32/);
  });

  it('refuses a huge value as soon as its size is certainly over the budget', () => {
    const huge = { items: Array.from({ length: 1_000_000 }, (_, index) => `item-${index}`) };
    expect(() => copy(huge)).toThrow(ValueTooLargeError);
  });

  it('never puts the value into its message', () => {
    const error = rejection({ secret: 'hunter2', bad: Symbol('hunter2') });
    expect(error.message).not.toContain('hunter2');
  });
});
