/**
 * Helpers for wrapping AWS SDK errors as causes. An SDK error that failed to deserialise keeps
 * the raw HTTP body in a hidden `$response` field; for KMS that body can hold a plaintext data
 * key, so causes are rebuilt from the fields that are safe to keep.
 */

/** The error's name (`ThrottlingException`, ...) or '' when it is not an Error. */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

interface AwsErrorFields {
  $fault?: unknown;
  $metadata?: unknown;
}

/** A copy of an SDK error with its name, message, `$fault` and `$metadata`, and nothing else. */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`non-error thrown: ${typeof error}`);
  const copy = new Error(error.message) as Error & AwsErrorFields;
  copy.name = error.name;
  const fields = error as Error & AwsErrorFields;
  if (fields.$fault !== undefined) copy.$fault = fields.$fault;
  if (fields.$metadata !== undefined) copy.$metadata = fields.$metadata;
  return copy;
}
