/**
 * Every error the store throws is a {@link SecretsStoreError} with a stable `code`.
 *
 * No message, `cause` or property of these errors ever holds a secret value or a plaintext
 * key: messages name keys, sizes and types, never contents.
 */
export type SecretsStoreErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'VALUE_TOO_LARGE'
  | 'CONCURRENT_UPDATE'
  | 'DECRYPTION_FAILED'
  | 'KEY_ACCESS'
  | 'KEY_SERVICE'
  | 'STORAGE'
  | 'OUTCOME_UNKNOWN'
  | 'PURGE_INCOMPLETE'
  | 'LEASE_LOST'
  | 'REFRESH_TIMEOUT'
  | 'CONFIGURATION';

/** Base class of every error thrown by the secrets store. */
export class SecretsStoreError extends Error {
  readonly code: SecretsStoreErrorCode;

  constructor(code: SecretsStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsStoreError';
    this.code = code;
  }
}

/** A secret key or namespace breaks the rules (length, characters). */
export class InvalidKeyError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_KEY', message, options);
    this.name = 'InvalidKeyError';
  }
}

/** A value is not a hash of primitives; `path` names the offending spot, e.g. `tokens[2].exp`. */
export class InvalidValueError extends SecretsStoreError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_VALUE', path === '' ? message : `${path}: ${message}`, options);
    this.name = 'InvalidValueError';
    this.path = path;
  }
}

/** The DynamoDB item would exceed its 400 KB limit. Carries sizes, never the value. */
export class ValueTooLargeError extends SecretsStoreError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      'VALUE_TOO_LARGE',
      `the stored item would be ${size} bytes, the limit is ${limit} bytes (DynamoDB items are at most 400 KB)`,
    );
    this.name = 'ValueTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** A conditional write (patch, a field delete, rewrap, put's repair) lost the race on every attempt; none of its copies landed. */
export class ConcurrentUpdateError extends SecretsStoreError {
  readonly attempts: number;

  constructor(
    operation: string,
    key: string,
    namespace: string,
    attempts: number,
    elapsedMs: number,
  ) {
    super(
      'CONCURRENT_UPDATE',
      `the ${operation} of ${JSON.stringify(key)} in namespace ${namespace} gave up after ${attempts} attempts in ${elapsedMs} ms: other writers kept changing it; nothing of it was written`,
    );
    this.name = 'ConcurrentUpdateError';
    this.attempts = attempts;
  }
}

/** A ciphertext or wrapped data key failed authentication: tampered, moved, or wrong context. */
export class DecryptionError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECRYPTION_FAILED', message, options);
    this.name = 'DecryptionError';
  }
}

/** The KMS key refuses: access denied, disabled, pending deletion, not found. Retrying will not help. */
export class KeyAccessError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEY_ACCESS', message, options);
    this.name = 'KeyAccessError';
  }
}

/**
 * KMS could not answer after the SDK's own retries: throttling, an internal error,
 * `KeyUnavailableException`, the network. Nothing was written; worth retrying later.
 */
export class KeyServiceError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEY_SERVICE', message, options);
    this.name = 'KeyServiceError';
  }
}

/**
 * DynamoDB failed after the SDK's own retries. From a write it means that write never lands:
 * every copy of it was refused, or can no longer land (write protocol v3).
 */
export class StorageError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE', message, options);
    this.name = 'StorageError';
  }
}

/**
 * A write may or may not have landed: a copy of it may have reached DynamoDB (a lost response, a
 * 5xx, a timeout), and neither the item's history of recent writes nor the store's re-sends of
 * the same request could tell. The store never guesses; read the secret to see where it stands.
 */
export class OutcomeUnknownError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUTCOME_UNKNOWN', message, options);
    this.name = 'OutcomeUnknownError';
  }
}

/**
 * A purge gave up: a delete's retries ran out or its call failed. Says exactly how many secrets
 * this purge deleted and which keys were still in the namespace when it gave up (across all
 * workers and pages: the pages not yet read are listed before the error is thrown). Key names
 * are in `remainingKeys` only, never in the message.
 */
export class PurgeIncompleteError extends SecretsStoreError {
  readonly deleted: number;
  readonly remainingKeys: readonly string[];
  /** False when listing the pages not yet read failed too (`cause` says why): more may be left. */
  readonly remainingKeysComplete: boolean;

  constructor(
    namespace: string,
    deleted: number,
    remainingKeys: readonly string[],
    options: { remainingKeysComplete?: boolean; cause?: unknown } = {},
  ) {
    const complete = options.remainingKeysComplete ?? true;
    super(
      'PURGE_INCOMPLETE',
      `purge of namespace ${namespace} deleted ${deleted} secrets, then gave up with ${remainingKeys.length} ${complete ? '' : 'or more '}left`,
      { cause: options.cause },
    );
    this.name = 'PurgeIncompleteError';
    this.deleted = deleted;
    this.remainingKeys = remainingKeys;
    this.remainingKeysComplete = complete;
  }
}

/**
 * `refresh`: this caller held the secret's lease, and lost it before its result was stored: the
 * lease was taken over (this caller fell silent for longer than `leaseMs`), or the secret was
 * deleted, purged or uninstalled meanwhile (a delete always wins). Nothing of the refresh was
 * written. What the `refresh` callback obtained (a rotated refresh token, say) is not stored:
 * read the secret again; calling `refresh` again starts from what is stored.
 */
export class LeaseLostError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LEASE_LOST', message, options);
    this.name = 'LeaseLostError';
  }
}

/**
 * `refresh`: another caller held the secret's lease (and kept renewing it) for longer than this
 * caller's `waitMs`, and no fresh value appeared. Nothing was written by this caller.
 */
export class RefreshTimeoutError extends SecretsStoreError {
  readonly waitedMs: number;

  constructor(message: string, waitedMs: number) {
    super('REFRESH_TIMEOUT', message);
    this.name = 'RefreshTimeoutError';
    this.waitedMs = waitedMs;
  }
}

/** The store is not configured: a missing environment variable or an invalid option. */
export class ConfigurationError extends SecretsStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
    this.name = 'ConfigurationError';
  }
}
