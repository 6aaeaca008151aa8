/**
 * What one public operation cost: the requests it sent to DynamoDB and KMS, the capacity units
 * DynamoDB charged for them, and how often the store tried again. A meter exists only while the
 * `secrets-store:operation` channel has a subscriber: the operation enters it as an
 * AsyncLocalStorage scope, and the two funnels (sendDynamo, sendKms) meter each command sent
 * inside that scope. Without a subscriber no scope is entered, and the funnels do no extra work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CommandStack, CommandWithMiddleware } from './userAgent.ts';

/** The channel every public operation publishes one message on when it ends. */
export const OPERATION_CHANNEL = 'secrets-store:operation';

export const operationChannel = diagnosticsChannel.channel(OPERATION_CHANNEL);

/** The meter of the operation running in this async context (entered only with a subscriber). */
const scope = new AsyncLocalStorage<OperationMeter>();

/** The DynamoDB commands whose capacity is read capacity; every other one the store sends writes. */
const READ_COMMANDS = new Set([
  'GetItemCommand',
  'BatchGetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'TransactGetItemsCommand',
]);

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

export class OperationMeter {
  dynamodbRequests = 0;
  readUnits = 0;
  writeUnits = 0;
  kmsRequests = 0;
  /** Store-level retries: a write that lost a race or is re-sent, unprocessed keys read again. */
  retries = 0;
  readonly startedAt = performance.now();
  #open = true;

  /** A meter for one operation (a function of its own, so that a test can count them). */
  static start(): OperationMeter {
    openMeters += 1;
    return new OperationMeter();
  }

  /** Ends the meter: what a copy still in flight does afterwards belongs to no operation. */
  close(): number {
    if (this.#open) {
      this.#open = false;
      openMeters -= 1;
      // The last subscriber left and no operation is metered: give Node's promise hooks back
      // (on Node 20 and 22 an AsyncLocalStorage keeps them on until it is disabled).
      if (openMeters === 0 && !operationChannel.hasSubscribers) scope.disable();
    }
    return performance.now() - this.startedAt;
  }

  request(service: 'dynamodb' | 'kms'): void {
    if (!this.#open) return;
    if (service === 'dynamodb') this.dynamodbRequests += 1;
    else this.kmsRequests += 1;
  }

  retried(): void {
    if (this.#open) this.retries += 1;
  }

  /** DynamoDB's ConsumedCapacity of one response (an object, or a list for batch commands). */
  consumed(
    commandName: string,
    capacity: ConsumedCapacity | readonly ConsumedCapacity[] | undefined,
  ): void {
    if (!this.#open || capacity === undefined) return;
    const read = READ_COMMANDS.has(commandName);
    for (const entry of [capacity].flat() as ConsumedCapacity[]) {
      const total = entry.CapacityUnits ?? 0;
      this.readUnits += entry.ReadCapacityUnits ?? (read ? total : 0);
      this.writeUnits += entry.WriteCapacityUnits ?? (read ? 0 : total);
    }
  }

  /**
   * A write refused by its condition is charged too, and its error carries no ConsumedCapacity:
   * DynamoDB charges the size of the existing item (returned here by ALL_OLD) in 1 KB write
   * units, or 1 when there is none (its documented rule for failed conditional writes).
   */
  refusedByCondition(existing: Record<string, AttributeValue> | undefined): void {
    if (!this.#open) return;
    this.writeUnits += existing ? Math.max(1, Math.ceil(itemBytes(existing) / 1024)) : 1;
  }
}

/** Meters started and not yet closed. */
let openMeters = 0;

/** The meter of the operation running here, if one is metered (only with a subscriber). */
export function activeMeter(): OperationMeter | undefined {
  // No subscriber, no scope was entered: skip even the lookup.
  return operationChannel.hasSubscribers ? scope.getStore() : undefined;
}

/** Whether an operation's scope is already entered (a public operation called by another). */
export function insideOperation(): boolean {
  return scope.getStore() !== undefined;
}

/** Runs `run` in `meter`'s scope; without a meter, as it is. */
export function runMetered<T>(meter: OperationMeter | undefined, run: () => T): T {
  return meter === undefined ? run() : scope.run(meter, run);
}

/** Counted by the store's backoff: every store-level retry waits there once. */
export function noteRetry(): void {
  activeMeter()?.retried();
}

/**
 * Meters every attempt the SDK makes of `command` (the deserialize step runs once per attempt,
 * inside the SDK's retries) and asks DynamoDB for the capacity it consumed.
 */
export function meterCommand(
  command: CommandWithMiddleware & { readonly input: object },
  service: 'dynamodb' | 'kms',
  meter: OperationMeter,
): void {
  if (service === 'dynamodb') {
    const input = command.input as { ReturnConsumedCapacity?: string };
    input.ReturnConsumedCapacity ??= 'TOTAL';
  }
  (command.middlewareStack as CommandStack).add(
    (next, context) => async (args) => {
      meter.request(service);
      if (service === 'kms') return next(args);
      try {
        const result = await next(args);
        meter.consumed(
          context.commandName ?? '',
          (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity,
        );
        return result;
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException') {
          meter.refusedByCondition((error as { Item?: Record<string, AttributeValue> }).Item);
        }
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'secretsStoreMeter', override: true },
  );
}

/** An item's size as DynamoDB counts it: attribute names plus values. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.B !== undefined) return value.B.byteLength;
  // About one byte per two significant digits, plus one.
  if (value.N !== undefined)
    return Math.ceil(value.N.replace(/^[-0.]+|[eE].*$/g, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined)
    return 3 + value.L.reduce((sum, entry) => sum + 1 + valueBytes(entry), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.SS !== undefined)
    return value.SS.reduce((sum, entry) => sum + Buffer.byteLength(entry, 'utf8'), 0);
  if (value.NS !== undefined)
    return value.NS.reduce((sum, entry) => sum + valueBytes({ N: entry }), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, entry) => sum + entry.byteLength, 0);
  return 0;
}
