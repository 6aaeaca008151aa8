/**
 * Every copy's answer (write protocol v3, DESIGN.md point 1). The SDK sends a request again after
 * a throttle, a 5xx or a network error, and reports only its last answer; whether an earlier copy
 * may still land is lost with the others. A middleware on the write's own command, at the
 * deserialize step (inside the SDK's retry loop, so it runs once per copy), records each copy's
 * answer:
 *
 * - `applied`: a 2xx came back: that copy landed;
 * - `refused`: a 4xx (condition failed, throttled, validation): that copy was not applied and
 *   never will be; and a copy that never left the machine: no connection was made (ECONNREFUSED,
 *   a DNS failure, the connection timeout) or the caller's signal had aborted before it was
 *   handed to the HTTP handler;
 * - `may-land`: a 5xx, a network error on a connection made (ECONNRESET, a socket hang-up: the
 *   request may have been written) or a timeout after connecting: that copy may have been
 *   applied, or may still be, later. A copy in the HTTP handler when its write is aborted may
 *   land too.
 *
 * After a copy that may land, the middleware ends the send (see {@link CopyEnded}): the store
 * owns the retries of its writes that may have landed, and of the throttled copies of its
 * conditional writes; the SDK the other refusals.
 *
 * The middleware is added to the command instance, never to the caller's client. A client whose
 * `send` is replaced (aws-sdk-client-mock without call-through) runs no middleware: then the
 * final error and its `$metadata.attempts` are all there is, and every copy but a refused only
 * copy counts as `may-land` (never certain without evidence).
 */
import type { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { networkErrorCode } from './awsErrors.ts';
import { sendDynamo } from './dynamoCall.ts';

/** The commands a write sends. */
export type WriteCommand = PutItemCommand | UpdateItemCommand;

export type CopyAnswer = 'applied' | 'refused' | 'may-land';

interface ErrorFields {
  readonly $fault?: unknown;
  readonly $metadata?: { readonly attempts?: number; readonly httpStatusCode?: number };
}

/**
 * System codes that prove no connection was made, so no byte of the request left: the server
 * refused the connection (ECONNREFUSED comes only from connecting: a reset of a connection made
 * is ECONNRESET), or the name did not resolve. Not EHOSTUNREACH/ENETUNREACH: a connection made
 * whose retransmissions time out reports them too, after the request was written.
 */
const NEVER_CONNECTED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
]);

/**
 * The Node HTTP handler's connection timeout (`connectionTimeout`): its timer is cleared when
 * the socket connects, so this error means the socket never did. It has no code; its words are
 * the handler's own (@smithy/node-http-handler).
 */
const CONNECTION_TIMEOUT = /did not establish a connection with the server within/;

/** Whether `error` proves that the request never left the machine: no connection was made. */
export function neverConnected(error: unknown): boolean {
  const code = networkErrorCode(error);
  if (code !== undefined) return NEVER_CONNECTED_CODES.has(code);
  return (
    error instanceof Error &&
    error.name === 'TimeoutError' &&
    CONNECTION_TIMEOUT.test(error.message)
  );
}

/**
 * What one copy's failure says about it: DynamoDB's own 4xx answer (the status, or an exception
 * the SDK classes as the client's fault, as a mocked one is) refused it, and so does a
 * connection never made; anything else (no answer, a 5xx) may have been applied.
 */
export function answerOfFailure(error: unknown): CopyAnswer {
  if (neverConnected(error)) return 'refused';
  const fields = error as ErrorFields | undefined;
  const status = fields?.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 400 && status < 500 ? 'refused' : 'may-land';
  return fields?.$fault === 'client' ? 'refused' : 'may-land';
}

/**
 * What the store's middleware throws in place of a failure whose follow-up the store decides
 * itself: an error the SDK does not retry. After a copy that may still land (a network error, a
 * timeout, a 5xx) the store decides at once, with a fresh read, instead of after the SDK's
 * backoff, by when more writes may have pushed the write's base out of the item's history; and a
 * conditional write's throttled copy is re-sent by the store only after a read shows its base
 * still current. `failure` is the SDK's own error; it is not a `cause`, because the SDK's retry
 * strategy looks into causes.
 */
export class CopyEnded extends Error {
  readonly failure: unknown;

  constructor(failure: unknown) {
    super('the store decides what follows this copy');
    this.name = 'SecretsStoreCopyEnded';
    this.failure = failure;
  }
}

/** The SDK's error behind a failure of {@link CopyLog.send}. */
export function sdkFailure(error: unknown): unknown {
  return error instanceof CopyEnded ? error.failure : error;
}

/** The answers of every copy of every send of one write (the same request, the same `writeId`). */
export class CopyLog {
  readonly #answers: CopyAnswer[] = [];
  /** Copies handed to the HTTP handler whose answer has not come back. */
  #inHandler = 0;
  /** The sends in flight: one whose middleware has not run (a replaced `send`) tells nothing. */
  readonly #sends = new Set<{ stackRan: boolean }>();

  get answers(): readonly CopyAnswer[] {
    return this.#answers;
  }

  /**
   * Whether some copy was applied or may be: false only when every copy was refused. Asked while
   * a send is still in flight (its write was aborted), a copy in the HTTP handler may land; a
   * copy not yet handed to it never will be (the middleware checks the signal first).
   */
  get someMayLand(): boolean {
    return (
      this.#inHandler > 0 ||
      [...this.#sends].some((sending) => !sending.stackRan) ||
      this.#answers.some((answer) => answer !== 'refused')
    );
  }

  /**
   * Sends `command` through `send`, recording each copy's answer. When no copy was seen (the
   * client's `send` was replaced), the final answer is recorded as described above.
   */
  /**
   * @param ownRefusals the store, not the SDK, follows up a refused copy (a throttle) too: for
   *   writes conditioned on the item they read, whose re-send is worth a read first
   */
  /**
   * @param signal the caller's: passed to the SDK, and a copy is not handed to the HTTP handler
   *   once it has aborted (that copy is `refused`: it never left)
   */
  async send(
    client: DynamoDBClient,
    command: WriteCommand,
    ownRefusals = false,
    signal?: AbortSignal,
  ): Promise<void> {
    let seen = 0;
    const state = { stackRan: false };
    const stack = command.middlewareStack as PutItemCommand['middlewareStack'];
    stack.add(
      (next) => (args) => {
        state.stackRan = true;
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'secretsStoreCopyStack' },
    );
    stack.add(
      (next) => async (args) => {
        seen++;
        if (signal?.aborted) {
          this.#answers.push('refused');
          throw new CopyEnded(
            Object.assign(new Error('aborted before sending'), { name: 'AbortError' }),
          );
        }
        this.#inHandler++;
        try {
          const output = await next(args);
          this.#answers.push('applied');
          return output;
        } catch (error) {
          const answer = answerOfFailure(error);
          this.#answers.push(answer);
          // Otherwise refusals (throttles) are the SDK's to retry: nothing of them can land.
          throw answer === 'may-land' || ownRefusals ? new CopyEnded(error) : error;
        } finally {
          this.#inHandler--;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'secretsStoreCopyAnswers' },
    );
    this.#sends.add(state);
    try {
      await sendDynamo(client, command, { signal });
      if (seen === 0) this.#answers.push('applied');
    } catch (error) {
      // The middleware ran but no copy reached the HTTP handler (credentials, region, an abort
      // before sending): nothing was sent. A replaced send: its final error is all there is.
      if (seen === 0 && !state.stackRan) this.#recordUnseen(error);
      throw error;
    } finally {
      this.#sends.delete(state);
    }
  }

  /** Records what a send whose middleware saw no copy tells of its copies. */
  #recordUnseen(error: unknown): void {
    const attempts = (error as ErrorFields | undefined)?.$metadata?.attempts;
    const copies = typeof attempts === 'number' && attempts > 1 ? attempts : 1;
    // Earlier copies were retried for a reason the final error does not tell: they may land.
    for (let copy = 1; copy < copies; copy++) this.#answers.push('may-land');
    this.#answers.push(answerOfFailure(error));
  }
}
