/**
 * The IAM actions a synthesised template allows a role, and the IAM actions an AWS request needs:
 * the two sides of test/infra/grants.test.ts, which checks that every request a store operation
 * sends is granted.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** Every action allowed by the policies attached to the role whose logical id starts with `rolePrefix`. */
export function allowedActions(template: Template, rolePrefix: string): Set<string> {
  const policies = template.findResources('AWS::IAM::Policy');
  const matching = Object.values(policies).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith(rolePrefix)),
  );
  // A role without a policy would make every assertion vacuous: name it instead.
  if (matching.length === 0) throw new Error(`no policy is attached to a role ${rolePrefix}*`);
  const actions = new Set<string>();
  for (const policy of matching) {
    for (const statement of policy.Properties.PolicyDocument.Statement as {
      Effect: string;
      Action: string | string[];
    }[]) {
      if (statement.Effect === 'Allow')
        for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return actions;
}

/**
 * The IAM actions one request needs. Most are `service:Operation`; KMS authorises `ReEncrypt` on
 * its source key (`kms:ReEncryptFrom`) and on its destination key (`kms:ReEncryptTo`); DynamoDB has
 * no `TransactWriteItems` action and authorises each item of the transaction as its own action.
 */
export function iamActionsOf(
  service: 'dynamodb' | 'kms',
  operation: string,
  input: unknown,
): string[] {
  if (service === 'kms' && operation === 'ReEncrypt')
    return ['kms:ReEncryptFrom', 'kms:ReEncryptTo'];
  if (service === 'dynamodb' && operation === 'TransactWriteItems') {
    const items = (input as { TransactItems?: Record<string, unknown>[] }).TransactItems ?? [];
    const byKind: Record<string, string> = {
      Put: 'dynamodb:PutItem',
      Update: 'dynamodb:UpdateItem',
      Delete: 'dynamodb:DeleteItem',
      ConditionCheck: 'dynamodb:ConditionCheckItem',
    };
    return items.flatMap((item) =>
      Object.keys(item).map((kind) => byKind[kind] ?? `dynamodb:${kind}`),
    );
  }
  return [`${service}:${operation}`];
}

/**
 * The actions listed in a Markdown document between `<!-- grants:NAME -->` and `<!-- /grants -->`
 * (every `dynamodb:X` and `kms:X` written out in full, except one written after "no", as in
 * "no `kms:Decrypt`"), or undefined when the markers are absent.
 */
export function documentedActions(markdown: string, name: string): Set<string> | undefined {
  const start = markdown.indexOf(`<!-- grants:${name} -->`);
  if (start === -1) return undefined;
  const end = markdown.indexOf('<!-- /grants -->', start);
  if (end === -1) throw new Error(`<!-- grants:${name} --> has no closing <!-- /grants -->`);
  return new Set(
    markdown.slice(start, end).match(/(?<!\bno `?)\b(?:dynamodb|kms):[A-Za-z*]+/g) ?? [],
  );
}
