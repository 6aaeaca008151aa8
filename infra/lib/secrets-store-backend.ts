import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLEANUP_ENVIRONMENT, cleanupFunctionCode, withoutBundling } from './cleanup-code.ts';
import {
  CLEANUP_TABLE_ACTIONS,
  KEY_READ_ACTIONS,
  KEY_WRITE_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './perms.ts';

/** The repository root, for bundling the Lambda handlers from their sources. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The event types the uninstall pipeline listens to. */
export const UNINSTALLED_EVENT = 'AppUninstalled';
export const INSTALLED_EVENT = 'AppInstalled';

export interface SecretsStoreBackendProps {
  /** @default a name CloudFormation generates */
  readonly tableName?: string;
  /** @default dynamodb.BillingMode.PAY_PER_REQUEST */
  readonly billingMode?: dynamodb.BillingMode;
  /**
   * What happens to the table and the KMS key when the stack is deleted. Secrets cannot be read
   * without their key, so both are kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default 'alias/secrets-store' */
  readonly keyAlias?: string;
  /** Where `AppUninstalled` / `AppInstalled` events arrive. @default the account's default bus */
  readonly eventBus?: events.IEventBus;
  /** The `source` of those events. @default 'secrets-store' */
  readonly eventSource?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Delay of the second sweep after an uninstall; SQS allows at most 15 minutes. @default Duration.minutes(15) */
  readonly sweepDelay?: Duration;
  /** Timeout of the cleanup function; its purge stops 10 s before. @default Duration.minutes(5) */
  readonly cleanupTimeout?: Duration;
}

/** Options of a grant. */
export interface SecretsGrantOptions {
  /** Confine the grantee to one namespace (IAM conditions on the partition key and KMS context). @default every namespace */
  readonly namespace?: string;
}

export interface ConfigureFunctionOptions extends SecretsGrantOptions {
  /** The namespace the function's `storage.secrets` uses (`SECRETS_STORE_NAMESPACE`). */
  readonly namespace: string;
  /** @default 'readWrite' */
  readonly access?: 'read' | 'readWrite';
}

/**
 * The secrets store's AWS resources: the DynamoDB table, the KMS key, and the uninstall pipeline
 * (EventBridge rule -> SQS queue with dead-letter queue -> cleanup Lambda).
 *
 * @example
 * const secrets = new SecretsStoreBackend(this, 'Secrets');
 * secrets.configureFunction(myFunction, { namespace: 'my-app:install-1' });
 */
export class SecretsStoreBackend extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly cleanupFunction: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SecretsStoreBackendProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const sweepDelay = props.sweepDelay ?? Duration.minutes(15);
    if (!sweepDelay.isUnresolved() && sweepDelay.toSeconds() > 900) {
      throw new Error(`sweepDelay is ${sweepDelay.toSeconds()} s, SQS delays at most 900 s`);
    }
    const cleanupTimeout = props.cleanupTimeout ?? Duration.minutes(5);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: props.billingMode ?? dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy,
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'Wraps the per-secret data keys of the secrets store',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      alias: props.keyAlias ?? 'alias/secrets-store',
      removalPolicy,
    });

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
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
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

    this.cleanupFunction = new lambda.Function(this, 'CleanupFunction', {
      description: 'Deletes every secret of an uninstalled app installation',
      ...cleanupFunctionCode(),
      ...withoutBundling(lambdaDefaults(props.logRetention, this, 'CleanupFunction')),
      timeout: cleanupTimeout,
      environment: {
        ...CLEANUP_ENVIRONMENT,
        SECRETS_STORE_TABLE: this.table.tableName,
        SWEEP_QUEUE_URL: this.queue.queueUrl,
        SWEEP_DELAY_SECONDS: String(sweepDelay.toSeconds()),
      },
    });
    this.cleanupFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...CLEANUP_TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
    this.queue.grantSendMessages(this.cleanupFunction); // the delayed second sweep
    this.cleanupFunction.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 5, reportBatchItemFailures: true }),
    );
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
    return this.#grant(grantee, [...TABLE_READ_ACTIONS], [...KEY_READ_ACTIONS], options);
  }

  /** Lets `grantee` read, put, patch, delete and purge secrets (of one namespace when given). */
  grantReadWrite(grantee: iam.IGrantable, options: SecretsGrantOptions = {}): iam.Grant {
    return this.#grant(
      grantee,
      [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS],
      options,
    );
  }

  /** The `SECRETS_STORE_*` variables that configure `storage.secrets` for `namespace`. */
  environmentFor(namespace: string): Record<string, string> {
    return {
      SECRETS_STORE_TABLE: this.table.tableName,
      SECRETS_STORE_KEY_ID: this.key.keyArn,
      SECRETS_STORE_NAMESPACE: namespace,
    };
  }

  /** Grants `fn` access to `namespace` and sets its `SECRETS_STORE_*` variables: one call. */
  configureFunction(fn: lambda.Function, options: ConfigureFunctionOptions): iam.Grant {
    for (const [name, value] of Object.entries(this.environmentFor(options.namespace))) {
      fn.addEnvironment(name, value);
    }
    return options.access === 'read'
      ? this.grantRead(fn, { namespace: options.namespace })
      : this.grantReadWrite(fn, { namespace: options.namespace });
  }

  #grant(
    grantee: iam.IGrantable,
    tableActions: string[],
    keyActions: string[],
    { namespace }: SecretsGrantOptions,
  ): iam.Grant {
    const table = iam.Grant.addToPrincipal({
      grantee,
      actions: tableActions,
      resourceArns: [this.table.tableArn],
      conditions: namespace
        ? { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [namespace] } }
        : undefined,
    });
    const key = iam.Grant.addToPrincipal({
      grantee,
      actions: keyActions,
      resourceArns: [this.key.keyArn],
      conditions: namespace
        ? { StringEquals: { 'kms:EncryptionContext:namespace': namespace } }
        : undefined,
    });
    return table.combine(key);
  }
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
