import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretsStoreStack } from '../../infra/lib/index.ts';
import { newApp } from '../support/cdkApp.ts';

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

describe('the table', () => {
  it('has pk/sk string keys, on-demand billing, PITR, deletion protection, no LSI', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      LocalSecondaryIndexes: Match.absent(),
    });
  });

  it('and the KMS key are retained when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('the KMS key', () => {
  it('is symmetric, rotates yearly and has an alias', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      RotationPeriodInDays: 365,
      KeySpec: Match.absent(),
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/secrets-store' });
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
          SECRETS_STORE_TABLE: { Ref: logicalIdOf('AWS::DynamoDB::Table', 'Table') },
          SWEEP_QUEUE_URL: { Ref: logicalIdOf('AWS::SQS::Queue', 'UninstallQueue') },
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

  it('lets the cleanup role only Query and BatchWriteItem the table, and use no KMS key', () => {
    const statements = statementsOfRole('SecretsCleanupFunctionServiceRole');
    const tableStatements = statements.filter((statement) =>
      JSON.stringify(statement.Action).includes('dynamodb:'),
    );
    expect(tableStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchWriteItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::Table', 'Table'), 'Arn'] },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('kms:');
    const sqsActions = statements
      .flatMap((statement) => [statement.Action].flat() as string[])
      .filter((action) => action.startsWith('sqs:'));
    expect(sqsActions).toContain('sqs:SendMessage'); // the delayed second sweep
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
          SECRETS_STORE_TABLE: { Ref: logicalIdOf('AWS::DynamoDB::Table', 'Table') },
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
      Action: [
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::Table', 'Table'), 'Arn'] },
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
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [idOf('AWS::DynamoDB::Table', 'Table'), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'Key'), 'Arn'] },
      },
    ]);
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
