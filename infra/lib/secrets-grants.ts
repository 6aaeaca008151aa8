/**
 * The construct's grants (as aws-cdk-lib's `table-grants.ts`): what a function may do to the
 * secrets, narrowed to a namespace or a prefix of namespaces by IAM conditions on the table's
 * partition key and on the KMS encryption context. The action lists live in perms.ts.
 */
import { Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import {
  KEY_READ_ACTIONS,
  KEY_WRITE_ACTIONS,
  REWRAP_FROM_KEY_ACTIONS,
  REWRAP_TABLE_ACTIONS,
  REWRAP_TO_KEY_ACTIONS,
  TABLE_KEY_READ_ACTIONS,
  TABLE_KEY_WRITE_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './perms.ts';
import { validationError } from './validation.ts';

/** Options of a grant: one namespace, every namespace with a prefix, or (neither) all of them. */
export interface SecretsGrantOptions {
  /** Confine the grantee to one namespace (IAM conditions on the partition key and KMS context). @default every namespace */
  readonly namespace?: string;
  /**
   * Confine the grantee to the namespaces that start with this prefix, e.g. `'my-app:'` for a
   * function serving every installation of one app (`StringLike` on `dynamodb:LeadingKeys` and
   * `kms:EncryptionContext:namespace`). Not with `namespace`.
   * @default every namespace
   */
  readonly namespacePrefix?: string;
}

/** Options of `grantRewrap`. */
export interface RewrapGrantOptions {
  /**
   * The keys the secrets may still be wrapped by (the keyring's `previousKeyIds`): ReEncrypt may
   * take data keys from them. A key of another account must also allow this in its key policy.
   * @default none: only the construct's own key
   */
  readonly previousKeys?: readonly kms.IKey[];
}

/** What the grants act on: the construct's table and key, and the construct for errors. */
export interface SecretsResources {
  readonly scope: IConstruct;
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
}

/** Read (get, getMany, exists, keys) or read and write (every operation but rewrap). */
export function grantSecrets(
  resources: SecretsResources,
  grantee: iam.IGrantable,
  access: 'read' | 'readWrite',
  options: SecretsGrantOptions,
): iam.Grant {
  const scope = checkedScope(resources.scope, options);
  const write = access === 'readWrite';
  const table = iam.Grant.addToPrincipal({
    grantee,
    actions: [...TABLE_READ_ACTIONS, ...(write ? TABLE_WRITE_ACTIONS : [])],
    resourceArns: [resources.table.tableArn],
    conditions: tableConditions(scope),
  });
  const key = iam.Grant.addToPrincipal({
    grantee,
    actions: [...KEY_READ_ACTIONS, ...(write ? KEY_WRITE_ACTIONS : [])],
    resourceArns: [resources.key.keyArn],
    conditions: keyConditions(scope),
  });
  return withTableKey(table.combine(key), resources.table, grantee, [
    ...(write ? TABLE_KEY_WRITE_ACTIONS : TABLE_KEY_READ_ACTIONS),
  ]);
}

/** `kms:Decrypt` on keys the secrets may still be wrapped by, within the grant's scope. */
export function grantPreviousKeys(
  resources: SecretsResources,
  grantee: iam.IGrantable,
  previousKeys: readonly kms.IKey[],
  options: SecretsGrantOptions,
): iam.Grant[] {
  const scope = checkedScope(resources.scope, options);
  return previousKeys.map((key) =>
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...KEY_READ_ACTIONS],
      resourceArns: [key.keyArn],
      conditions: keyConditions(scope),
    }),
  );
}

/** See `SecretsStoreBackend.grantRewrap`. */
export function grantRewrap(
  resources: SecretsResources,
  grantee: iam.IGrantable,
  options: RewrapGrantOptions,
): iam.Grant {
  const previousKeyArns = (options.previousKeys ?? []).map((key) => key.keyArn);
  const table = iam.Grant.addToPrincipal({
    grantee,
    actions: [...REWRAP_TABLE_ACTIONS],
    resourceArns: [resources.table.tableArn],
  });
  const from = iam.Grant.addToPrincipal({
    grantee,
    actions: [...REWRAP_FROM_KEY_ACTIONS],
    resourceArns: [...previousKeyArns, resources.key.keyArn],
  });
  const to = iam.Grant.addToPrincipal({
    grantee,
    actions: [...REWRAP_TO_KEY_ACTIONS],
    resourceArns: [resources.key.keyArn],
  });
  return withTableKey(table.combine(from).combine(to), resources.table, grantee, [
    ...TABLE_KEY_WRITE_ACTIONS,
  ]);
}

/**
 * A grant on the table, extended to the table's own customer-managed key when it has one (as
 * CDK's table grants do): without it, nothing can read a table encrypted with that key. The key
 * is DynamoDB's, used with its own encryption context, so no namespace condition applies.
 */
export function withTableKey(
  grant: iam.Grant,
  table: dynamodb.ITable,
  grantee: iam.IGrantable,
  actions: string[],
): iam.Grant {
  const key = table.encryptionKey;
  return key ? grant.combine(key.grant(grantee, ...actions)) : grant;
}

/** Namespace characters (core's keys.ts); `*` and `?` are not among them, so a prefix is literal. */
const NAMESPACE_PREFIX = /^[A-Za-z0-9._:@/+=-]{1,255}$/;

/** The grant's scope, checked: one namespace, a prefix, or (neither) every namespace. */
function checkedScope(
  construct: IConstruct,
  { namespace, namespacePrefix }: SecretsGrantOptions,
): SecretsGrantOptions {
  if (namespace !== undefined && namespacePrefix !== undefined) {
    throw validationError(
      'SecretsGrantScope',
      'a grant takes namespace or namespacePrefix, not both',
      construct,
    );
  }
  if (
    namespacePrefix !== undefined &&
    !Token.isUnresolved(namespacePrefix) &&
    !NAMESPACE_PREFIX.test(namespacePrefix)
  ) {
    throw validationError(
      'SecretsGrantNamespacePrefix',
      `namespacePrefix must be 1 to 255 characters of A-Z a-z 0-9 . _ : @ / + = -, received ${JSON.stringify(namespacePrefix)}`,
      construct,
    );
  }
  return { namespace, namespacePrefix };
}

/** IAM conditions: operator -> condition key -> value(s). */
type Conditions = Record<string, Record<string, unknown>>;

function tableConditions({
  namespace,
  namespacePrefix,
}: SecretsGrantOptions): Conditions | undefined {
  if (namespace !== undefined) {
    return { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [namespace] } };
  }
  if (namespacePrefix !== undefined) {
    return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${namespacePrefix}*`] } };
  }
  return undefined;
}

function keyConditions({
  namespace,
  namespacePrefix,
}: SecretsGrantOptions): Conditions | undefined {
  if (namespace !== undefined) {
    return { StringEquals: { 'kms:EncryptionContext:namespace': namespace } };
  }
  if (namespacePrefix !== undefined) {
    return { StringLike: { 'kms:EncryptionContext:namespace': `${namespacePrefix}*` } };
  }
  return undefined;
}
