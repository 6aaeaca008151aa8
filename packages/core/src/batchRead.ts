/**
 * `getMany`: many secrets of one namespace in `BatchGetItem` calls of 100 keys, strongly
 * consistent, `UnprocessedKeys` retried with full-jitter backoff, every item opened once (the
 * data-key cache's single flight unwraps each distinct data key once), through the value cache
 * when the store has one.
 */
import {
  BatchGetItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { BATCH_READ_RETRY, backOff } from './backoff.ts';
import { type CallSite, callDynamo, sendDynamo, unprocessedError } from './dynamoCall.ts';
import { InvalidKeyError, type StorageError } from './errors.ts';
import {
  ATTRIBUTE,
  batchGetSecretsInput,
  type Item,
  isTombstone,
  keyOf,
  MAX_BATCH_GET_KEYS,
} from './item/index.ts';
import { checkKey } from './keys.ts';
import {
  ABSENT,
  type CachedValue,
  copyCached,
  type ReadFill,
  type ValueCache,
  valueCacheId,
} from './valueCache.ts';
import type { ValueHash } from './values.ts';

/** What `getMany` needs of its store. */
export interface BatchReadContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly namespace: string;
  readonly consistentRead: boolean;
  readonly valueCache: ValueCache | undefined;
  /** Decrypts the item of `key` (a live secret, not a tombstone). */
  readonly open: (key: string, item: Item) => Promise<ValueHash>;
}

/** Precondition: every key is valid, checked before any call; duplicates collapse, in first order. */
export function distinctKeys(keys: Iterable<string>): string[] {
  if (
    typeof (keys as Iterable<string> | null)?.[Symbol.iterator] !== 'function' ||
    typeof keys === 'string'
  ) {
    throw new InvalidKeyError(
      `getMany needs an iterable of keys (an array, a Set), received ${typeof keys === 'string' ? 'a string' : keys === null ? 'null' : typeof keys}`,
    );
  }
  const distinct = new Set<string>();
  for (const key of keys) {
    checkKey(key);
    distinct.add(key);
  }
  return [...distinct];
}

/**
 * The values of `keys` (distinct, valid), `ABSENT` for a key with no secret or a tombstone, each
 * a value the caller owns. Fresh cached values are served from the value cache unless
 * `forceFetch`; what is read fills it.
 */
export async function readMany(
  context: BatchReadContext,
  keys: readonly string[],
  forceFetch: boolean,
  signal?: AbortSignal,
): Promise<Map<string, CachedValue>> {
  const { valueCache: cache, namespace, tableName } = context;
  const found = new Map<string, CachedValue>();
  const missing: string[] = [];
  for (const key of keys) {
    const cached = forceFetch ? undefined : cache?.lookup(valueCacheId(tableName, namespace, key));
    if (cached === undefined) missing.push(key);
    else found.set(key, cached);
  }
  if (missing.length === 0) return found;
  // Each key's fill learns when the table answered it, before the decrypt (maxAgeMs counts from
  // there), and is judged against what the cache learned meanwhile (a purge, a delete, a write).
  const fills = new Map<string, ReadFill>();
  if (cache) {
    for (const key of missing) {
      fills.set(
        key,
        cache.startRead(valueCacheId(tableName, namespace, key), context.consistentRead),
      );
    }
  }
  let read: Map<string, CachedValue>;
  try {
    read = await readFromTable(
      context,
      missing,
      cache && ((key, item) => fills.get(key)?.answered(item)),
      signal,
    );
  } catch (error) {
    for (const fill of fills.values()) fill.abandon();
    throw error;
  }
  for (const key of missing) {
    const value = read.get(key) ?? ABSENT;
    fills.get(key)?.fill(copyCached(value));
    found.set(key, value);
  }
  return found;
}

/** Told that the table answered `key` with `item` (`undefined`: no such item). */
type Answered = (key: string, item: Item | undefined) => void;

/** Reads and opens `keys` from the table: `BatchGetItem` calls of 100 keys, in parallel. */
async function readFromTable(
  context: BatchReadContext,
  keys: readonly string[],
  answered: Answered | undefined,
  signal: AbortSignal | undefined,
): Promise<Map<string, CachedValue>> {
  const chunks: string[][] = [];
  for (let start = 0; start < keys.length; start += MAX_BATCH_GET_KEYS) {
    chunks.push(keys.slice(start, start + MAX_BATCH_GET_KEYS));
  }
  // Every call runs to its end, so that keys left unread are named together, across calls.
  const settled = await Promise.allSettled(
    chunks.map((chunk) => readChunk(context, chunk, answered, signal)),
  );
  const pages: Item[][] = [];
  const unread: string[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    pages.push(outcome.value.items);
    unread.push(...outcome.value.unread);
  }
  if (unread.length > 0) throw unreadError(context, unread);
  const requested = new Set(keys);
  const items = new Map<string, Item>();
  for (const item of pages.flat()) {
    const key = keyOf(item);
    // Only what was asked, of this namespace: anything else is not this call's to return.
    if (key === undefined || !requested.has(key)) continue;
    if (item[ATTRIBUTE.namespace]?.S !== context.namespace) continue;
    items.set(key, item);
  }
  const values = new Map<string, CachedValue>();
  // Opened together: the data-key cache lets concurrent misses of one data key share a call.
  await Promise.all(
    [...items].map(async ([key, item]) => {
      // Not each with the signal: hundreds of listeners on one signal make Node warn. The
      // caller's wait is raced with the signal as a whole (SecretsStore), so it ends at once.
      values.set(key, isTombstone(item) ? ABSENT : await context.open(key, item));
    }),
  );
  return values;
}

/**
 * One call's keys, and their `UnprocessedKeys` again with backoff until the budget is spent:
 * the items read, and the keys still unread then.
 */
async function readChunk(
  context: BatchReadContext,
  keys: readonly string[],
  answered: Answered | undefined,
  signal: AbortSignal | undefined,
): Promise<{ items: Item[]; unread: string[] }> {
  const site: CallSite = {
    operation: 'getMany',
    namespace: context.namespace,
    tableName: context.tableName,
  };
  const items: Item[] = [];
  let request = batchGetSecretsInput(
    context.tableName,
    context.namespace,
    keys,
    context.consistentRead,
  ).RequestItems as Record<string, KeysAndAttributes>;
  for (let attempt = 1; ; attempt++) {
    const response = await callDynamo(site, () =>
      sendDynamo(context.client, new BatchGetItemCommand({ RequestItems: request }), { signal }),
    );
    const page = response.Responses?.[context.tableName] ?? [];
    items.push(...page);
    const unprocessed = response.UnprocessedKeys?.[context.tableName];
    if (answered) tellAnswered(context, request, page, unprocessed, answered);
    if (!unprocessed?.Keys?.length) return { items, unread: [] };
    if (attempt >= BATCH_READ_RETRY.maxAttempts) {
      return { items, unread: unprocessed.Keys.map((key) => keyOf(key) ?? '?') };
    }
    request = { [context.tableName]: unprocessed };
    await backOff(attempt, BATCH_READ_RETRY, signal);
  }
}

/**
 * Tells which keys of a request this response answered: those it returned (of this namespace),
 * and those it neither returned nor left unprocessed (no such item).
 */
function tellAnswered(
  context: BatchReadContext,
  request: Record<string, KeysAndAttributes>,
  page: readonly Item[],
  unprocessed: KeysAndAttributes | undefined,
  answered: Answered,
): void {
  const left = new Set((unprocessed?.Keys ?? []).map((key) => keyOf(key)));
  const asked = new Set((request[context.tableName]?.Keys ?? []).map((key) => keyOf(key)));
  for (const item of page) {
    const key = keyOf(item);
    if (key === undefined || !asked.has(key) || item[ATTRIBUTE.namespace]?.S !== context.namespace)
      continue;
    asked.delete(key);
    answered(key, item);
  }
  for (const key of asked) {
    if (key !== undefined && !left.has(key)) answered(key, undefined);
  }
}

/** How many unread keys an error names; the rest are counted. */
const NAMED_UNREAD_KEYS = 100;

function unreadError(context: BatchReadContext, unread: readonly string[]): StorageError {
  const named = unread.slice(0, NAMED_UNREAD_KEYS).map((key) => JSON.stringify(key));
  const more = unread.length - named.length;
  return unprocessedError(
    `left ${unread.length} of the keys of a getMany in namespace ${context.namespace} (table ${context.tableName}) unread after ${BATCH_READ_RETRY.maxAttempts} attempts (UnprocessedKeys: the table is throttled); unread: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
  );
}
