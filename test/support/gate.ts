/**
 * The promises a forced schedule is made of, in one place: a `deferred` the test settles, and a
 * `gate` that a paused request or call arrives at and waits behind until the test opens it.
 */

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise settled from outside: by the test, or by the code it schedules. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

export interface Gate {
  /** Resolves once something has arrived at the gate (`arrive()`). */
  readonly reached: Promise<void>;
  arrive(): void;
  /** Resolves once the test opens the gate (`release()`). */
  readonly opened: Promise<void>;
  release(): void;
}

/** A point in a schedule: the paused side calls `arrive()` then awaits `opened`. */
export function gate(): Gate {
  const reached = deferred<void>();
  const opened = deferred<void>();
  return {
    reached: reached.promise,
    arrive: () => reached.resolve(),
    opened: opened.promise,
    release: () => opened.resolve(),
  };
}
