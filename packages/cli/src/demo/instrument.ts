/**
 * Counts what each store operation costs: DynamoDB requests (a middleware on the client),
 * keyring calls (KMS, or the local keyring) and time, attributed to the operation that caused
 * them through AsyncLocalStorage, so that concurrent operations are counted right.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Keyring, SecretsStore } from '@secrets-store/core';

export interface OperationRow {
  calls: number;
  dynamodb: number;
  keyring: number;
  ms: number;
}

const STORE_METHODS = new Set(['get', 'put', 'patch', 'delete', 'exists', 'purge', 'refresh']);

export class OperationCounter {
  readonly rows = new Map<string, OperationRow>();
  readonly #current = new AsyncLocalStorage<OperationRow>();

  #row(operation: string): OperationRow {
    let row = this.rows.get(operation);
    if (!row) {
      row = { calls: 0, dynamodb: 0, keyring: 0, ms: 0 };
      this.rows.set(operation, row);
    }
    return row;
  }

  /** Runs `action` as one call of `operation`. */
  async run<T>(operation: string, action: () => Promise<T>): Promise<T> {
    const row = this.#row(operation);
    row.calls++;
    const started = performance.now();
    try {
      return await this.#current.run(row, action);
    } finally {
      row.ms += performance.now() - started;
    }
  }

  /** Counts every request `client` sends. */
  countDynamoDB(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const row = this.#current.getStore();
        if (row) row.dynamodb++;
        return next(args);
      },
      { step: 'initialize', name: 'secretsStoreDemoCounter' },
    );
  }

  /** A keyring that counts its calls and forwards them. */
  countKeyring(keyring: Keyring): Keyring {
    const count = () => {
      const row = this.#current.getStore();
      if (row) row.keyring++;
    };
    return {
      maxWrappedKeyBytes: keyring.maxWrappedKeyBytes,
      maxKeyIdBytes: keyring.maxKeyIdBytes,
      generateDataKey: (context) => {
        count();
        return keyring.generateDataKey(context);
      },
      decryptDataKey: (wrapped, keyId, context) => {
        count();
        return keyring.decryptDataKey(wrapped, keyId, context);
      },
      isCurrent: (keyId) => keyring.isCurrent(keyId),
      rewrapDataKey: (wrapped, keyId, context) => {
        count();
        return keyring.rewrapDataKey(wrapped, keyId, context);
      },
    };
  }

  /**
   * The store with each operation counted under its method name, plus `label` (e.g. ` (50 at
   * once)`): operations that run concurrently get rows of their own, since their time is a
   * latency under load, not comparable with one call run alone.
   */
  countStore(store: SecretsStore, label = ''): SecretsStore {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !STORE_METHODS.has(property)) return value;
        return (...args: unknown[]) =>
          this.run(`${property}${label}`, () =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          );
      },
    });
  }
}
