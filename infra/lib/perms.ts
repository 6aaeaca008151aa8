/** IAM actions of the secrets store, in one place. */

/**
 * get, exists and keys() (GetItem, Query) and getMany (BatchGetItem). test/infra/grants.test.ts
 * derives these lists from the commands every store operation sends: a new one cannot ship
 * ungranted.
 */
export const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
] as const;

/**
 * put, patch, delete, refresh and purge() on top of reading. Every write of a secret is an
 * UpdateItem (it names the attributes it sets, so a refresh's lease survives it): no PutItem.
 */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** Unwrapping data keys. */
export const KEY_READ_ACTIONS = ['kms:Decrypt'] as const;

/** A fresh data key per put. */
export const KEY_WRITE_ACTIONS = ['kms:GenerateDataKey'] as const;

/**
 * All the cleanup function may do to the table: list keys (and read its lifecycle record),
 * delete one item under a condition (a batch delete takes none, and a write racing the delete
 * must survive), and move its lifecycle record forward (a conditional update). No GetItem,
 * PutItem or BatchWriteItem.
 */
export const CLEANUP_TABLE_ACTIONS = [
  'dynamodb:Query',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * `store.rewrap()` and `secrets-store rewrap`: list keys (Query) and namespaces (Scan, for
 * `--all-namespaces`), read each item (GetItem, consistent), write it back under a condition on
 * its `writeId` (UpdateItem, as every write of a secret).
 */
export const REWRAP_TABLE_ACTIONS = [
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
] as const;

/** ReEncrypt is authorised twice: on its source key (From) and on its destination key (To). */
export const REWRAP_FROM_KEY_ACTIONS = ['kms:ReEncryptFrom'] as const;
export const REWRAP_TO_KEY_ACTIONS = ['kms:ReEncryptTo'] as const;

/**
 * On the table's own customer-managed key, when it has one (DynamoDB encryption at rest): what
 * DynamoDB needs of a caller's key permissions to read the table, as CDK's table grants give.
 */
export const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;

/** On the table's own customer-managed key, to write the table (CDK's table grants). */
export const TABLE_KEY_WRITE_ACTIONS = [
  ...TABLE_KEY_READ_ACTIONS,
  'kms:Encrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
] as const;
