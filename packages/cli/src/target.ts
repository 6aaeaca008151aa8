/**
 * Where the commands act: AWS (a table, a KMS key, a namespace) or the local store.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { checkNamespace, type Keyring, KmsKeyring, SecretsStore } from '@secrets-store/core';
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
  return environment.SECRETS_STORE_NAMESPACE || undefined; // an empty variable counts as unset
}

export interface Target {
  readonly store: SecretsStore;
  readonly client: DynamoDBClient;
  readonly keyring: Keyring;
  /** For messages: "local store in /path" or "table T in region R". */
  readonly description: string;
  close(): Promise<void>;
}

/** The namespace of the local store when none is given. */
export const DEFAULT_LOCAL_NAMESPACE = 'local';

/**
 * Opens where a command acts. `access: 'read'` (get, list, exists) never creates a local store
 * or a key.
 */
export async function openTarget(
  options: TargetOptions,
  environment: Record<string, string | undefined> = process.env,
  access: LocalStoreAccess = 'write',
): Promise<Target> {
  const empty = (['local', 'table', 'keyId', 'region', 'endpoint'] as const).find(
    (name) => options[name] === '',
  );
  if (empty !== undefined) throw usageError(`${flagOf(empty)} was given an empty value`);
  const namespace = chooseNamespace(options.namespace, environment);
  if (options.local !== undefined && options.local !== false) {
    const awsOptions = (['table', 'keyId', 'region', 'endpoint'] as const).filter(
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
    const store = new SecretsStore({
      tableName: local.tableName,
      namespace: namespace ?? DEFAULT_LOCAL_NAMESPACE,
      keyring: local.keyring,
      dynamoDBClient: local.client,
    });
    return {
      store,
      client: local.client,
      keyring: local.keyring,
      description: `local store in ${local.dir}`,
      close: local.close,
    };
  }
  const tableName = options.table || environment.SECRETS_STORE_TABLE || undefined;
  const keyId = options.keyId || environment.SECRETS_STORE_KEY_ID || undefined;
  const missing = [
    tableName ? undefined : '--table (or SECRETS_STORE_TABLE)',
    keyId ? undefined : '--key-id (or SECRETS_STORE_KEY_ID)',
    namespace ? undefined : '--namespace (or SECRETS_STORE_NAMESPACE)',
  ].filter((name) => name !== undefined);
  if (missing.length > 0 || !tableName || !keyId || !namespace) {
    throw usageError(
      `no store to use: pass --local [dir] for the local store, or ${missing.join(', ')} for AWS`,
    );
  }
  const region = options.region;
  const client = new DynamoDBClient({ region, endpoint: options.endpoint });
  const keyring = new KmsKeyring({ keyId, client: new KMSClient({ region }) });
  return {
    store: new SecretsStore({ tableName, namespace, keyring, dynamoDBClient: client }),
    client,
    keyring,
    description: `table ${tableName}`,
    close: async () => client.destroy(),
  };
}
