import { InvalidKeyError } from './errors.ts';

/** A secret key is at most this many UTF-8 bytes (DynamoDB's sort-key limit). */
export const MAX_KEY_BYTES = 1024;
/** A namespace is at most this many characters. */
export const MAX_NAMESPACE_LENGTH = 256;

/**
 * Sort keys starting with NUL are the store's own (the lifecycle record); no user key can
 * start with it because keys may not contain NUL. `keys()` and purges skip them.
 */
export const RESERVED_KEY_PREFIX = '\u0000';
/** The uninstall pipeline's record of the last install and uninstall it applied to a namespace. */
export const LIFECYCLE_RECORD_KEY = `${RESERVED_KEY_PREFIX}lifecycle`;
/**
 * The uninstall marker of the first pipeline, which the lifecycle record replaced. Tables that
 * ran it may still hold one; being reserved, it stays hidden and is never purged.
 */
export const UNINSTALL_MARKER_KEY = `${RESERVED_KEY_PREFIX}uninstalled`;

const NAMESPACE_CHARACTERS = /^[A-Za-z0-9._:@/+=-]+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Precondition: a key is 1 to 1024 UTF-8 bytes with no NUL and no lone surrogate. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(
      `a key must be a string, received ${key === null ? 'null' : typeof key}`,
    );
  }
  if (key.length === 0) throw new InvalidKeyError('a key must not be empty');
  const nul = key.indexOf('\u0000');
  if (nul !== -1)
    throw new InvalidKeyError(`a key must not contain NUL, found one at index ${nul}`);
  const surrogate = LONE_SURROGATE.exec(key);
  if (surrogate) {
    throw new InvalidKeyError(
      `a key must be well-formed Unicode, found a lone surrogate at index ${surrogate.index}`,
    );
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`a key is ${bytes} UTF-8 bytes, the limit is ${MAX_KEY_BYTES}`);
  }
}

/**
 * Precondition: a namespace is 1 to 256 characters of `[A-Za-z0-9._:@/+=-]`, so that it can
 * appear verbatim in IAM conditions (`dynamodb:LeadingKeys`, `kms:EncryptionContext:namespace`).
 */
export function checkNamespace(namespace: unknown): asserts namespace is string {
  if (typeof namespace !== 'string') {
    throw new InvalidKeyError(
      `a namespace must be a string, received ${namespace === null ? 'null' : typeof namespace}`,
    );
  }
  if (namespace.length === 0) throw new InvalidKeyError('a namespace must not be empty');
  if (namespace.length > MAX_NAMESPACE_LENGTH) {
    throw new InvalidKeyError(
      `a namespace is ${namespace.length} characters, the limit is ${MAX_NAMESPACE_LENGTH}`,
    );
  }
  if (!NAMESPACE_CHARACTERS.test(namespace)) {
    const index = [...namespace].findIndex((character) => !NAMESPACE_CHARACTERS.test(character));
    throw new InvalidKeyError(
      `a namespace may only hold A-Z a-z 0-9 . _ : @ / + = -, found ${JSON.stringify([...namespace][index])} at index ${index}`,
    );
  }
}
