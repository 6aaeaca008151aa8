import { fileURLToPath } from 'node:url';
import { Duration, Names, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLEANUP_ENVIRONMENT, cleanupFunctionCode, withoutBundling } from './cleanup-code.ts';
import {
  CLEANUP_TABLE_ACTIONS,
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
import { uninstallAlarms } from './uninstall-alarms.ts';

/** The repository root, for bundling the Lambda handlers from their sources. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The event types the uninstall pipeline listens to. */
export const UNINSTALLED_EVENT = 'AppUninstalled';
export const INSTALLED_EVENT = 'AppInstalled';

/**
 * The table's TTL attribute: epoch seconds after which DynamoDB removes a tombstone (what
 * `delete` leaves of a secret; `ATTRIBUTE.expiresAt` in core's item.ts).
 */
export const TIME_TO_LIVE_ATTRIBUTE = 'expiresAt';

/** Receives of one message before SQS moves it to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export interface SecretsStoreBackendProps {
  /**
   * An existing table to keep the secrets in (a `TableV2`, a `Table`, or one imported): string
   * partition key `pk`, string sort key `sk`, and TTL enabled on `expiresAt` so that tombstones
   * expire. The construct then creates none, and `tableName` and `billing` must not be set. When
   * the table is encrypted with its own customer-managed key (`table.encryptionKey`), the grants
   * and the cleanup function get that key too.
   * @default a new `TableV2`, TTL on `expiresAt`
   */
  readonly table?: dynamodb.ITable;
  /** Name of the table the construct creates. @default a name CloudFormation generates */
  readonly tableName?: string;
  /** Billing of the table the construct creates. @default dynamodb.Billing.onDemand() */
  readonly billing?: dynamodb.Billing;
  /**
   * What happens to the table and the KMS key the construct creates when the stack is deleted.
   * Secrets cannot be read without their key, so both are kept by default. The table's deletion
   * protection follows: on unless `DESTROY`, so that `cdk destroy` can delete it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** An existing KMS key (symmetric) to wrap the data keys with. @default a new key, rotated yearly */
  readonly encryptionKey?: kms.IKey;
  /**
   * Alias of the key. Two backends in one account and Region must use different aliases.
   * @default for a key the construct creates, `alias/secrets-store/<unique id of this construct>`;
   * for an `encryptionKey` brought in, none
   */
  readonly keyAlias?: string;
  /** Where `AppUninstalled` / `AppInstalled` events arrive. @default the account's default bus */
  readonly eventBus?: events.IEventBus;
  /** The `source` of those events. @default 'secrets-store' */
  readonly eventSource?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long after an uninstall an invocation that started before it may still write: the
   * second sweep runs then and deletes those late writes. Set it to your functions' longest
   * timeout; SQS delays a message 15 minutes at most.
   * @default Duration.minutes(15)
   */
  readonly sweepDelay?: Duration;
  /** Timeout of the cleanup function; it stops starting work 10 s before. @default Duration.minutes(5) */
  readonly cleanupTimeout?: Duration;
  /** Where the alarms (dead-letter queue, function errors) notify, in alarm and back to OK. @default none */
  readonly alarmTopic?: sns.ITopic;
}

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

/** Options of {@link SecretsStoreBackend.grantRewrap}. */
export interface RewrapGrantOptions {
  /**
   * The keys the secrets may still be wrapped by (the keyring's `previousKeyIds`): ReEncrypt may
   * take data keys from them. A key of another account must also allow this in its key policy.
   * @default none: only the construct's own key
   */
  readonly previousKeys?: readonly kms.IKey[];
}

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

/**
 * The secrets store's AWS resources: the DynamoDB table, the KMS key, and the uninstall pipeline
 * (EventBridge rule -> SQS queue with dead-letter queue -> cleanup Lambda), with alarms.
 *
 * @example
 * const secrets = new SecretsStoreBackend(this, 'Secrets', { alarmTopic: opsTopic });
 * secrets.configureFunction(myFunction, { namespace: 'my-app:install-1' });
 */
export class SecretsStoreBackend extends Construct {
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  /** The key's alias, when one was made. */
  readonly keyAlias: kms.IAlias | undefined;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly cleanupFunction: lambda.Function;
  readonly rule: events.Rule;
  /** In alarm while the dead-letter queue holds a message: an install or uninstall event that failed. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** In alarm when the cleanup function fails an invocation (a crash or a timeout). */
  readonly errorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SecretsStoreBackendProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const sweepDelay = props.sweepDelay ?? Duration.minutes(15);
    if (!sweepDelay.isUnresolved() && sweepDelay.toSeconds() > 900) {
      throw new Error(`sweepDelay is ${sweepDelay.toSeconds()} s, SQS delays at most 900 s`);
    }
    const cleanupTimeout = props.cleanupTimeout ?? Duration.minutes(5);
    if (props.table && (props.tableName !== undefined || props.billing !== undefined)) {
      throw new Error(
        `tableName and billing configure the table the construct creates; with a table brought in (${props.table.node.path}) set them on that table`,
      );
    }

    this.table =
      props.table ??
      new dynamodb.TableV2(this, 'Table', {
        tableName: props.tableName,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billing: props.billing ?? dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: TIME_TO_LIVE_ATTRIBUTE,
        deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
        removalPolicy,
      });

    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Wraps the per-secret data keys of the secrets store',
        enableKeyRotation: true,
        rotationPeriod: Duration.days(365),
        removalPolicy,
      });
    const aliasName =
      props.keyAlias ??
      (props.encryptionKey
        ? undefined
        : `alias/secrets-store/${Names.uniqueResourceName(this, { maxLength: 200 })}`);
    this.keyAlias = aliasName
      ? new kms.Alias(this, 'KeyAlias', { aliasName, targetKey: this.key, removalPolicy })
      : undefined;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'UninstallQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda sources: six times the function timeout.
      visibilityTimeout: Duration.seconds(cleanupTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.rule = new events.Rule(this, 'UninstallRule', {
      eventBus: props.eventBus,
      description: 'App installation events for the secrets store cleanup',
      eventPattern: {
        source: [props.eventSource ?? 'secrets-store'],
        detailType: [UNINSTALLED_EVENT, INSTALLED_EVENT],
        detail: { namespace: [{ exists: true }] },
      },
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8 }),
    );

    // The cleanup function: prebuilt code shipped in the package (see cleanup-code.ts).
    this.cleanupFunction = new lambda.Function(this, 'CleanupFunction', {
      description: 'Deletes every secret of an uninstalled app installation',
      ...cleanupFunctionCode(),
      ...withoutBundling(lambdaDefaults(props.logRetention, this, 'CleanupFunction')),
      timeout: cleanupTimeout,
      environment: {
        ...CLEANUP_ENVIRONMENT,
        SECRETS_STORE_TABLE: this.table.tableName,
        QUEUE_URL: this.queue.queueUrl,
        SWEEP_DELAY_SECONDS: String(sweepDelay.toSeconds()),
      },
    });
    this.cleanupFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...CLEANUP_TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
    // DynamoDB reads and writes a table encrypted with its own key with the caller's KMS rights.
    this.table.encryptionKey?.grant(this.cleanupFunction, ...TABLE_KEY_WRITE_ACTIONS);
    // The delayed second sweep, and records sent back when time ran out.
    this.queue.grantSendMessages(this.cleanupFunction);
    this.cleanupFunction.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 5, reportBatchItemFailures: true }),
    );

    const alarms = uninstallAlarms(this, {
      deadLetterQueue: this.deadLetterQueue,
      cleanupFunction: this.cleanupFunction,
      topic: props.alarmTopic,
    });
    this.deadLetterAlarm = alarms.deadLetterAlarm;
    this.errorAlarm = alarms.errorAlarm;

    acknowledgeLambdaFindings(this.cleanupFunction);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason: 'This is the dead-letter queue itself: nothing redrives a dead-letter queue.',
    });
    Validations.of(this.cleanupFunction).acknowledge(
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'SQS invokes the function synchronously; failed messages reach the queue redrive DLQ.',
      },
      {
        id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
        reason: 'SQS event sources take no on-failure destination; the queue has a redrive DLQ.',
      },
    );
  }

  /** Lets `grantee` get (one or many), check and list secrets (of one namespace when given). */
  grantRead(grantee: iam.IGrantable, options: SecretsGrantOptions = {}): iam.Grant {
    return this.#grant(
      grantee,
      [...TABLE_READ_ACTIONS],
      [...KEY_READ_ACTIONS],
      [...TABLE_KEY_READ_ACTIONS],
      options,
    );
  }

  /** Lets `grantee` read, put, patch, delete and purge secrets (of one namespace when given). */
  grantReadWrite(grantee: iam.IGrantable, options: SecretsGrantOptions = {}): iam.Grant {
    return this.#grant(
      grantee,
      [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS],
      [...TABLE_KEY_WRITE_ACTIONS],
      options,
    );
  }

  /**
   * Lets `grantee` move every secret of the table to the construct's key (`store.rewrap()`,
   * `secrets-store rewrap --all-namespaces`): Query, Scan, GetItem and PutItem on the table,
   * `kms:ReEncryptFrom` on the previous keys and `kms:ReEncryptTo` on the construct's key.
   * Never `kms:Decrypt`: the data keys move inside KMS.
   *
   * `kms:ReEncryptFrom` is granted on the construct's own key too: a keyring configured with an
   * alias cannot tell an item is already on its key until it has learnt the alias's key ARN,
   * so a rerun may ReEncrypt such an item from the current key to itself. That grants no access
   * to a data key.
   *
   * @example
   * const oldKey = kms.Key.fromKeyArn(this, 'OldKey', 'arn:aws:kms:eu-west-1:111122223333:key/...');
   * secrets.grantRewrap(operatorRole, { previousKeys: [oldKey] });
   */
  grantRewrap(grantee: iam.IGrantable, options: RewrapGrantOptions = {}): iam.Grant {
    const previousKeyArns = (options.previousKeys ?? []).map((key) => key.keyArn);
    const table = iam.Grant.addToPrincipal({
      grantee,
      actions: [...REWRAP_TABLE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    const from = iam.Grant.addToPrincipal({
      grantee,
      actions: [...REWRAP_FROM_KEY_ACTIONS],
      resourceArns: [...previousKeyArns, this.key.keyArn],
    });
    const to = iam.Grant.addToPrincipal({
      grantee,
      actions: [...REWRAP_TO_KEY_ACTIONS],
      resourceArns: [this.key.keyArn],
    });
    return withTableKey(table.combine(from).combine(to), this.table, grantee, [
      ...TABLE_KEY_WRITE_ACTIONS,
    ]);
  }

  /**
   * The `SECRETS_STORE_*` variables that configure `storage.secrets` for `namespace` (without
   * one, for a function that calls `storage.secrets.forNamespace(ns)`), with the previous keys
   * and the value cache of {@link ConfigureFunctionOptions} when given.
   */
  environmentFor(
    namespace: string | undefined,
    options: Pick<ConfigureFunctionOptions, 'previousKeys' | 'valueCacheMaxAge'> = {},
  ): Record<string, string> {
    const previousKeyArns = (options.previousKeys ?? []).map((key) => {
      if (key instanceof kms.Alias) {
        throw new Error(
          `previousKeys takes keys, not aliases (${key.node.path}): the store pins the exact key an item names`,
        );
      }
      return key.keyArn;
    });
    const cacheMs = options.valueCacheMaxAge?.toMilliseconds();
    return {
      SECRETS_STORE_TABLE: this.table.tableName,
      SECRETS_STORE_KEY_ID: this.key.keyArn,
      ...(namespace === undefined ? {} : { SECRETS_STORE_NAMESPACE: namespace }),
      ...(previousKeyArns.length === 0
        ? {}
        : { SECRETS_STORE_PREVIOUS_KEY_IDS: previousKeyArns.join(',') }),
      ...(cacheMs === undefined ? {} : { SECRETS_STORE_VALUE_CACHE_MS: String(cacheMs) }),
    };
  }

  /**
   * Grants `fn` access to `namespace` and sets its `SECRETS_STORE_*` variables: one call.
   * Needs a function whose environment this app defines (a `lambda.Function`, or an alias or
   * version of one); for an imported function, grant and use {@link environmentFor} yourself.
   */
  configureFunction(fn: lambda.IFunction, options: ConfigureFunctionOptions): iam.Grant {
    const target = functionWithEnvironment(fn);
    if (!target) {
      throw new Error(
        `configureFunction cannot set environment variables on ${fn.node.path} (an imported function); grant it with grantReadWrite() and set environmentFor() where the function is defined`,
      );
    }
    // Precondition: the function's namespace is decided here, or its grant would be too wide.
    if ((options.namespace === undefined) === (options.namespacePrefix === undefined)) {
      throw new Error(
        `configureFunction needs a namespace (one installation) or a namespacePrefix (a function serving many, through storage.secrets.forNamespace), exactly one; ${fn.node.path} got ${options.namespace === undefined ? 'neither' : 'both'}`,
      );
    }
    for (const [name, value] of Object.entries(this.environmentFor(options.namespace, options))) {
      target.addEnvironment(name, value);
    }
    const scope: SecretsGrantOptions =
      options.namespace === undefined
        ? { namespacePrefix: options.namespacePrefix }
        : { namespace: options.namespace };
    const grant =
      options.access === 'read' ? this.grantRead(fn, scope) : this.grantReadWrite(fn, scope);
    const previous = (options.previousKeys ?? []).map((key) =>
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: [...KEY_READ_ACTIONS],
        resourceArns: [key.keyArn],
        conditions: keyConditions(scope),
      }),
    );
    return previous.reduce((all, one) => all.combine(one), grant);
  }

  #grant(
    grantee: iam.IGrantable,
    tableActions: string[],
    keyActions: string[],
    tableKeyActions: string[],
    scope: SecretsGrantOptions,
  ): iam.Grant {
    const table = iam.Grant.addToPrincipal({
      grantee,
      actions: tableActions,
      resourceArns: [this.table.tableArn],
      conditions: tableConditions(scope),
    });
    const key = iam.Grant.addToPrincipal({
      grantee,
      actions: keyActions,
      resourceArns: [this.key.keyArn],
      conditions: keyConditions(scope),
    });
    return withTableKey(table.combine(key), this.table, grantee, tableKeyActions);
  }
}

/** Namespace characters (core's keys.ts); `*` and `?` are not among them, so a prefix is literal. */
const NAMESPACE_PREFIX = /^[A-Za-z0-9._:@/+=-]{1,255}$/;

/** The grant's scope, checked: one namespace, a prefix, or (neither) every namespace. */
function scopeOf({ namespace, namespacePrefix }: SecretsGrantOptions): SecretsGrantOptions {
  if (namespace !== undefined && namespacePrefix !== undefined) {
    throw new Error('a grant takes namespace or namespacePrefix, not both');
  }
  if (
    namespacePrefix !== undefined &&
    !Token.isUnresolved(namespacePrefix) &&
    !NAMESPACE_PREFIX.test(namespacePrefix)
  ) {
    throw new Error(
      `namespacePrefix must be 1 to 255 characters of A-Z a-z 0-9 . _ : @ / + = -, received ${JSON.stringify(namespacePrefix)}`,
    );
  }
  return { namespace, namespacePrefix };
}

/** IAM conditions: operator -> condition key -> value(s). */
type Conditions = Record<string, Record<string, unknown>>;

function tableConditions(options: SecretsGrantOptions): Conditions | undefined {
  const { namespace, namespacePrefix } = scopeOf(options);
  if (namespace !== undefined) {
    return { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [namespace] } };
  }
  if (namespacePrefix !== undefined) {
    return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${namespacePrefix}*`] } };
  }
  return undefined;
}

function keyConditions(options: SecretsGrantOptions): Conditions | undefined {
  const { namespace, namespacePrefix } = scopeOf(options);
  if (namespace !== undefined) {
    return { StringEquals: { 'kms:EncryptionContext:namespace': namespace } };
  }
  if (namespacePrefix !== undefined) {
    return { StringLike: { 'kms:EncryptionContext:namespace': `${namespacePrefix}*` } };
  }
  return undefined;
}

/**
 * A grant on the table, extended to the table's own customer-managed key when it has one (as
 * CDK's table grants do): without it, nothing can read a table encrypted with that key. The key
 * is DynamoDB's, used with its own encryption context, so no namespace condition applies.
 */
function withTableKey(
  grant: iam.Grant,
  table: dynamodb.ITable,
  grantee: iam.IGrantable,
  actions: string[],
): iam.Grant {
  const key = table.encryptionKey;
  return key ? grant.combine(key.grant(grantee, ...actions)) : grant;
}

/** The function behind `fn` whose environment can be set here, if there is one. */
function functionWithEnvironment(fn: lambda.IFunction): lambda.Function | undefined {
  if (fn instanceof lambda.Function) return fn;
  if (fn instanceof lambda.Alias) return functionWithEnvironment(fn.version.lambda);
  if (fn instanceof lambda.Version) return functionWithEnvironment(fn.lambda);
  return undefined;
}

/** Settings every function of the project shares: ARM64, Node 22, ESM bundle, bounded logs. */
export function lambdaDefaults(
  retention: logs.RetentionDays | undefined,
  scope: Construct,
  id: string,
): Pick<
  nodejs.NodejsFunctionProps,
  | 'runtime'
  | 'architecture'
  | 'memorySize'
  | 'tracing'
  | 'logGroup'
  | 'bundling'
  | 'projectRoot'
  | 'depsLockFilePath'
> {
  return {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      retention: retention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    projectRoot: REPOSITORY_ROOT,
    depsLockFilePath: `${REPOSITORY_ROOT}package-lock.json`,
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      // The workspace packages export TypeScript sources under the "source" condition.
      esbuildArgs: { '--conditions': 'source' },
      // The Node 22 runtime provides AWS SDK v3.
      externalModules: ['@aws-sdk/*'],
    },
  };
}

/** cdk-nag findings every project function has, each with the reason it stands. */
export function acknowledgeLambdaFindings(fn: lambda.Function): void {
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'The project is built and tested for the Node.js 22 runtime (see DESIGN.md).',
    },
    {
      id: 'Serverless::Serverless-LambdaLatestVersion',
      reason: 'The project is built and tested for the Node.js 22 runtime (see DESIGN.md).',
    },
  );
}
