/**
 * Helpers for wrapping AWS SDK errors as causes and naming them in messages. An SDK error that
 * failed to deserialise keeps the raw HTTP body in a hidden `$response` field; for KMS that body
 * can hold a plaintext data key, so causes are rebuilt from the fields that are safe to keep.
 */

/** The error's name (`ThrottlingException`, ...) or '' when it is not an Error. */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

interface AwsErrorFields {
  $fault?: unknown;
  $metadata?: unknown;
  code?: unknown;
}

/**
 * The system error code of a network failure (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`,
 * `EAI_AGAIN`, ...), found on the error or its causes, or undefined. The SDK throws Node's own
 * socket error when no HTTP response came back.
 */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as Error & AwsErrorFields).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * How a message names an AWS failure: the error's name, and for a network failure its code,
 * e.g. `ThrottlingException` or `Error (ECONNREFUSED)`. "failed with Error" tells a user nothing.
 */
export function describeAwsError(error: unknown): string {
  const name = awsErrorName(error) || 'an unknown error';
  const code = networkErrorCode(error);
  return code === undefined || name === code ? name : `${name} (${code})`;
}

/**
 * A copy of an SDK error with its name, message, `$fault`, `$metadata` and network `code`, and
 * nothing else.
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`non-error thrown: ${typeof error}`);
  const copy = new Error(error.message) as Error & AwsErrorFields;
  copy.name = error.name;
  const fields = error as Error & AwsErrorFields;
  if (fields.$fault !== undefined) copy.$fault = fields.$fault;
  if (fields.$metadata !== undefined) copy.$metadata = fields.$metadata;
  const code = networkErrorCode(error);
  if (code !== undefined) copy.code = code;
  return copy;
}
