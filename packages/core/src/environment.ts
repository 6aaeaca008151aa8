/**
 * Configuration from the environment, in one place (as Powertools' EnvironmentVariablesService):
 * the `SECRETS_STORE_*` names and how each is read. `storage.secrets`, the CLI, the cleanup
 * handler and the CDK construct (which writes them on a function) all go through this module,
 * so a name or a parsing rule cannot drift between the writer and the readers.
 */
import { ConfigurationError } from './errors.ts';

/** The environment variables of the secrets store. */
export const ENVIRONMENT_VARIABLES = {
  /** The DynamoDB table (required by `storage.secrets` and the cleanup function). */
  tableName: 'SECRETS_STORE_TABLE',
  /** The KMS key that wraps new data keys: an ARN, id or alias (required by `storage.secrets`). */
  keyId: 'SECRETS_STORE_KEY_ID',
  /** The installation; without it `storage.secrets` serves only `forNamespace(ns)`. */
  namespace: 'SECRETS_STORE_NAMESPACE',
  /** Comma-separated key ARNs the data keys may still be wrapped by, during a move to another key. */
  previousKeyIds: 'SECRETS_STORE_PREVIOUS_KEY_IDS',
  /** The value cache's `maxAgeMs`; unset, empty or `0`: no value cache. */
  valueCacheMs: 'SECRETS_STORE_VALUE_CACHE_MS',
} as const;

export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable as set: an empty one counts as unset. */
export function variable(
  environment: Environment,
  name: keyof typeof ENVIRONMENT_VARIABLES,
): string | undefined {
  return environment[ENVIRONMENT_VARIABLES[name]] || undefined;
}

/** `SECRETS_STORE_PREVIOUS_KEY_IDS` as a list; unset or empty is none, an empty entry a mistake. */
export function previousKeyIdsFrom(environment: Environment): string[] {
  const text = variable(environment, 'previousKeyIds');
  if (!text) return [];
  const keyIds = text.split(',').map((keyId) => keyId.trim());
  if (keyIds.includes('')) {
    throw new ConfigurationError(
      `${ENVIRONMENT_VARIABLES.previousKeyIds} has an empty entry: expected key ARNs separated by commas, received ${JSON.stringify(text)}`,
    );
  }
  return keyIds;
}

/**
 * The value cache from `SECRETS_STORE_VALUE_CACHE_MS`: unset, empty or `0` = off; a positive
 * number of milliseconds = on with that `maxAgeMs`. Anything else is a
 * {@link ConfigurationError} naming the variable and what it held.
 */
export function valueCacheFrom(environment: Environment): false | { readonly maxAgeMs: number } {
  const text = environment[ENVIRONMENT_VARIABLES.valueCacheMs]?.trim();
  if (text === undefined || text === '' || text === '0') return false;
  const maxAgeMs = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(maxAgeMs)) {
    throw new ConfigurationError(
      `${ENVIRONMENT_VARIABLES.valueCacheMs} must be a number of milliseconds (0 for no value cache), received ${JSON.stringify(text)}`,
    );
  }
  return { maxAgeMs };
}

/** What a function's `storage.secrets` is configured with; see {@link environmentOf}. */
export interface StoreSettings {
  readonly tableName: string;
  readonly keyId: string;
  /** Without one, the function serves many installations through `forNamespace(ns)`. */
  readonly namespace?: string | undefined;
  readonly previousKeyIds?: readonly string[] | undefined;
  readonly valueCacheMs?: number | undefined;
}

/**
 * The variables that configure `storage.secrets` with `settings`: the inverse of
 * `secretsStoreFromEnvironment`, used by the construct's `configureFunction`. Values may be
 * CDK tokens (strings), so nothing here looks inside them.
 */
export function environmentOf(settings: StoreSettings): Record<string, string> {
  const previous = settings.previousKeyIds ?? [];
  return {
    [ENVIRONMENT_VARIABLES.tableName]: settings.tableName,
    [ENVIRONMENT_VARIABLES.keyId]: settings.keyId,
    ...(settings.namespace === undefined
      ? {}
      : { [ENVIRONMENT_VARIABLES.namespace]: settings.namespace }),
    ...(previous.length === 0
      ? {}
      : { [ENVIRONMENT_VARIABLES.previousKeyIds]: previous.join(',') }),
    ...(settings.valueCacheMs === undefined
      ? {}
      : { [ENVIRONMENT_VARIABLES.valueCacheMs]: String(settings.valueCacheMs) }),
  };
}
