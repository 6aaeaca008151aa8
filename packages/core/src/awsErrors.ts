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
 * The SDK's own words when the request was never sent because the client is not configured: no
 * region, no credentials. These messages come from the SDK's configuration and credential chain,
 * never from a request or a response, so they hold no value and are what the user needs to read.
 * Any other message (a service's validation text, a garbled body) is left out of descriptions.
 */
const CONFIGURATION_MESSAGES: readonly RegExp[] = [
  /^Region is missing$/,
  /^Invalid region in client config$/,
  /^Could not load credentials from any providers$/,
];
/** Errors of the SDK's credential chain: their messages describe the chain, not a request. */
const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
]);

/**
 * The SDK's message when the client could not send the request for lack of configuration
 * (`Region is missing`, `Could not load credentials from any providers`), else undefined.
 */
export function sdkConfigurationMessage(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.message !== 'string') return undefined;
  const firstLine = (error.message.split('\n', 1)[0] ?? '').trim().slice(0, 200);
  if (firstLine === '') return undefined;
  if (CONFIGURATION_MESSAGES.some((pattern) => pattern.test(firstLine))) return firstLine;
  return CREDENTIAL_ERROR_NAMES.has(error.name) ? firstLine : undefined;
}

/**
 * How a message names an AWS failure: the error's name, for a network failure its code, and
 * for a client that could not send the request the SDK's own words: `ThrottlingException`,
 * `Error (ECONNREFUSED)`, `Error: Region is missing`. "failed with Error" tells a user nothing.
 */
export function describeAwsError(error: unknown): string {
  const name = awsErrorName(error) || 'an unknown error';
  const configuration = sdkConfigurationMessage(error);
  if (configuration !== undefined) return `${name}: ${configuration}`;
  const code = networkErrorCode(error);
  return code === undefined || name === code ? name : `${name} (${code})`;
}

/**
 * A copy of an SDK error with its name, message, `$fault`, `$metadata` and network `code`, and
 * nothing else.
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`non-error thrown: ${typeof error}`);
  // A failed connection to every address of a host is an AggregateError without a message of
  // its own: Node's message of the first attempt (`connect ECONNREFUSED ::1:8000`) names the
  // address, which the copy would otherwise lose.
  const first = error instanceof AggregateError ? error.errors[0] : undefined;
  const message = error.message || (first instanceof Error ? first.message : '');
  const copy = new Error(message) as Error & AwsErrorFields;
  copy.name = error.name;
  const fields = error as Error & AwsErrorFields;
  if (fields.$fault !== undefined) copy.$fault = fields.$fault;
  if (fields.$metadata !== undefined) copy.$metadata = fields.$metadata;
  const code = networkErrorCode(error);
  if (code !== undefined) copy.code = code;
  return copy;
}
