/**
 * Configuring a function for `storage.secrets`: its `SECRETS_STORE_*` variables (written by core's
 * `environmentOf`, the inverse of what `storage.secrets` reads) and its grant, in one call.
 */

import { environmentOf } from '@secrets-store/core';
import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  grantPreviousKeys,
  grantSecrets,
  type SecretsGrantOptions,
  type SecretsResources,
} from './secrets-grants.ts';
import { validationError } from './validation.ts';

export interface ConfigureFunctionOptions extends SecretsGrantOptions {
  /**
   * The namespace the function's `storage.secrets` uses (`SECRETS_STORE_NAMESPACE`). Give it, or
   * `namespacePrefix` for a function serving many installations: then no namespace variable is
   * set and the function calls `storage.secrets.forNamespace(ns)`.
   */
  readonly namespace?: string;
  /** @default 'readWrite' */
  readonly access?: 'read' | 'readWrite';
  /**
   * Keys the secrets may still be wrapped by, during a move to the construct's key: their ARNs go
   * to `SECRETS_STORE_PREVIOUS_KEY_IDS` and the function may `kms:Decrypt` with them (within its
   * namespace). Keys, not aliases: the store pins the exact key an item names.
   * @default none
   */
  readonly previousKeys?: readonly kms.IKey[];
  /**
   * How long the function's `storage.secrets` may serve a value from its in-process value cache
   * (`SECRETS_STORE_VALUE_CACHE_MS`).
   * @default no variable: the value cache stays off
   */
  readonly valueCacheMaxAge?: Duration;
}

/** The variables of `storage.secrets` for `namespace` (none: a function using `forNamespace`). */
export function environmentFor(
  resources: SecretsResources,
  namespace: string | undefined,
  options: Pick<ConfigureFunctionOptions, 'previousKeys' | 'valueCacheMaxAge'>,
): Record<string, string> {
  const previousKeyIds = (options.previousKeys ?? []).map((key) => {
    if (key instanceof kms.Alias) {
      throw validationError(
        'SecretsPreviousKeyAlias',
        `previousKeys takes keys, not aliases (${key.node.path}): the store pins the exact key an item names`,
        resources.scope,
      );
    }
    return key.keyArn;
  });
  return environmentOf({
    tableName: resources.table.tableName,
    keyId: resources.key.keyArn,
    namespace,
    previousKeyIds,
    valueCacheMs: options.valueCacheMaxAge?.toMilliseconds(),
  });
}

/** See `SecretsStoreBackend.configureFunction`. */
export function configureFunction(
  resources: SecretsResources,
  fn: lambda.IFunction,
  options: ConfigureFunctionOptions,
): iam.Grant {
  const target = functionWithEnvironment(fn);
  if (!target) {
    throw validationError(
      'SecretsImportedFunction',
      `configureFunction cannot set environment variables on ${fn.node.path} (an imported function); grant it with grantReadWrite() and set environmentFor() where the function is defined`,
      resources.scope,
    );
  }
  // Precondition: the function's namespace is decided here, or its grant would be too wide.
  if ((options.namespace === undefined) === (options.namespacePrefix === undefined)) {
    throw validationError(
      'SecretsFunctionNamespace',
      `configureFunction needs a namespace (one installation) or a namespacePrefix (a function serving many, through storage.secrets.forNamespace), exactly one; ${fn.node.path} got ${options.namespace === undefined ? 'neither' : 'both'}`,
      resources.scope,
    );
  }
  for (const [name, value] of Object.entries(
    environmentFor(resources, options.namespace, options),
  )) {
    target.addEnvironment(name, value);
  }
  const scope: SecretsGrantOptions =
    options.namespace === undefined
      ? { namespacePrefix: options.namespacePrefix }
      : { namespace: options.namespace };
  const grant = grantSecrets(resources, fn, options.access ?? 'readWrite', scope);
  return grantPreviousKeys(resources, fn, options.previousKeys ?? [], scope).reduce(
    (all, one) => all.combine(one),
    grant,
  );
}

/** The function behind `fn` whose environment can be set here, if there is one. */
function functionWithEnvironment(fn: lambda.IFunction): lambda.Function | undefined {
  if (fn instanceof lambda.Function) return fn;
  if (fn instanceof lambda.Alias) return functionWithEnvironment(fn.version.lambda);
  if (fn instanceof lambda.Version) return functionWithEnvironment(fn.lambda);
  return undefined;
}
