import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLE_SCHEMA } from '@secrets-store/core';
import { type CfnElement, Duration, Errors, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretsStoreStack } from '../../infra/bin/secrets-store-stack.ts';
import { SecretsStoreBackend, type SecretsStoreBackendProps } from '../../infra/lib/index.ts';
import { newApp } from '../support/cdkApp.ts';

/** The table actions a read-write grant allows, in the order CDK sorts them. */
const TABLE_READ_WRITE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

let stack: SecretsStoreStack;
let template: Template;

beforeAll(() => {
  stack = new SecretsStoreStack(newApp(), 'Test', { exampleNamespace: 'example-app:install-1' });
  template = Template.fromStack(stack);
});

/**
 * The statements of every policy attached to a role whose logical id starts with the prefix, with
 * action lists sorted: the order CDK writes them in depends on its feature flags.
 */
function statementsOfRole(
  roleLogicalIdPrefix: string,
  source: Template = template,
): Record<string, unknown>[] {
  const policies = source.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) =>
        role.Ref.startsWith(roleLogicalIdPrefix),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[])
    .map((statement) =>
      Array.isArray(statement.Action)
        ? { ...statement, Action: [...statement.Action].sort() }
        : statement,
    );
}

function logicalIdOf(type: string, pathFragment: string): string {
  const resources = template.findResources(type);
  const id = Object.keys(resources).find((logicalId) => logicalId.includes(pathFragment));
  if (!id) throw new Error(`no ${type} with ${pathFragment}`);
  return id;
}

/** A stack `Own` with a backend `Secrets` and an inline Node 22 function of the given id. */
function ownStackWithFunction(id: string) {
  const own = new Stack(newApp(), 'Own');
  const backend = new SecretsStoreBackend(own, 'Secrets');
  const fn = new lambda.Function(own, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
  });
  return { own, backend, fn };
}

/** A stack holding only the backend, with the props `props` makes in that stack. */
function backendStack(props: (stack: Stack) => SecretsStoreBackendProps = () => ({})): {
  stack: Stack;
  backend: SecretsStoreBackend;
  template: Template;
} {
  const stack = new Stack(newApp(), 'Props');
  const backend = new SecretsStoreBackend(stack, 'Secrets', props(stack));
  return { stack, backend, template: Template.fromStack(stack) };
}

describe('the table', () => {
  it('is a TableV2 with pk/sk string keys, on-demand billing, PITR, deletion protection, no LSI', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
      LocalSecondaryIndexes: Match.absent(),
    });
  });

  it('and the KMS key are retained when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('removalPolicy DESTROY deletes table and key with the stack and turns deletion protection off', () => {
    const { template: destroyed } = backendStack(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    destroyed.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    destroyed.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
    destroyed.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('tableName names it', () => {
    const { template: named } = backendStack(() => ({ tableName: 'my-secrets' }));
    named.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'my-secrets' });
  });

  it('billing sets its capacity', () => {
    const { template: provisioned } = backendStack(() => ({
      billing: dynamodb.Billing.provisioned({
        readCapacity: dynamodb.Capacity.fixed(5),
        writeCapacity: dynamodb.Capacity.autoscaled({ maxCapacity: 10 }),
      }),
    }));
    provisioned.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PROVISIONED',
    });
  });

  it('table: a table brought in is used by the cleanup function and the grants, and none is made', () => {
    const { backend, template: brought } = backendStack((stack) => ({
      table: dynamodb.TableV2.fromTableName(stack, 'Existing', 'existing-secrets'),
    }));
    brought.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    brought.resourceCountIs('AWS::DynamoDB::Table', 0);
    brought.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Deletes every secret of an uninstalled app installation',
      Environment: { Variables: Match.objectLike({ SECRETS_STORE_TABLE: 'existing-secrets' }) },
    });
    expect(backend.environmentFor('a').SECRETS_STORE_TABLE).toBe('existing-secrets');
    expect(JSON.stringify(brought.findResources('AWS::IAM::Policy'))).toContain(
      ':table/existing-secrets',
    );
  });

  it('enables TTL on expiresAt, where tombstones say when they expire', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  /** The statements of the policies of the role of `path` that name the key `keyLogicalId`. */
  const keyStatements = (brought: Template, rolePrefix: string, keyLogicalId: string) =>
    statementsOfRole(rolePrefix, brought).filter((statement) =>
      JSON.stringify(statement.Resource).includes(keyLogicalId),
    );
  const TABLE_KEY_WRITE = [
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:GenerateDataKey*',
    'kms:ReEncrypt*',
  ];

  // issue 16, case 7: nothing could read a table encrypted with its own key.
  it.each([
    [
      'a TableV2 with a customer-managed key',
      (stack: Stack, key: kms.Key) =>
        new dynamodb.TableV2(stack, 'Own', {
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
          encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
        }),
    ],
    [
      'a Table (ITable) with a customer-managed key',
      (stack: Stack, key: kms.Key) =>
        new dynamodb.Table(stack, 'Own', {
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
          encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
          encryptionKey: key,
        }),
    ],
    [
      'an imported table with its key',
      (stack: Stack, key: kms.Key) =>
        dynamodb.TableV2.fromTableAttributes(stack, 'Own', {
          tableName: 'existing-secrets',
          encryptionKey: key,
        }),
    ],
  ])('table: %s gets that key granted to the grantees and the cleanup role', (_name, make) => {
    // A TableV2 with its own key renders its replica's key per Region: the stack names one.
    const stack = new Stack(newApp(), 'Brought', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    const tableKey = new kms.Key(stack, 'TableKey');
    const backend = new SecretsStoreBackend(stack, 'Secrets', { table: make(stack, tableKey) });
    const role = (id: string) =>
      new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
    backend.grantRead(role('Reader'), { namespace: 'app:1' });
    backend.grantReadWrite(role('Writer'));
    backend.grantRewrap(role('Operator'));
    const brought = Template.fromStack(stack);
    const keyId = stack.getLogicalId(tableKey.node.defaultChild as kms.CfnKey);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    expect(keyStatements(brought, 'Reader', keyId)).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: keyArn },
    ]);
    for (const role of ['Writer', 'Operator', 'SecretsCleanupFunctionServiceRole']) {
      expect(keyStatements(brought, role, keyId)).toEqual([
        { Effect: 'Allow', Action: TABLE_KEY_WRITE, Resource: keyArn },
      ]);
    }
  });

  it('table: a brought table without a key of its own adds no KMS grant beyond the secrets key', () => {
    const stack = new Stack(newApp(), 'Brought');
    const backend = new SecretsStoreBackend(stack, 'Secrets', {
      table: dynamodb.TableV2.fromTableName(stack, 'Existing', 'existing-secrets'),
    });
    backend.grantReadWrite(
      new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() }),
    );
    const statements = statementsOfRole('Writer', Template.fromStack(stack));
    expect(statements.flatMap((statement) => [statement.Action].flat())).toEqual([
      ...TABLE_READ_WRITE_ACTIONS,
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
  });

  it('table brought in together with tableName or billing is refused, naming the table', () => {
    expect(() =>
      backendStack((stack) => ({
        table: dynamodb.TableV2.fromTableName(stack, 'Existing', 'existing-secrets'),
        tableName: 'other',
      })),
    ).toThrow(/tableName and billing .* \(Props\/Existing\)/);
  });
});

describe('the KMS key', () => {
  it('is symmetric, rotates yearly and has an alias unique to the construct', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      RotationPeriodInDays: 365,
      KeySpec: Match.absent(),
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: Match.stringLikeRegexp('^alias/secrets-store/TestSecrets[0-9A-F]{8}$'),
    });
  });

  it('two backends in one stack get different aliases', () => {
    const stack = new Stack(newApp(), 'Two');
    new SecretsStoreBackend(stack, 'First');
    new SecretsStoreBackend(stack, 'Second');
    const aliases = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Alias')).map(
      (alias) => alias.Properties.AliasName as string,
    );
    expect(aliases).toHaveLength(2);
    expect(new Set(aliases).size).toBe(2);
  });

  it('keyAlias names the alias', () => {
    const { template: aliased } = backendStack(() => ({ keyAlias: 'alias/my-app-secrets' }));
    aliased.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/my-app-secrets' });
  });

  it('encryptionKey: a key brought in is used by the grants and gets no alias unless asked', () => {
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { backend, template: brought } = backendStack((stack) => ({
      encryptionKey: kms.Key.fromKeyArn(stack, 'Existing', arn),
    }));
    brought.resourceCountIs('AWS::KMS::Key', 0);
    brought.resourceCountIs('AWS::KMS::Alias', 0);
    expect(backend.keyAlias).toBeUndefined();
    expect(backend.environmentFor('a').SECRETS_STORE_KEY_ID).toBe(arn);
    const { template: aliased } = backendStack((stack) => ({
      encryptionKey: kms.Key.fromKeyArn(stack, 'Existing', arn),
      keyAlias: 'alias/brought',
    }));
    aliased.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/brought',
      TargetKeyId: arn,
    });
  });
});

describe('the uninstall pipeline', () => {
  it('routes AppUninstalled and AppInstalled events carrying detail.namespace to the queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['secrets-store'],
        'detail-type': ['AppUninstalled', 'AppInstalled'],
        detail: { namespace: [{ exists: true }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'UninstallQueue'), 'Arn'] },
          DeadLetterConfig: Match.objectLike({}),
        }),
      ],
    });
  });

  it('has an encrypted queue with a dead-letter queue after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'DeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 5,
      },
      VisibilityTimeout: 1800,
    });
  });

  it('runs the cleanup Lambda on ARM64 / Node 22 with its environment and log retention', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Deletes every secret of an uninstalled app installation',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 300,
      Environment: {
        Variables: {
          SECRETS_STORE_TABLE: { Ref: logicalIdOf('AWS::DynamoDB::GlobalTable', 'Table') },
          QUEUE_URL: { Ref: logicalIdOf('AWS::SQS::Queue', 'UninstallQueue') },
          SWEEP_DELAY_SECONDS: '900',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('reports partial batch failures from the queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('lets the cleanup role Query, DeleteItem and UpdateItem the table, and use no KMS key', () => {
    const statements = statementsOfRole('SecretsCleanupFunctionServiceRole');
    const tableStatements = statements.filter((statement) =>
      JSON.stringify(statement.Action).includes('dynamodb:'),
    );
    expect(tableStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::GlobalTable', 'Table'), 'Arn'] },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('kms:');
    const sqsActions = statements
      .flatMap((statement) => [statement.Action].flat() as string[])
      .filter((action) => action.startsWith('sqs:'));
    expect(sqsActions).toContain('sqs:SendMessage'); // the second sweep, records sent back
  });

  it('eventSource and eventBus choose where the rule listens', () => {
    const { template: custom } = backendStack((stack) => ({
      eventSource: 'my.platform',
      eventBus: new events.EventBus(stack, 'Bus', { eventBusName: 'platform' }),
    }));
    custom.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: Match.objectLike({ source: ['my.platform'] }),
    });
  });

  it('logRetention sets the retention of the cleanup log group', () => {
    const { template: custom } = backendStack(() => ({
      logRetention: logs.RetentionDays.ONE_YEAR,
    }));
    custom.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('cleanupTimeout sets the function timeout and six times it as the queue visibility', () => {
    const { template: custom } = backendStack(() => ({ cleanupTimeout: Duration.minutes(2) }));
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Deletes every secret of an uninstalled app installation',
      Timeout: 120,
    });
    custom.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 720,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('sweepDelay reaches the function, and more than SQS can delay is refused', () => {
    const { template: custom } = backendStack(() => ({ sweepDelay: Duration.minutes(2) }));
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SWEEP_DELAY_SECONDS: '120' }) },
    });
    expect(() => backendStack(() => ({ sweepDelay: Duration.minutes(16) }))).toThrow(
      'sweepDelay is 960 s, SQS delays at most 900 s',
    );
  });
});

/** `alarm` is the one alarm of the stack with these properties. */
function expectAlarm(alarm: { node: { defaultChild?: unknown } }, properties: object): void {
  const matching = template.findResources('AWS::CloudWatch::Alarm', { Properties: properties });
  expect(Object.keys(matching)).toEqual([
    stack.getLogicalId(alarm.node.defaultChild as CfnElement),
  ]);
}

describe('alarms', () => {
  it('deadLetterAlarm fires on any visible message in the dead-letter queue', () => {
    expectAlarm(stack.backend.deadLetterAlarm, {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'DeadLetterQueue'), 'QueueName'],
          },
        },
      ],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    });
  });

  it('errorAlarm fires on any failed invocation of the cleanup function', () => {
    expectAlarm(stack.backend.errorAlarm, {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalIdOf('AWS::Lambda::Function', 'CleanupFunction') },
        },
      ],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('alarmTopic is notified by both alarms, in alarm and back to OK', () => {
    const { template: notified } = backendStack((stack) => ({
      alarmTopic: new sns.Topic(stack, 'Ops'),
    }));
    const alarms = Object.values(notified.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Ops/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^Ops/) }]);
    }
  });
});

describe('stack outputs', () => {
  it('export the table name, key ARN, cleanup function and dead-letter queue', () => {
    template.hasOutput('TableName', {
      Value: { Ref: logicalIdOf('AWS::DynamoDB::GlobalTable', 'Table') },
    });
    template.hasOutput('KeyArn', {
      Value: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key', 'Key'), 'Arn'] },
    });
    template.hasOutput('CleanupFunctionName', {
      Value: { Ref: logicalIdOf('AWS::Lambda::Function', 'CleanupFunction') },
    });
    template.hasOutput('DeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf('AWS::SQS::Queue', 'DeadLetterQueue') },
    });
  });
});

describe('grants', () => {
  it('configureFunction gives the example function its variables', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Example app'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          SECRETS_STORE_TABLE: { Ref: logicalIdOf('AWS::DynamoDB::GlobalTable', 'Table') },
          SECRETS_STORE_KEY_ID: {
            'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key', 'Key'), 'Arn'],
          },
          SECRETS_STORE_NAMESPACE: 'example-app:install-1',
        },
      },
    });
  });

  it('a namespace-scoped grant carries LeadingKeys and the KMS context for that namespace only', () => {
    const statements = statementsOfRole('ExampleFunctionServiceRole');
    const table = statements.find((statement) =>
      JSON.stringify(statement.Action).includes('dynamodb:'),
    );
    const key = statements.find((statement) => JSON.stringify(statement.Action).includes('kms:'));
    expect(table).toEqual({
      Effect: 'Allow',
      Action: TABLE_READ_WRITE_ACTIONS,
      Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::GlobalTable', 'Table'), 'Arn'] },
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['example-app:install-1'] },
      },
    });
    expect(key).toEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key', 'Key'), 'Arn'] },
      Condition: { StringEquals: { 'kms:EncryptionContext:namespace': 'example-app:install-1' } },
    });
  });

  it('grantRead without a namespace allows reads of every namespace, and no writes', () => {
    const other = new SecretsStoreStack(newApp(), 'Other');
    const role = new iam.Role(other, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    other.backend.grantRead(role);
    const otherTemplate = Template.fromStack(other);
    const idOf = (type: string, fragment: string) =>
      Object.keys(otherTemplate.findResources(type)).find((id) => id.includes(fragment));
    expect(statementsOfRole('Reader', otherTemplate)).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [idOf('AWS::DynamoDB::GlobalTable', 'Table'), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'Key'), 'Arn'] },
      },
    ]);
  });
});

describe('grantRewrap', () => {
  const OLD_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000';

  function rewrapStatements(previousKeys: (scope: Stack) => kms.IKey[] | undefined) {
    const own = new Stack(newApp(), 'Own');
    const backend = new SecretsStoreBackend(own, 'Secrets');
    const role = new iam.Role(own, 'Operator', {
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const keys = previousKeys(own);
    backend.grantRewrap(role, keys ? { previousKeys: keys } : {});
    const ownTemplate = Template.fromStack(own);
    const idOf = (type: string, fragment: string) =>
      Object.keys(ownTemplate.findResources(type)).find((id) => id.includes(fragment));
    return {
      statements: statementsOfRole('Operator', ownTemplate),
      tableArn: { 'Fn::GetAtt': [idOf('AWS::DynamoDB::GlobalTable', 'Table'), 'Arn'] },
      keyArn: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'Key'), 'Arn'] },
    };
  }

  it('allows Query, Scan, GetItem, UpdateItem on the table, ReEncryptFrom the previous keys and its own, ReEncryptTo its own key', () => {
    const { statements, tableArn, keyArn } = rewrapStatements((scope) => [
      kms.Key.fromKeyArn(scope, 'OldKey', OLD_KEY_ARN),
    ]);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        Resource: tableArn,
      },
      { Effect: 'Allow', Action: 'kms:ReEncryptFrom', Resource: [OLD_KEY_ARN, keyArn] },
      { Effect: 'Allow', Action: 'kms:ReEncryptTo', Resource: keyArn },
    ]);
  });

  it('without previous keys: ReEncrypt from and to its own key only, and never kms:Decrypt', () => {
    const { statements, tableArn, keyArn } = rewrapStatements(() => undefined);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        Resource: tableArn,
      },
      // The data keys move inside KMS: no Decrypt, no GenerateDataKey.
      { Effect: 'Allow', Action: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'], Resource: keyArn },
    ]);
  });
});

describe('configureFunction', () => {
  it('takes an IFunction: an alias of a function gets the variables on its function', () => {
    const { own, backend, fn } = ownStackWithFunction('App');
    const alias = new lambda.Alias(own, 'Live', { aliasName: 'live', version: fn.currentVersion });
    backend.configureFunction(alias, { namespace: 'app:1', access: 'read' });
    Template.fromStack(own).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ SECRETS_STORE_NAMESPACE: 'app:1' }) },
    });
  });

  it('namespacePrefix: no namespace variable, and StringLike grants on the prefix (a multi-tenant function)', () => {
    const { own, backend, fn } = ownStackWithFunction('Tenants');
    backend.configureFunction(fn, { namespacePrefix: 'my-app:' });
    const ownTemplate = Template.fromStack(own);
    const functions = ownTemplate.findResources('AWS::Lambda::Function');
    const tenantsId = Object.keys(functions).find((id) => id.startsWith('Tenants')) as string;
    const variables = functions[tenantsId]?.Properties.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual(['SECRETS_STORE_KEY_ID', 'SECRETS_STORE_TABLE']);
    const statements = statementsOfRole('TenantsServiceRole', ownTemplate);
    expect(statements.map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['my-app:*'] } },
      { StringLike: { 'kms:EncryptionContext:namespace': 'my-app:*' } },
    ]);
  });

  it('sets previous keys (and may Decrypt with them, in its namespace) and the value cache variable', () => {
    const { own, backend, fn } = ownStackWithFunction('App');
    const old = 'arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab';
    const older = 'arn:aws:kms:eu-west-1:111122223333:key/1111bbbb-12ab-34cd-56ef-1234567890ab';
    backend.configureFunction(fn, {
      namespace: 'app:1',
      previousKeys: [kms.Key.fromKeyArn(own, 'Old', old), kms.Key.fromKeyArn(own, 'Older', older)],
      valueCacheMaxAge: Duration.seconds(5),
    });
    const ownTemplate = Template.fromStack(own);
    ownTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          SECRETS_STORE_NAMESPACE: 'app:1',
          SECRETS_STORE_PREVIOUS_KEY_IDS: `${old},${older}`,
          SECRETS_STORE_VALUE_CACHE_MS: '5000',
        }),
      },
    });
    const decryptOnPrevious = statementsOfRole('AppServiceRole', ownTemplate).filter((statement) =>
      JSON.stringify(statement.Resource).includes(':key/'),
    );
    expect(decryptOnPrevious).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: [old, older],
        Condition: { StringEquals: { 'kms:EncryptionContext:namespace': 'app:1' } },
      },
    ]);
  });

  it('needs exactly one of namespace and namespacePrefix, and a prefix of namespace characters', () => {
    const { backend, fn } = ownStackWithFunction('App');
    expect(() => backend.configureFunction(fn, {})).toThrow(
      'configureFunction needs a namespace (one installation) or a namespacePrefix (a function serving many, through storage.secrets.forNamespace), exactly one; Own/App got neither',
    );
    expect(() =>
      backend.configureFunction(fn, { namespace: 'a:1', namespacePrefix: 'a:' }),
    ).toThrow(/exactly one; Own\/App got both/);
    expect(() => backend.grantRead(fn, { namespacePrefix: 'a*' })).toThrow(
      'namespacePrefix must be 1 to 255 characters of A-Z a-z 0-9 . _ : @ / + = -, received "a*"',
    );
  });

  it('refuses an imported function, whose environment it cannot set, naming it', () => {
    const own = new Stack(newApp(), 'Own');
    const backend = new SecretsStoreBackend(own, 'Secrets');
    const imported = lambda.Function.fromFunctionArn(
      own,
      'Imported',
      'arn:aws:lambda:eu-west-1:111122223333:function:app',
    );
    expect(() => backend.configureFunction(imported, { namespace: 'app:1' })).toThrow(
      /cannot set environment variables on Own\/Imported/,
    );
  });
});

describe('refusals', () => {
  it('every refusal of its props is a CDK ValidationError scoped to the construct', () => {
    const { own, backend, fn } = ownStackWithFunction('App');
    const alias = new kms.Alias(own, 'OldAlias', {
      aliasName: 'alias/old',
      targetKey: backend.key,
    });
    const refusals: [string, () => unknown, string][] = [
      [
        'sweepDelay',
        () => new SecretsStoreBackend(own, 'Slow', { sweepDelay: Duration.minutes(16) }),
        'Own/Slow',
      ],
      [
        'brought table',
        () =>
          new SecretsStoreBackend(own, 'Brought', {
            table: dynamodb.TableV2.fromTableName(own, 'Existing', 'existing'),
            billing: dynamodb.Billing.onDemand(),
          }),
        'Own/Brought',
      ],
      ['neither', () => backend.configureFunction(fn, {}), 'Own/Secrets'],
      [
        'both',
        () => backend.configureFunction(fn, { namespace: 'a:1', namespacePrefix: 'a:' }),
        'Own/Secrets',
      ],
      ['prefix', () => backend.grantRead(fn, { namespacePrefix: 'a*' }), 'Own/Secrets'],
      ['alias', () => backend.environmentFor('a:1', { previousKeys: [alias] }), 'Own/Secrets'],
      [
        'imported',
        () =>
          backend.configureFunction(
            lambda.Function.fromFunctionArn(
              own,
              'Imported',
              'arn:aws:lambda:eu-west-1:1:function:x',
            ),
            { namespace: 'a:1' },
          ),
        'Own/Secrets',
      ],
    ];
    for (const [name, refuse, path] of refusals) {
      let thrown: unknown;
      try {
        refuse();
      } catch (error) {
        thrown = error;
      }
      expect(Errors.isValidationError(thrown), name).toBe(true);
      expect((thrown as { constructPath?: string }).constructPath, name).toBe(path);
    }
  });

  it("the table's key schema and TTL attribute are core's TABLE_SCHEMA", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
    });
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions and Serverless packs report no unacknowledged error; each acknowledgement has a reason', () => {
    const app = newApp();
    new SecretsStoreStack(app, 'Nagged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: {
        pluginName: string;
        violations: { ruleName: string; severity: string }[];
        suppressedViolations: { ruleName: string; reason?: string }[];
      }[];
    };
    expect(report.pluginReports.map((plugin) => plugin.pluginName).sort()).toEqual([
      'AwsSolutions',
      'Serverless',
    ]);
    for (const plugin of report.pluginReports) {
      const errors = plugin.violations.filter((violation) => violation.severity === 'error');
      expect(
        errors.map((violation) => violation.ruleName),
        plugin.pluginName,
      ).toEqual([]);
      for (const suppressed of plugin.suppressedViolations) {
        expect(suppressed.reason?.length ?? 0, suppressed.ruleName).toBeGreaterThan(20);
      }
    }
  });
});
