/**
 * An in-process DynamoDB for tests: the JSON API of one key schema (`pk` string hash key, `sk`
 * string range key), faithful to DynamoDB for every command the store, purge and the cleanup
 * Lambda send, plugged into the real `DynamoDBClient` as its request handler (no server, no
 * network), with hooks that force the interleavings a concurrency test claims to test.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../errors.ts';
import type { WireItem } from './attributeValues.ts';
import { batchGetItem, batchWriteItem } from './batchOperations.ts';
import { DynamoDBError, type DynamoDBErrorName } from './dynamoErrors.ts';
import {
  type FailOptions,
  FaultSchedule,
  type HeldRequest,
  type LoseResponseOptions,
  type OperationName,
  type PausedRequest,
  type RequestInput,
  type RequestPredicate,
  type UnprocessedOptions,
} from './faultSchedule.ts';
import { deleteItem, getItem, type Output, putItem, updateItem } from './itemOperations.ts';
import { query } from './queryOperation.ts';
import { type MemoryRequestHandler, memoryRequestHandler } from './requestHandler.ts';
import { scan } from './scanOperation.ts';
import { TableStorage } from './tableStorage.ts';
import { TransactionLedger } from './transactWriteItems.ts';

export interface MemoryTableOptions {
  /**
   * The table names that exist; a request naming another gets ResourceNotFoundException.
   * @default any valid name: a table is created by its first write
   */
  readonly tableNames?: readonly string[];
}

/** One request the table received, in DynamoDB's JSON (binary values as base64 text). */
export interface RecordedRequest {
  readonly operation: string;
  readonly input: RequestInput;
}

/**
 * @example
 * const table = new MemoryTable();
 * const client = table.client();
 * const paused = table.pauseNext('PutItem');
 * const write = store.put('k', { v: 1 });
 * await paused.reached;          // the put is in flight, not applied
 * await rival.put('k', { v: 2 }); // the rival writes first
 * paused.release();
 * await write;
 */
export class MemoryTable {
  /** Every request received, in order (re-sent copies included): count round trips with it. */
  readonly requests: RecordedRequest[] = [];
  private readonly storage: TableStorage;
  private readonly schedule = new FaultSchedule();
  private readonly transactions = new TransactionLedger();

  constructor(options: MemoryTableOptions = {}) {
    this.storage = new TableStorage(options.tableNames);
  }

  /**
   * A real `DynamoDBClient` whose requests this table answers. Region and credentials are
   * dummies unless given; the SDK's serialisers, retry strategy and error classes all run.
   */
  client(config: DynamoDBClientConfig = {}): DynamoDBClient {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'memory-table', secretAccessKey: 'memory-table' },
      ...config,
      requestHandler: this.requestHandler(),
    });
    return withOwnSend(client);
  }

  /** The handler to pass as `requestHandler` to a `DynamoDBClient` of your own. */
  requestHandler(): MemoryRequestHandler {
    return memoryRequestHandler((operation, input) => this.send(operation, input));
  }

  /** DynamoDB's JSON API directly: `send('GetItem', { TableName, Key: { pk: { S } ... } })`. */
  async send(operation: string, input: RequestInput): Promise<Output> {
    this.requests.push({ operation, input: structuredClone(input) });
    return this.schedule.run(operation, input, (unprocessed) =>
      this.apply(operation, input, unprocessed),
    );
  }

  private apply(operation: string, input: RequestInput, unprocessed: number): Output {
    if (typeof input !== 'object' || input === null) {
      throw new DynamoDBError('SerializationException', 'The request body must be a JSON object');
    }
    switch (operation) {
      case 'GetItem':
        return getItem(this.storage, input);
      case 'PutItem':
        return putItem(this.storage, input);
      case 'UpdateItem':
        return updateItem(this.storage, input);
      case 'DeleteItem':
        return deleteItem(this.storage, input);
      case 'Query':
        return query(this.storage, input);
      case 'Scan':
        return scan(this.storage, input);
      case 'BatchWriteItem':
        return batchWriteItem(this.storage, input, unprocessed);
      case 'BatchGetItem':
        return batchGetItem(this.storage, input, unprocessed);
      case 'TransactWriteItems':
        return this.transactions.transactWriteItems(this.storage, input);
      default:
        throw new DynamoDBError(
          'UnknownOperationException',
          `MemoryTable does not implement the operation ${JSON.stringify(operation)}`,
        );
    }
  }

  /** The next matching request waits, before it is applied, until `release()`. */
  pauseNext(operation: OperationName, predicate?: RequestPredicate): PausedRequest {
    return this.schedule.pauseNext(operation, predicate);
  }

  /**
   * The next matching request is held in the network: the client sees a connection reset at once
   * (and the SDK may re-send it), while this copy reaches the table only when `deliver()` is
   * called: a copy that lands after the client gave up on it.
   */
  holdNext(operation: OperationName, predicate?: RequestPredicate): HeldRequest {
    return this.schedule.holdNext(operation, predicate);
  }

  /**
   * The next matching request is applied, then its response is replaced by a connection reset,
   * so the SDK re-sends the same request: the lost-response schedule. `onLost` runs between the
   * apply and the re-send (a rival write goes there).
   */
  loseResponseOfNext(
    operation: OperationName,
    predicate?: RequestPredicate,
    options?: LoseResponseOptions,
  ): void {
    this.schedule.loseResponseOfNext(operation, predicate, options);
  }

  /** The next matching request is not applied; it gets DynamoDB's error `errorName`. */
  failNext(
    operation: OperationName,
    errorName: DynamoDBErrorName | string,
    predicate?: RequestPredicate,
    options?: FailOptions,
  ): void {
    this.schedule.failNext(operation, errorName, predicate, options);
  }

  /**
   * The next matching BatchWriteItem hands its last `count` requests back as UnprocessedItems;
   * with `{ operation: 'BatchGetItem' }`, the next BatchGetItem its last `count` keys as
   * UnprocessedKeys (what DynamoDB does when a read is throttled).
   */
  leaveUnprocessedInNext(
    count: number,
    predicate?: RequestPredicate,
    options?: UnprocessedOptions,
  ): void {
    this.schedule.leaveUnprocessedInNext(count, predicate, options);
  }

  /** How many hooks are still waiting for their request (0 once a test's schedule has run). */
  get pendingHooks(): number {
    return this.schedule.pending;
  }

  /**
   * Every item of a table in key order, in DynamoDB's JSON (binary values as base64 text).
   * @param tableName may be left out when the table knows one name only
   */
  items(tableName?: string): WireItem[] {
    const names = this.storage.tableNames();
    const name = tableName ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw new RangeError(`items() needs a table name; the table knows ${JSON.stringify(names)}`);
    }
    return structuredClone(this.storage.allItems(name));
  }

  /** Forgets every item, request, hook and transaction token. */
  reset(): void {
    this.storage.clear();
    this.schedule.clear();
    this.transactions.clear();
    this.requests.length = 0;
  }
}

/**
 * The client with its own `send`: the SDK's, taken from the class DynamoDBClient extends. A user's
 * `mockClient(DynamoDBClient)` (aws-sdk-client-mock, in a shared setup file say) stubs
 * `DynamoDBClient.prototype.send`, which every other client then reaches; this one answers from
 * its table anyway, so a test store never "succeeds" into a stub that returns nothing. A
 * `mockClient(client)` of this very instance still replaces it, on purpose.
 */
function withOwnSend(client: DynamoDBClient): DynamoDBClient {
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send?: unknown } | null;
  const send = base?.send;
  if (typeof send !== 'function') {
    throw new ConfigurationError(
      'the testing kit cannot find the AWS SDK client send it needs: @aws-sdk/client-dynamodb changed its classes',
    );
  }
  Object.defineProperty(client, 'send', {
    value: send,
    writable: true,
    configurable: true,
  });
  return client;
}
