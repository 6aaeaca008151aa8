/**
 * Tenant isolation in the synthesised IAM: a namespace-scoped grant names its namespace in both
 * the DynamoDB and the KMS condition, and no other; the cleanup role has no KMS access at all.
 */

import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { SecretsStoreStack } from '../../infra/bin/secrets-store-stack.ts';
import { newApp } from '../support/cdkApp.ts';

interface Statement {
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function statementsOf(template: Template, rolePrefix: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) =>
        role.Ref.startsWith(rolePrefix),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('tenant isolation in IaC', () => {
  const stack = new SecretsStoreStack(newApp(), 'Isolation');
  const tenants = ['tenant-a:install-1', 'tenant-b:install-9'];
  for (const [index, namespace] of tenants.entries()) {
    const role = new iam.Role(stack, `Tenant${index}`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    stack.backend.grantReadWrite(role, { namespace });
  }
  const template = Template.fromStack(stack);

  it.each(tenants.map((namespace, index) => [namespace, index] as const))(
    '%s: every statement is conditioned on that namespace only',
    (namespace, index) => {
      const statements = statementsOf(template, `Tenant${index}`);
      expect(statements).toHaveLength(2);
      const table = statements.find((statement) =>
        JSON.stringify(statement.Action).includes('dynamodb:'),
      );
      const key = statements.find((statement) => JSON.stringify(statement.Action).includes('kms:'));
      expect(table?.Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [namespace] },
      });
      expect(key?.Condition).toEqual({
        StringEquals: { 'kms:EncryptionContext:namespace': namespace },
      });
      const other = tenants.find((candidate) => candidate !== namespace) as string;
      expect(JSON.stringify(statements)).not.toContain(other);
    },
  );

  it('the cleanup role has no KMS action, and only Query, DeleteItem and UpdateItem on the table', () => {
    const statements = statementsOf(template, 'SecretsCleanupFunctionServiceRole');
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });
});
