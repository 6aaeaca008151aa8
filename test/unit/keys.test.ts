import { InvalidKeyError } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { checkKey, checkNamespace } from '../../packages/core/src/keys.ts';

describe('checkKey: a key is 1 to 1024 UTF-8 bytes with no NUL and no lone surrogate', () => {
  it.each([
    ['a', 'one ASCII character'],
    ['x'.repeat(1024), '1024 ASCII bytes'],
    ['é'.repeat(512), '1024 bytes of two-byte characters'],
    ['😀'.repeat(256), '1024 bytes of surrogate pairs'],
    ['authToken/site:123 with spaces\nand newline', 'punctuation, spaces, control characters'],
  ])('accepts %#: %s', (key) => {
    expect(() => checkKey(key)).not.toThrow();
  });

  it.each([
    ['', /must not be empty/],
    ['x'.repeat(1025), /1025 UTF-8 bytes, the limit is 1024/],
    ['é'.repeat(513), /1026 UTF-8 bytes/],
    ['a\u0000b', /NUL, found one at index 1/],
    ['\u0000uninstalled', /NUL/],
    ['ab\uD800', /lone surrogate at index 2/],
    ['\uDC00ab', /lone surrogate at index 0/],
    [42, /must be a string, received number/],
    [null, /received null/],
  ])('rejects %#', (key, message) => {
    expect(() => checkKey(key)).toThrow(InvalidKeyError);
    expect(() => checkKey(key)).toThrow(message);
  });
});

describe('checkNamespace: 1 to 256 characters of [A-Za-z0-9._:@/+=-]', () => {
  it('accepts every allowed character and 256 of them', () => {
    expect(() => checkNamespace('app-1:install_2/a.b@c+d=e')).not.toThrow();
    expect(() => checkNamespace('n'.repeat(256))).not.toThrow();
  });

  it.each([
    ['', /must not be empty/],
    ['n'.repeat(257), /257 characters, the limit is 256/],
    ['app 1', /found " " at index 3/],
    ['app*', /found "\*" at index 3/],
    ['äpp', /found "ä" at index 0/],
    [undefined, /received undefined/],
  ])('rejects %#', (namespace, message) => {
    expect(() => checkNamespace(namespace)).toThrow(InvalidKeyError);
    expect(() => checkNamespace(namespace)).toThrow(message);
  });
});
