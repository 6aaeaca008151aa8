/**
 * What a KMS failure means for the caller: the data is wrong (`DecryptionError`), the key refuses
 * (`KeyAccessError`: retrying will not help), or KMS could not answer (`KeyServiceError`: the
 * SDK's retries ran out; retrying later may help).
 */
import {
  describeAwsError,
  networkErrorCode,
  safeCause,
  sdkConfigurationMessage,
} from '../awsErrors.ts';
import { DecryptionError, KeyAccessError, KeyServiceError } from '../errors.ts';
import type { EncryptionContext } from './Keyring.ts';

/** The ciphertext or its context is wrong, not the key. */
const DECRYPTION_FAILURES: ReadonlySet<string> = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
]);

/** The key (or the caller's right to use it) refuses; the same call will fail again. */
const KEY_REFUSALS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'DisabledException',
  'KMSInvalidStateException', // pending deletion, pending import
  'NotFoundException',
  'InvalidKeyUsageException',
  'InvalidGrantTokenException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/** KMS could not answer: throttled, an internal error, an unavailable key store, a timeout. */
const SERVICE_FAILURES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'KeyUnavailableException',
  'DependencyTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

interface SdkErrorFields {
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The typed error for a failed KMS call, naming the AWS error and any network code. */
export function mapKmsError(
  error: unknown,
  operation: string,
  context: EncryptionContext,
): DecryptionError | KeyAccessError | KeyServiceError {
  const name = error instanceof Error ? error.name : '';
  const described = describeAwsError(error);
  const where = `KMS ${operation} for secret ${JSON.stringify(context.secret)} in namespace ${context.namespace}`;
  const cause = safeCause(error);
  if (DECRYPTION_FAILURES.has(name)) {
    return new DecryptionError(
      `${where} failed with ${described}: tampered, moved or wrong context`,
      { cause },
    );
  }
  if (KEY_REFUSALS.has(name)) {
    return new KeyAccessError(`${where} failed with ${described}: the key refuses`, { cause });
  }
  if (sdkConfigurationMessage(error) !== undefined) {
    // No region or no credentials: the SDK never sent the request, so KMS had nothing to answer.
    return new KeyServiceError(`${where} failed with ${described}: the request was not sent`, {
      cause,
    });
  }
  const fields = (error ?? {}) as SdkErrorFields;
  const status = fields.$metadata?.httpStatusCode;
  const couldNotAnswer =
    SERVICE_FAILURES.has(name) ||
    networkErrorCode(error) !== undefined ||
    fields.$fault === 'server' ||
    (typeof status === 'number' && status >= 500) ||
    fields.$fault !== 'client'; // no answer KMS stands behind (a garbled response, a crash)
  if (couldNotAnswer) {
    return new KeyServiceError(`${where} failed with ${described}: KMS could not answer`, {
      cause,
    });
  }
  return new KeyAccessError(`${where} failed with ${described}`, { cause });
}
