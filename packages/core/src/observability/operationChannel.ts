/**
 * One message per public operation, when it ends, on `node:diagnostics_channel`
 * (`secrets-store:operation`), as Node's own libraries (undici, fastify) publish theirs: it
 * costs nothing without a subscriber and needs no dependency. The message names the operation
 * and its keys, and counts what it cost; it never holds a value, a data key or a plaintext.
 *
 * The operations are observed at the facade: {@link observeOperations} wraps the store's public
 * methods (a table of them, so that a new operation is one more row). Without a subscriber a
 * wrapper calls the method at once; nothing else happens.
 */
import { SecretsStoreError } from '../errors.ts';
import { insideOperation, OperationMeter, operationChannel, runMetered } from './operationMeter.ts';

/**
 * What `secrets-store:operation` carries. Counts are those of this operation alone: requests
 * include the SDK's own retries (each is a request AWS receives), capacity units are DynamoDB's
 * `ConsumedCapacity` (a failed conditional write is charged too, see the docs).
 */
export interface OperationMessage {
  /** `get`, `getMany`, `exists`, `keys`, `put`, `patch`, `delete`, `purge`, `rewrap`. */
  readonly operation: string;
  readonly table: string;
  readonly namespace: string;
  /** The secret's key, for operations on one secret. */
  readonly key?: string;
  /** The keys asked for, for `getMany`. */
  readonly keys?: readonly string[];
  /** `'ok'`, or the error's `code` (`STORAGE`, `CONCURRENT_UPDATE`...), or its name. */
  readonly outcome: string;
  readonly durationMs: number;
  /** 1, plus each time the store tried again (a lost race, a re-sent write, unprocessed keys). */
  readonly attempts: number;
  readonly dynamodb: {
    readonly requests: number;
    readonly readUnits: number;
    readonly writeUnits: number;
  };
  readonly kms: { readonly requests: number };
  /**
   * For a `get`, `getMany` or `exists` that succeeded with the value cache on: `hit` when it was
   * answered without a DynamoDB request of its own (a fresh entry, or a read another call of
   * this process already had in flight).
   */
  readonly valueCache?: 'hit' | 'miss';
}

/** What the wrappers read of a store. */
export interface ObservedStore {
  readonly tableName: string;
  readonly namespace: string;
}

/** How one public method is observed. */
export interface ObservedOperation {
  /** `iterable`: the operation runs while its result is iterated (`keys()`). @default 'promise' */
  readonly kind?: 'promise' | 'iterable';
  /** The secret's key (first argument): `key` in the message. */
  readonly key?: boolean;
  /** The keys (first argument, any iterable): `keys` in the message. */
  readonly keys?: boolean;
  /** Reads the value cache: `valueCache` in the message when the store has one. */
  readonly cached?: boolean;
}

/** Stores that have a value cache: told by the store's constructor. */
const cachedStores = new WeakSet<object>();

export function usesValueCache(store: object): void {
  cachedStores.add(store);
}

/**
 * Wraps each listed method of `prototype` so that it publishes one message when it ends. A
 * public operation called by another (rewrap lists keys) is part of the outer one.
 */
export function observeOperations<Store extends ObservedStore>(
  prototype: Store,
  operations: Readonly<Partial<Record<keyof Store & string, ObservedOperation>>>,
): void {
  for (const [name, shape] of Object.entries(operations) as [string, ObservedOperation][]) {
    const original = (prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[
      name
    ];
    if (typeof original !== 'function') throw new TypeError(`${name} is not a method to observe`);
    const observed =
      shape.kind === 'iterable'
        ? function (this: Store, ...args: unknown[]) {
            const iterable = original.apply(this, args) as AsyncIterable<unknown>;
            if (!operationChannel.hasSubscribers || insideOperation()) return iterable;
            return observeIteration(iterable, (meter, outcome) =>
              publish(this, name, shape, args, meter, outcome),
            );
          }
        : function (this: Store, ...args: unknown[]) {
            if (!operationChannel.hasSubscribers || insideOperation()) {
              return original.apply(this, args);
            }
            // An iterable of keys may be read once only: the method gets the list the message names.
            const callArgs =
              shape.keys && isIterable(args[0]) ? [Array.from(args[0]), ...args.slice(1)] : args;
            const meter = OperationMeter.start();
            let result: Promise<unknown>;
            try {
              result = runMetered(meter, () => original.apply(this, callArgs)) as Promise<unknown>;
            } catch (error) {
              // A method that refuses its arguments at once still ends one operation.
              publish(this, name, shape, callArgs, meter, outcomeOf(error));
              throw error;
            }
            return result.then(
              (value) => {
                publish(this, name, shape, callArgs, meter, 'ok');
                return value;
              },
              (error: unknown) => {
                publish(this, name, shape, callArgs, meter, outcomeOf(error));
                throw error;
              },
            );
          };
    Object.defineProperty(observed, 'name', { value: name });
    Object.defineProperty(prototype, name, {
      value: observed,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/** An async iterable that meters its iteration and publishes when it ends (done, thrown or left). */
function observeIteration<T>(
  iterable: AsyncIterable<T>,
  ended: (meter: OperationMeter, outcome: string) => void,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const meter = OperationMeter.start();
      const iterator = runMetered(meter, () => iterable[Symbol.asyncIterator]());
      let finished = false;
      const end = (outcome: string) => {
        if (finished) return;
        finished = true;
        ended(meter, outcome);
      };
      return {
        async next() {
          try {
            const step = await runMetered(meter, () => iterator.next());
            if (step.done) end('ok');
            return step;
          } catch (error) {
            end(outcomeOf(error));
            throw error;
          }
        },
        async return(value?: unknown) {
          // The caller stopped early (break): the operation ended well.
          end('ok');
          return (await iterator.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

function publish(
  store: ObservedStore,
  operation: string,
  shape: ObservedOperation,
  args: readonly unknown[],
  meter: OperationMeter,
  outcome: string,
): void {
  const durationMs = meter.close();
  // A subscriber may have left while the operation ran.
  if (!operationChannel.hasSubscribers) return;
  operationChannel.publish(buildMessage(store, operation, shape, args, meter, outcome, durationMs));
}

function buildMessage(
  store: ObservedStore,
  operation: string,
  shape: ObservedOperation,
  args: readonly unknown[],
  meter: OperationMeter,
  outcome: string,
  durationMs: number,
): OperationMessage {
  const first = args[0];
  return {
    operation,
    table: store.tableName,
    namespace: store.namespace,
    ...(shape.key && typeof first === 'string' ? { key: first } : {}),
    ...(shape.keys && Array.isArray(first)
      ? { keys: first.filter((key) => typeof key === 'string') }
      : {}),
    outcome,
    durationMs,
    attempts: 1 + meter.retries,
    dynamodb: {
      requests: meter.dynamodbRequests,
      readUnits: meter.readUnits,
      writeUnits: meter.writeUnits,
    },
    kms: { requests: meter.kmsRequests },
    // Neither a hit nor a miss: an operation refused before it read anything, or one that failed.
    ...(shape.cached && cachedStores.has(store) && outcome === 'ok'
      ? { valueCache: meter.dynamodbRequests === 0 ? 'hit' : 'miss' }
      : {}),
  };
}

/** The error's stable code, or its name for an error that is not the store's (an updater's). */
function outcomeOf(error: unknown): string {
  if (error instanceof SecretsStoreError) return error.code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}
