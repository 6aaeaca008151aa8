export type { RetryOptions } from './backoff.ts';
export { DataKeyCache, type DataKeyCacheOptions } from './dataKeyCache.ts';
export {
  ConcurrentUpdateError,
  ConfigurationError,
  DecryptionError,
  InvalidKeyError,
  InvalidValueError,
  KeyAccessError,
  SecretsStoreError,
  type SecretsStoreErrorCode,
  StorageError,
  ValueTooLargeError,
} from './errors.ts';
export type { EncryptionContext, GeneratedDataKey, Keyring } from './keyrings/Keyring.ts';
export { KmsKeyring, type KmsKeyringOptions } from './keyrings/KmsKeyring.ts';
export { LocalKeyring, type LocalKeyringOptions } from './keyrings/LocalKeyring.ts';
export { MAX_KEY_BYTES, MAX_NAMESPACE_LENGTH, UNINSTALL_MARKER_KEY } from './keys.ts';
export { SecretsStore, type SecretsStoreOptions } from './SecretsStore.ts';
export { secretsStoreFromEnvironment, storage } from './storage.ts';
export type {
  PatchUpdater,
  Primitive,
  Storable,
  StorableHash,
  Value,
  ValueHash,
} from './values.ts';
