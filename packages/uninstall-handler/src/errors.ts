/**
 * Every record of an SQS batch failed (Powertools' `FullBatchFailureError`): the invocation
 * fails instead of reporting each record as a partial failure, so that the function's `Errors`
 * metric, and the error alarm on it, see a deploy that breaks every record (an AccessDenied on
 * the table) within minutes, not hours later through the dead-letter queue. SQS then delivers
 * every message of the batch again, exactly as if each were reported failed.
 */
export class FullBatchFailureError extends Error {
  /** The errors of the records, in batch order. */
  readonly recordErrors: readonly unknown[];

  constructor(recordErrors: readonly unknown[]) {
    const first = recordErrors[0];
    super(
      `all ${recordErrors.length} records of the batch failed; the first with ${first instanceof Error ? `${first.name}: ${first.message}` : typeof first}`,
      { cause: first },
    );
    this.name = 'FullBatchFailureError';
    this.recordErrors = recordErrors;
  }
}
