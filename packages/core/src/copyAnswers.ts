/**
 * Every copy's answer (write protocol v3, DESIGN.md point 1). The SDK sends a request again after
 * a throttle, a 5xx or a network error, and reports only its last answer; whether an earlier copy
 * may still land is lost with the others. A middleware on the write's own command, at the
 * deserialize step (inside the SDK's retry loop, so it runs once per copy), records each copy's
 * answer:
 *
 * - `applied`: a 2xx came back: that copy landed;
 * - `refused`: a 4xx (condition failed, throttled, validation): that copy was not applied and
 *   never will be;
 * - `may-land`: a 5xx, a network error or a timeout: that copy may have been applied, or may
 *   still be, later.
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
import { sendDynamo } from './dynamoCall.ts';

/** The commands a write sends. */
export type WriteCommand = PutItemCommand | UpdateItemCommand;

export type CopyAnswer = 'applied' | 'refused' | 'may-land';

interface ErrorFields {
  readonly $fault?: unknown;
  readonly $metadata?: { readonly attempts?: number; readonly httpStatusCode?: number };
}

/**
 * What one copy's failure says about it: DynamoDB's own 4xx answer (the status, or an exception
 * the SDK classes as the client's fault, as a mocked one is) refused it; anything else (no
 * answer, a 5xx) may have been applied.
 */
export function answerOfFailure(error: unknown): CopyAnswer {
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

  get answers(): readonly CopyAnswer[] {
    return this.#answers;
  }

  /** Whether some copy was applied or may be: false only when every copy was refused. */
  get someMayLand(): boolean {
    return this.#answers.some((answer) => answer !== 'refused');
  }

  /**
   * Sends `command` through `send`, recording each copy's answer. When no copy was seen (the
   * client's `send` was replaced), the final answer is recorded as described above.
   */
  /**
   * @param ownRefusals the store, not the SDK, follows up a refused copy (a throttle) too: for
   *   writes conditioned on the item they read, whose re-send is worth a read first
   */
  async send(client: DynamoDBClient, command: WriteCommand, ownRefusals = false): Promise<void> {
    let seen = 0;
    (command.middlewareStack as PutItemCommand['middlewareStack']).add(
      (next) => async (args) => {
        seen++;
        try {
          const output = await next(args);
          this.#answers.push('applied');
          return output;
        } catch (error) {
          const answer = answerOfFailure(error);
          this.#answers.push(answer);
          // Otherwise refusals (throttles) are the SDK's to retry: nothing of them can land.
          throw answer === 'may-land' || ownRefusals ? new CopyEnded(error) : error;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'secretsStoreCopyAnswers' },
    );
    try {
      await sendDynamo(client, command);
      if (seen === 0) this.#answers.push('applied');
    } catch (error) {
      if (seen === 0) this.#recordUnseen(error);
      throw error;
    }
  }

  #recordUnseen(error: unknown): void {
    const attempts = (error as ErrorFields | undefined)?.$metadata?.attempts;
    const copies = typeof attempts === 'number' && attempts > 1 ? attempts : 1;
    // Earlier copies were retried for a reason the final error does not tell: they may land.
    for (let copy = 1; copy < copies; copy++) this.#answers.push('may-land');
    this.#answers.push(answerOfFailure(error));
  }
}
