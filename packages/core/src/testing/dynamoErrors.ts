/**
 * The errors the in-process table answers with, in DynamoDB's JSON error shape, so that the
 * real SDK deserialises them into its own classes (`ConditionalCheckFailedException` with its
 * `Item`, `ValidationException`, `TransactionCanceledException` with `CancellationReasons`...).
 */
import type { WireItem } from './attributeValues.ts';

/** DynamoDB's error names, as in `__type` after the `#`. */
export type DynamoDBErrorName =
  | 'ValidationException'
  | 'ConditionalCheckFailedException'
  | 'TransactionCanceledException'
  | 'ResourceNotFoundException'
  | 'ProvisionedThroughputExceededException'
  | 'ThrottlingException'
  | 'RequestLimitExceeded'
  | 'InternalServerError'
  | 'ItemCollectionSizeLimitExceededException'
  | 'TransactionConflictException'
  | 'UnknownOperationException'
  | 'SerializationException';

/** Errors DynamoDB sends with a 5xx status; the rest are 400. */
const SERVER_ERRORS: ReadonlySet<string> = new Set(['InternalServerError']);

export interface CancellationReason {
  readonly Code: string;
  readonly Message?: string;
  readonly Item?: WireItem;
}

/** An error response of the table: `name` is DynamoDB's error name, `body` the extra fields. */
export class DynamoDBError extends Error {
  readonly body: Readonly<Record<string, unknown>>;

  constructor(
    name: DynamoDBErrorName | string,
    message: string,
    body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = name;
    this.body = body;
  }

  get statusCode(): number {
    return SERVER_ERRORS.has(this.name) ? 500 : 400;
  }

  /** The JSON body DynamoDB sends for this error. */
  toJSON(): Record<string, unknown> {
    return {
      __type: `com.amazonaws.dynamodb.v20120810#${this.name}`,
      message: this.message,
      ...this.body,
    };
  }
}

export function validationError(message: string): DynamoDBError {
  return new DynamoDBError('ValidationException', message);
}

export function conditionalCheckFailed(item: WireItem | undefined): DynamoDBError {
  return new DynamoDBError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    item ? { Item: item } : {},
  );
}

export function transactionCanceled(reasons: readonly CancellationReason[]): DynamoDBError {
  const codes = reasons.map((reason) => reason.Code).join(', ');
  return new DynamoDBError(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
    { CancellationReasons: reasons },
  );
}

export function resourceNotFound(): DynamoDBError {
  return new DynamoDBError('ResourceNotFoundException', 'Requested resource not found');
}
