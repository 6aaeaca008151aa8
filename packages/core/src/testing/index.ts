export type { WireItem, WireValue } from './attributeValues.ts';
export { createTestStore, TestSecretsStore, type TestStoreOptions } from './createTestStore.ts';
export type { DynamoDBErrorName } from './dynamoErrors.ts';
export type {
  FailOptions,
  HeldRequest,
  LoseResponseOptions,
  OperationName,
  PausedRequest,
  RequestInput,
  RequestPredicate,
  UnprocessedOptions,
} from './faultSchedule.ts';
export { MemoryTable, type MemoryTableOptions, type RecordedRequest } from './MemoryTable.ts';
export type { MemoryRequestHandler } from './requestHandler.ts';
