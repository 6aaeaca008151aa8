import { DataKeyCache } from '@secrets-store/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

const key = (byte: number) => Buffer.alloc(32, byte);

afterEach(() => vi.useRealTimers());

describe('DataKeyCache', () => {
  it('hands out copies: zero-filling one leaves the cached key intact', () => {
    const cache = new DataKeyCache();
    cache.set('a', key(1));
    const copy = cache.get('a');
    copy?.fill(0);
    expect(cache.get('a')?.equals(key(1))).toBe(true);
  });

  it('evicts the least recently used entry and zero-fills it', () => {
    const cache = new DataKeyCache({ maxEntries: 2 });
    const held: Buffer[] = [];
    const spy = vi.spyOn(Buffer, 'from');
    cache.set('a', key(1));
    held.push(spy.mock.results.at(-1)?.value as Buffer);
    spy.mockRestore();
    cache.set('b', key(2));
    cache.get('a'); // a is now the most recently used
    cache.set('c', key(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.equals(key(1))).toBe(true);
    expect(cache.size).toBe(2);
    cache.set('d', key(4));
    cache.set('e', key(5)); // evicts a
    expect(cache.get('a')).toBeUndefined();
    expect(held[0]?.every((byte) => byte === 0)).toBe(true);
  });

  it('expires entries after maxAgeMs', () => {
    vi.useFakeTimers();
    const cache = new DataKeyCache({ maxAgeMs: 1000 });
    cache.set('a', key(1));
    vi.advanceTimersByTime(999);
    expect(cache.get('a')).toEqual(key(1));
    vi.advanceTimersByTime(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('shares one load among concurrent misses for the same entry', async () => {
    const cache = new DataKeyCache();
    let release: (value: Buffer) => void = () => {};
    const load = vi.fn(() => new Promise<Buffer>((resolve) => (release = resolve)));
    const waiting = Promise.all([cache.getOrLoad('a', load), cache.getOrLoad('a', load)]);
    release(key(7));
    const [first, second] = await waiting;
    expect(load).toHaveBeenCalledTimes(1);
    expect(first?.equals(key(7))).toBe(true);
    expect(second?.equals(key(7))).toBe(true);
    expect(first).not.toBe(second);
    expect(await cache.getOrLoad('a', load)).toEqual(key(7));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('zero-fills the loaded buffer once every waiter has its copy', async () => {
    const cache = new DataKeyCache();
    const loaded = key(8);
    const copy = await cache.getOrLoad('a', async () => loaded);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loaded.every((byte) => byte === 0)).toBe(true);
    expect(copy.equals(key(8))).toBe(true);
  });

  it('does not cache a failed load, and the next call tries again', async () => {
    const cache = new DataKeyCache();
    await expect(cache.getOrLoad('a', () => Promise.reject(new Error('kms down')))).rejects.toThrow(
      'kms down',
    );
    await expect(cache.getOrLoad('a', async () => key(1))).resolves.toEqual(key(1));
  });

  it('clear zero-fills every key', () => {
    const cache = new DataKeyCache();
    const spy = vi.spyOn(Buffer, 'from');
    cache.set('a', key(1));
    const stored = spy.mock.results.at(-1)?.value as Buffer;
    spy.mockRestore();
    cache.clear();
    expect(cache.size).toBe(0);
    expect(stored.every((byte) => byte === 0)).toBe(true);
  });
});
