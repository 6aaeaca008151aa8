/**
 * Where the commands act: AWS (a table, a KMS key, a namespace) or the local store.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import {
  ConfigurationError,
  checkNamespace,
  ENVIRONMENT_VARIABLES,
  type Keyring,
  KmsKeyring,
  previousKeyIdsFrom,
  SecretsStore,
  withDefaultTimeouts,
} from '@secrets-store/core';
import { usageError } from './errors.ts';
import { DEFAULT_LOCAL_DIR, type LocalStoreAccess, openLocalStore } from './local/localStore.ts';

export interface TargetOptions {
  /** `--local` alone is `true`; `--local dir` is the folder. */
  readonly local?: string | boolean;
  readonly table?: string;
  readonly keyId?: string;
  readonly namespace?: string;
  readonly region?: string;
  readonly endpoint?: string;
  /** `rewrap --previous-key-id`, repeated: keys the AWS keyring may still decrypt with. */
  readonly previousKeyId?: readonly string[];
}

/** `keyId` -> `--key-id` */
const flagOf = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The namespace: `--namespace` as given (an empty one is refused), else the variable. */
function chooseNamespace(
  option: string | undefined,
  environment: Record<string, string | undefined>,
): string | undefined {
  if (option !== undefined) {
    checkNamespace(option); // `--namespace ''` is a mistake, not "unset"
    return option;
  }
  return environment[ENVIRONMENT_VARIABLES.namespace] || undefined; // an empty variable counts as unset
}

/** A table and the keyring to use on it, before a namespace is chosen. */
export interface TableTarget {
  readonly client: DynamoDBClient;
  readonly keyring: Keyring;
  readonly tableName: string;
  /** The namespace given (option or variable), or the local default; undefined on AWS if none. */
  readonly namespace: string | undefined;
  /** The folder of the local store; undefined for AWS. */
  readonly localDir: string | undefined;
  /** For messages: "local store in /path" or "table T". */
  readonly description: string;
  close(): Promise<void>;
}

export interface Target extends TableTarget {
  readonly store: SecretsStore;
}

/** The namespace of the local store when none is given. */
export const DEFAULT_LOCAL_NAMESPACE = 'local';

/** `--table ''` and the like are mistakes, not "unset". */
function refuseEmptyOptions(options: TargetOptions): void {
  const empty = (['local', 'table', 'keyId', 'region', 'endpoint'] as const).find(
    (name) => options[name] === '',
  );
  if (empty !== undefined) throw usageError(`${flagOf(empty)} was given an empty value`);
}

/**
 * The previous KMS keys: `--previous-key-id` (repeated), else the environment's list
 * (comma-separated). An empty entry is a mistake, not "none".
 */
function choosePreviousKeyIds(
  option: readonly string[] | undefined,
  environment: Record<string, string | undefined>,
): string[] {
  if (option !== undefined) {
    const empty = option.findIndex((keyId) => keyId.trim() === '');
    if (empty !== -1)
      throw usageError(`--previous-key-id number ${empty + 1} was given an empty value`);
    return [...option];
  }
  try {
    return previousKeyIdsFrom(environment);
  } catch (error) {
    // The same rule as storage.secrets, told as a usage error of the command line.
    throw usageError(error instanceof ConfigurationError ? error.message : String(error));
  }
}

/**
 * Opens the table a command acts on, with its keyring: AWS, or the local store. `access: 'read'`
 * never creates a local store or a key. On AWS a namespace is required unless
 * `namespaceRequired` is false (`rewrap --all-namespaces` acts on every one).
 */
export async function openTable(
  options: TargetOptions,
  environment: Record<string, string | undefined> = process.env,
  access: LocalStoreAccess = 'write',
  namespaceRequired = true,
): Promise<TableTarget> {
  refuseEmptyOptions(options);
  const namespace = chooseNamespace(options.namespace, environment);
  if (options.local !== undefined && options.local !== false) {
    const awsOptions = (['table', 'keyId', 'region', 'endpoint', 'previousKeyId'] as const).filter(
      (name) => options[name] !== undefined,
    );
    if (awsOptions.length > 0) {
      const flags = awsOptions.map(flagOf);
      throw usageError(
        `--local cannot be combined with ${flags.join(', ')}: choose the local store or AWS`,
      );
    }
    checkNamespace(namespace ?? DEFAULT_LOCAL_NAMESPACE); // before the store is opened
    const local = await openLocalStore(
      options.local === true ? DEFAULT_LOCAL_DIR : options.local,
      access,
    );
    return {
      client: local.client,
      keyring: local.keyring,
      tableName: local.tableName,
      namespace: namespace ?? DEFAULT_LOCAL_NAMESPACE,
      localDir: local.dir,
      description: `local store in ${local.dir}`,
      close: local.close,
    };
  }
  const tableName = options.table || environment[ENVIRONMENT_VARIABLES.tableName] || undefined;
  const keyId = options.keyId || environment[ENVIRONMENT_VARIABLES.keyId] || undefined;
  const missing = [
    tableName ? undefined : `--table (or ${ENVIRONMENT_VARIABLES.tableName})`,
    keyId ? undefined : `--key-id (or ${ENVIRONMENT_VARIABLES.keyId})`,
    namespace || !namespaceRequired
      ? undefined
      : `--namespace (or ${ENVIRONMENT_VARIABLES.namespace})`,
  ].filter((name) => name !== undefined);
  if (missing.length > 0 || !tableName || !keyId) {
    throw usageError(
      `no store to use: pass --local [dir] for the local store, or ${missing.join(', ')} for AWS`,
    );
  }
  const previousKeyIds = choosePreviousKeyIds(options.previousKeyId, environment);
  const region = options.region;
  let keyring: KmsKeyring;
  try {
    keyring = new KmsKeyring({
      keyId,
      previousKeyIds,
      client: new KMSClient(withDefaultTimeouts<KMSClientConfig>({ region })),
    });
  } catch (error) {
    // A previous key given as an alias, say: the operator's input, so a usage error.
    if (error instanceof ConfigurationError) throw usageError(error.message);
    throw error;
  }
  const client = new DynamoDBClient(
    withDefaultTimeouts<DynamoDBClientConfig>({ region, endpoint: options.endpoint }),
  );
  return {
    client,
    keyring,
    tableName,
    namespace,
    localDir: undefined,
    description: `table ${tableName}`,
    close: async () => client.destroy(),
  };
}

/**
 * Opens where a command acts: a table and one namespace. `access: 'read'` (get, list, exists)
 * never creates a local store or a key.
 */
export async function openTarget(
  options: TargetOptions,
  environment: Record<string, string | undefined> = process.env,
  access: LocalStoreAccess = 'write',
): Promise<Target> {
  const table = await openTable(options, environment, access);
  const namespace = table.namespace as string; // the local default, or required by openTable
  const store = new SecretsStore({
    tableName: table.tableName,
    namespace,
    keyring: table.keyring,
    client: table.client,
  });
  return { ...table, store };
}
