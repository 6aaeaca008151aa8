/**
 * The schedule hooks of the in-process table: pause a request before it is applied, drop the
 * response of one that was applied (the SDK sees a connection reset and re-sends it), hold a
 * copy in the network (the SDK sees a reset at once; the copy is applied when the test says), answer
 * with an error instead of applying, or leave part of a batch unprocessed. Each hook waits for
 * the next request of its operation that matches its predicate, so a test states the exact
 * interleaving it needs instead of hoping for it.
 */
import { DynamoDBError, type DynamoDBErrorName } from './dynamoErrors.ts';

export type OperationName =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'BatchWriteItem'
  | 'BatchGetItem'
  | 'TransactWriteItems';

/** A request as the table received it: DynamoDB's JSON (binary values as base64 text). */
export type RequestInput = Readonly<Record<string, unknown>>;
export type RequestPredicate = (input: RequestInput) => boolean;

export interface PausedRequest {
  /** Resolves with the request's input when it arrives; it then waits for `release()`. */
  readonly reached: Promise<RequestInput>;
  /** Lets the request go on and be applied. */
  release(): void;
}

/** A copy of a request held in the network: the client has already given up on it. */
export interface HeldRequest {
  /** Resolves with the request's input when it arrives (and the client sees a reset). */
  readonly reached: Promise<RequestInput>;
  /**
   * Lets the held copy reach the table now: it is applied against the item as it is now.
   * Resolves `true` when it was applied, `false` when the table refused it (a failed condition).
   */
  deliver(): Promise<boolean>;
}

export interface LoseResponseOptions {
  /** How many matching requests lose their response (a re-sent copy matches too). Default 1. */
  readonly times?: number;
  /** Runs after the request was applied and before the client sees the error, e.g. a rival write. */
  readonly onLost?: (input: RequestInput) => void | Promise<void>;
}

export interface UnprocessedOptions {
  /** How many matching requests leave keys unprocessed. Default 1. */
  readonly times?: number;
  /** The batch whose requests are left: `UnprocessedItems` or `UnprocessedKeys`. Default BatchWriteItem. */
  readonly operation?: 'BatchWriteItem' | 'BatchGetItem';
}

export interface FailOptions {
  readonly times?: number;
  readonly message?: string;
}

interface Hook {
  readonly operation: OperationName;
  readonly predicate: RequestPredicate | undefined;
  remaining: number;
}

interface PauseHook extends Hook {
  readonly arrive: (input: RequestInput) => void;
  readonly released: Promise<void>;
}
interface HoldHook extends Hook {
  readonly arrive: (input: RequestInput, apply: () => void) => void;
}
interface LossHook extends Hook {
  readonly onLost: LoseResponseOptions['onLost'];
}
interface FailureHook extends Hook {
  readonly errorName: DynamoDBErrorName | string;
  readonly message: string;
}
interface UnprocessedHook extends Hook {
  readonly count: number;
}

/** The error a dropped response turns into: a reset connection, which the SDK retries. */
export function lostResponseError(): Error {
  return Object.assign(
    new Error('socket hang up (MemoryTable dropped the response of a request it had applied)'),
    { code: 'ECONNRESET' },
  );
}

function take<T extends Hook>(hooks: T[], operation: string, input: RequestInput): T | undefined {
  const hook = hooks.find(
    (candidate) => candidate.operation === operation && (candidate.predicate?.(input) ?? true),
  );
  if (!hook) return undefined;
  hook.remaining -= 1;
  if (hook.remaining <= 0) hooks.splice(hooks.indexOf(hook), 1);
  return hook;
}

function checkTimes(times: number): number {
  if (!Number.isInteger(times) || times < 1) {
    throw new RangeError(`times must be a positive integer; received ${times}`);
  }
  return times;
}

export class FaultSchedule {
  private readonly pauses: PauseHook[] = [];
  private readonly holds: HoldHook[] = [];
  private readonly losses: LossHook[] = [];
  private readonly failures: FailureHook[] = [];
  private readonly unprocessed: UnprocessedHook[] = [];

  pauseNext(operation: OperationName, predicate?: RequestPredicate): PausedRequest {
    let arrive!: (input: RequestInput) => void;
    let release!: () => void;
    const reached = new Promise<RequestInput>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.pauses.push({ operation, predicate, remaining: 1, arrive, released });
    return { reached, release };
  }

  holdNext(operation: OperationName, predicate?: RequestPredicate): HeldRequest {
    let arrived!: (held: { input: RequestInput; apply: () => void }) => void;
    const arrival = new Promise<{ input: RequestInput; apply: () => void }>((resolve) => {
      arrived = resolve;
    });
    this.holds.push({
      operation,
      predicate,
      remaining: 1,
      arrive: (input, apply) => arrived({ input, apply }),
    });
    return {
      reached: arrival.then(({ input }) => input),
      deliver: async () => {
        const { apply } = await arrival;
        try {
          apply();
          return true;
        } catch (error) {
          if (error instanceof DynamoDBError && error.name === 'ConditionalCheckFailedException') {
            return false;
          }
          throw error;
        }
      },
    };
  }

  loseResponseOfNext(
    operation: OperationName,
    predicate?: RequestPredicate,
    options: LoseResponseOptions = {},
  ): void {
    this.losses.push({
      operation,
      predicate,
      remaining: checkTimes(options.times ?? 1),
      onLost: options.onLost,
    });
  }

  failNext(
    operation: OperationName,
    errorName: DynamoDBErrorName | string,
    predicate?: RequestPredicate,
    options: FailOptions = {},
  ): void {
    this.failures.push({
      operation,
      predicate,
      remaining: checkTimes(options.times ?? 1),
      errorName,
      message: options.message ?? `${errorName} (injected by MemoryTable.failNext)`,
    });
  }

  leaveUnprocessedInNext(
    count: number,
    predicate?: RequestPredicate,
    options: UnprocessedOptions = {},
  ): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`count must be a positive integer; received ${count}`);
    }
    this.unprocessed.push({
      operation: options.operation ?? 'BatchWriteItem',
      predicate,
      remaining: checkTimes(options.times ?? 1),
      count,
    });
  }

  /** Runs a request through the hooks: `apply` is where the table applies it. */
  async run<T>(
    operation: string,
    input: RequestInput,
    apply: (unprocessed: number) => T,
  ): Promise<T> {
    const hold = take(this.holds, operation, input);
    if (hold) {
      // Held in the network: the client's connection is reset now; the copy lands later, if ever.
      hold.arrive(input, () => apply(0));
      throw lostResponseError();
    }
    // A paused request may still be refused when it goes on (throttled after a wait).
    const pause = take(this.pauses, operation, input);
    if (pause) {
      pause.arrive(input);
      await pause.released;
    }
    const failure = take(this.failures, operation, input);
    if (failure) throw new DynamoDBError(failure.errorName, failure.message);
    const unprocessed = take(this.unprocessed, operation, input)?.count ?? 0;
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: apply(unprocessed) };
    } catch (error) {
      outcome = { error };
    }
    const loss = take(this.losses, operation, input);
    if (loss) {
      await loss.onLost?.(input);
      throw lostResponseError();
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  clear(): void {
    for (const hooks of [this.holds, this.pauses, this.losses, this.failures, this.unprocessed])
      hooks.length = 0;
  }

  /** Hooks still waiting for their request. */
  get pending(): number {
    return (
      this.holds.length +
      this.pauses.length +
      this.losses.length +
      this.failures.length +
      this.unprocessed.length
    );
  }
}
