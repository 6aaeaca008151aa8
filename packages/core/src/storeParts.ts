/**
 * What a {@link SecretsStore} is made of, built from its options: the options checked first (a
 * {@link ConfigurationError} names what was received), then its DynamoDB client, caches, sealer,
 * writer, batch reads and refresher, wired to one another.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_PATCH_RETRY, retryPolicy } from './backoff.ts';
import type { BatchReadContext } from './batchRead.ts';
import { withDefaultTimeouts } from './clientTimeouts.ts';
import { DataKeyCache } from './dataKeyCache.ts';
import { ConfigurationError } from './errors.ts';
import { fromItem, type Item } from './item/index.ts';
import { checkNamespace } from './keys.ts';
import { Refresher } from './refresh.ts';
import type { SecretsStoreOptions } from './SecretsStoreOptions.ts';
import { resolveClient } from './sdkClient.ts';
import { SecretSealer } from './secretSealer.ts';
import { SecretWriter } from './secretWriter.ts';
import { copyCached, ValueCache, valueCacheId } from './valueCache.ts';
import type { ValueHash } from './values.ts';

export interface StoreParts {
  readonly tableName: string;
  readonly namespace: string;
  readonly client: DynamoDBClient;
  readonly consistentRead: boolean;
  readonly sealer: SecretSealer;
  readonly valueCache: ValueCache | undefined;
  readonly writer: SecretWriter;
  readonly batchRead: BatchReadContext;
  readonly refresher: Refresher;
  /** Decrypts a live item's value, its data key zero-filled at once. */
  readonly open: (key: string, item: Item, signal?: AbortSignal) => Promise<ValueHash>;
  /** The options with the resolved client and caches, so that forNamespace() shares them. */
  readonly shared: SecretsStoreOptions;
}

export function buildStoreParts(options: SecretsStoreOptions): StoreParts {
  if (typeof options?.tableName !== 'string' || options.tableName === '') {
    throw new ConfigurationError(
      `tableName must be a non-empty string, received ${typeof options?.tableName === 'string' ? 'an empty string' : typeof options?.tableName}`,
    );
  }
  checkNamespace(options.namespace);
  if (!options.keyring || typeof options.keyring.generateDataKey !== 'function') {
    throw new ConfigurationError('keyring must be a Keyring (KmsKeyring or LocalKeyring)');
  }
  const { tableName, namespace } = options;
  const client = resolveClient(
    'SecretsStore',
    options,
    (config) => new DynamoDBClient(withDefaultTimeouts(config)),
  );
  const option = options.dataKeyCache;
  const cache =
    option === false
      ? undefined
      : option instanceof DataKeyCache
        ? option
        : new DataKeyCache(option);
  const consistentRead = options.consistentRead ?? true;
  const retry = retryPolicy(options.patchRetry, DEFAULT_PATCH_RETRY, 'patchRetry');
  const dataKeyMaxAgeMs = options.dataKeyMaxAgeMs ?? 60 * 60 * 1000;
  if (!Number.isFinite(dataKeyMaxAgeMs) || dataKeyMaxAgeMs < 0) {
    throw new ConfigurationError(
      `dataKeyMaxAgeMs must be a number of at least 0, received ${dataKeyMaxAgeMs}`,
    );
  }
  const sealer = new SecretSealer(options.keyring, cache, dataKeyMaxAgeMs);
  const values = options.valueCache;
  const valueCache =
    values === undefined || values === false
      ? undefined
      : values instanceof ValueCache
        ? values
        : new ValueCache(values);
  const writer = new SecretWriter({
    client,
    tableName,
    namespace,
    sealer,
    retry,
    // The value cache follows the patch batches in the table's order (put and delete: the store).
    listener: valueCache && {
      started: (key) => {
        const watch = valueCache.startWrite(valueCacheId(tableName, namespace, key));
        return {
          landed: (state, value) => watch.landed(state, copyCached(value)),
          failed: () => watch.failed(),
          ended: () => watch.ended(),
        };
      },
    },
  });
  const open = async (key: string, item: Item, signal?: AbortSignal): Promise<ValueHash> => {
    const { value, dataKey } = await sealer.open({ namespace, key }, fromItem(item, key), signal);
    dataKey.fill(0);
    return value;
  };
  return {
    tableName,
    namespace,
    client,
    consistentRead,
    sealer,
    valueCache,
    writer,
    batchRead: { client, tableName, namespace, consistentRead, valueCache, open },
    refresher: new Refresher({ client, tableName, namespace, writer, open }),
    open,
    shared: {
      ...options,
      client,
      clientConfig: undefined,
      dataKeyCache: cache ?? false,
      valueCache: valueCache ?? false,
    },
  };
}
