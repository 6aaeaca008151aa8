export type { PatchRetryOptions, RetryOptions } from './backoff.ts';
export { DEFAULT_TIMEOUTS, withDefaultTimeouts } from './clientTimeouts.ts';
export { DataKeyCache, type DataKeyCacheOptions } from './dataKeyCache.ts';
export {
  ENVIRONMENT_VARIABLES,
  environmentOf,
  previousKeyIdsFrom,
  type StoreSettings,
} from './environment.ts';
export {
  ConcurrentUpdateError,
  ConfigurationError,
  DecryptionError,
  InvalidKeyError,
  InvalidValueError,
  KeyAccessError,
  KeyServiceError,
  LeaseLostError,
  OutcomeUnknownError,
  PurgeIncompleteError,
  RefreshTimeoutError,
  SecretsStoreError,
  type SecretsStoreErrorCode,
  StorageError,
  ValueTooLargeError,
} from './errors.ts';
export type {
  EncryptionContext,
  GeneratedDataKey,
  Keyring,
  KeyringCallOptions,
  RewrappedDataKey,
} from './keyrings/Keyring.ts';
export { KmsKeyring, type KmsKeyringOptions } from './keyrings/KmsKeyring.ts';
export { LocalKeyring, type LocalKeyringOptions } from './keyrings/LocalKeyring.ts';
export { checkNamespace, MAX_KEY_BYTES, MAX_NAMESPACE_LENGTH } from './keys.ts';
export { DEFAULT_EVENT_SOURCE, INSTALLED_EVENT, UNINSTALLED_EVENT } from './lifecycleEvents.ts';
export { type ListNamespacesOptions, listNamespaces } from './listNamespaces.ts';
export type { OperationMessage } from './observability/operationChannel.ts';
export { OPERATION_CHANNEL } from './observability/operationMeter.ts';
export {
  type MetricsSink,
  type OperationMetric,
  type OperationMetricsOptions,
  operationMetrics,
  recordOperationMetrics,
} from './observability/operationMetrics.ts';
export { USER_AGENT } from './observability/userAgent.ts';
export { purgeNamespace } from './purgeNamespace.ts';
export type { PurgeOptions, PurgeResult } from './purgeRun.ts';
export type { RefreshContext, RefreshOptions } from './refreshOptions.ts';
export type {
  RewrapFailure,
  RewrapOptions,
  RewrapProgress,
  RewrapSummary,
} from './rewrap.ts';
export { SecretsStore } from './SecretsStore.ts';
export type { OperationOptions, SecretsStoreOptions } from './SecretsStoreOptions.ts';
export {
  resetSecretsStore,
  secretsStoreFromEnvironment,
  setSecretsStore,
  storage,
} from './storage.ts';
export { TABLE_SCHEMA } from './tableSchema.ts';
export { ValueCache, type ValueCacheOptions } from './valueCache.ts';
export type {
  DeleteOptions,
  GetOptions,
  PatchUpdater,
  Primitive,
  Storable,
  StorableHash,
  Value,
  ValueHash,
} from './values.ts';
