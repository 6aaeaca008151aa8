import {
  DEFAULT_EVENT_SOURCE,
  ENVIRONMENT_VARIABLES,
  INSTALLED_EVENT,
  TABLE_SCHEMA,
  UNINSTALLED_EVENT,
} from '@secrets-store/core';
import { Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLEANUP_ENVIRONMENT, cleanupFunctionCode } from './cleanup-code.ts';
import {
  type ConfigureFunctionOptions,
  configureFunction,
  environmentFor,
} from './function-config.ts';
import { acknowledgeLambdaFindings, functionDefaults } from './function-defaults.ts';
import { CLEANUP_TABLE_ACTIONS, TABLE_KEY_WRITE_ACTIONS } from './perms.ts';
import {
  grantRewrap,
  grantSecrets,
  type RewrapGrantOptions,
  type SecretsGrantOptions,
  type SecretsResources,
} from './secrets-grants.ts';
import { uninstallAlarms } from './uninstall-alarms.ts';
import { validationError } from './validation.ts';

export type { ConfigureFunctionOptions, RewrapGrantOptions, SecretsGrantOptions };
export { INSTALLED_EVENT, UNINSTALLED_EVENT };

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
      throw validationError(
        'SecretsSweepDelay',
        `sweepDelay is ${sweepDelay.toSeconds()} s, SQS delays at most 900 s`,
        this,
      );
    }
    const cleanupTimeout = props.cleanupTimeout ?? Duration.minutes(5);
    if (props.table && (props.tableName !== undefined || props.billing !== undefined)) {
      throw validationError(
        'SecretsBroughtTable',
        `tableName and billing configure the table the construct creates; with a table brought in (${props.table.node.path}) set them on that table`,
        this,
      );
    }

    this.table =
      props.table ??
      new dynamodb.TableV2(this, 'Table', {
        tableName: props.tableName,
        partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
        billing: props.billing ?? dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
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
        source: [props.eventSource ?? DEFAULT_EVENT_SOURCE],
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
      ...functionDefaults(props.logRetention, this, 'CleanupFunction'),
      timeout: cleanupTimeout,
      environment: {
        ...CLEANUP_ENVIRONMENT,
        [ENVIRONMENT_VARIABLES.tableName]: this.table.tableName,
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

  /** Lets `grantee` get, check and list secrets (of one namespace when given). */
  grantRead(grantee: iam.IGrantable, options: SecretsGrantOptions = {}): iam.Grant {
    return grantSecrets(this.#resources, grantee, 'read', options);
  }

  /** Lets `grantee` read, put, patch, delete and purge secrets (of one namespace when given). */
  grantReadWrite(grantee: iam.IGrantable, options: SecretsGrantOptions = {}): iam.Grant {
    return grantSecrets(this.#resources, grantee, 'readWrite', options);
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
    return grantRewrap(this.#resources, grantee, options);
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
    return environmentFor(this.#resources, namespace, options);
  }

  /**
   * Grants `fn` access to `namespace` and sets its `SECRETS_STORE_*` variables: one call.
   * Needs a function whose environment this app defines (a `lambda.Function`, or an alias or
   * version of one); for an imported function, grant and use {@link environmentFor} yourself.
   */
  configureFunction(fn: lambda.IFunction, options: ConfigureFunctionOptions): iam.Grant {
    return configureFunction(this.#resources, fn, options);
  }

  get #resources(): SecretsResources {
    return { scope: this, table: this.table, key: this.key };
  }
}
