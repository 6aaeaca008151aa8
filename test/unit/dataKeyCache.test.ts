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

  // issue 22, point 6: an expired key was zero-filled only when touched or pushed out, so a
  // plaintext data key stayed in the heap long after maxAgeMs.
  describe('the sweep', () => {
    /** The cache's own buffer for the key `set` stores next. */
    function setAndHold(cache: DataKeyCache, id: string, byte: number): Buffer {
      const spy = vi.spyOn(Buffer, 'from');
      cache.set(id, key(byte));
      const stored = spy.mock.results.at(-1)?.value as Buffer;
      spy.mockRestore();
      return stored;
    }
    const zeroed = (buffer: Buffer) => buffer.every((byte) => byte === 0);
    /** A cache whose keys live 100 ms, on fake timers. */
    const cacheOnFakeTimers = () => {
      vi.useFakeTimers();
      return new DataKeyCache({ maxAgeMs: 100 });
    };
    /** `last` is still held `ms - 1` from now and swept at `ms`: the cache empty, no timer left. */
    const expectSweptAfter = (cache: DataKeyCache, last: Buffer, ms: number) => {
      vi.advanceTimersByTime(ms - 1);
      expect(zeroed(last)).toBe(false);
      vi.advanceTimersByTime(1);
      expect(zeroed(last)).toBe(true);
      expect(cache.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    };

    it('zero-fills an expired key at maxAgeMs without anyone touching the cache', () => {
      const cache = cacheOnFakeTimers();
      const stored = setAndHold(cache, 'a', 1);
      expectSweptAfter(cache, stored, 100);
    });

    it('sweeps each key at its own expiry, one timer at a time', () => {
      const cache = cacheOnFakeTimers();
      const first = setAndHold(cache, 'a', 1);
      vi.advanceTimersByTime(60);
      const second = setAndHold(cache, 'b', 2);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(40);
      expect([zeroed(first), zeroed(second)]).toEqual([true, false]);
      expect(cache.size).toBe(1);
      expectSweptAfter(cache, second, 60);
    });

    it('a key set again lives maxAgeMs from then', () => {
      const cache = cacheOnFakeTimers();
      setAndHold(cache, 'a', 1);
      vi.advanceTimersByTime(50);
      const again = setAndHold(cache, 'a', 1);
      vi.advanceTimersByTime(50);
      expect(zeroed(again)).toBe(false);
      expect(cache.get('a')?.equals(key(1))).toBe(true);
      vi.advanceTimersByTime(50);
      expect(zeroed(again)).toBe(true);
    });

    it("never keeps the process alive: the timer is unref'd", () => {
      // The clock stands still, so that the delay is exactly maxAgeMs.
      vi.useFakeTimers({ toFake: ['Date'] });
      const unref = vi.fn();
      const setTimer = vi
        .spyOn(globalThis, 'setTimeout')
        .mockImplementation(() => ({ unref }) as unknown as ReturnType<typeof setTimeout>);
      const cache = new DataKeyCache({ maxAgeMs: 100 });
      cache.set('a', key(1));
      expect(setTimer).toHaveBeenCalledTimes(1);
      expect(setTimer).toHaveBeenCalledWith(expect.any(Function), 100);
      expect(unref).toHaveBeenCalledTimes(1);
      setTimer.mockRestore();
    });

    it('clear stops the sweep', () => {
      const cache = cacheOnFakeTimers();
      cache.set('a', key(1));
      cache.clear();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('a caller that aborts during a shared load', () => {
    it("leaves at once with the signal's reason; the load goes on for the others", async () => {
      const cache = new DataKeyCache();
      let release: (value: Buffer) => void = () => {};
      const load = vi.fn(() => new Promise<Buffer>((resolve) => (release = resolve)));
      const controller = new AbortController();
      const leaving = cache.getOrLoad('a', load, controller.signal);
      const staying = cache.getOrLoad('a', load);
      const reason = new Error('the caller gave up');
      controller.abort(reason);
      await expect(leaving).rejects.toMatchObject({ name: 'AbortError', cause: reason });
      release(key(9));
      expect((await staying).equals(key(9))).toBe(true);
      expect(load).toHaveBeenCalledTimes(1);
      expect(cache.get('a')?.equals(key(9))).toBe(true);
    });

    it('an already aborted signal: rejects before any load', async () => {
      const cache = new DataKeyCache();
      const load = vi.fn(async () => key(1));
      await expect(
        cache.getOrLoad('a', load, AbortSignal.abort(new Error('late'))),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(load).not.toHaveBeenCalled();
    });
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
