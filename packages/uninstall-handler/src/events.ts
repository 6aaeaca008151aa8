/**
 * What the cleanup function is asked to do, parsed from an SQS message body (an EventBridge
 * event, or the delayed second sweep it sends itself) or from a direct invocation.
 */
import { checkNamespace } from '@secrets-store/core';

export type Task =
  | { readonly kind: 'uninstall'; readonly namespace: string }
  | { readonly kind: 'install'; readonly namespace: string }
  | { readonly kind: 'sweep'; readonly namespace: string };

export const UNINSTALLED = 'AppUninstalled';
export const INSTALLED = 'AppInstalled';
export const SWEEP = 'SecondSweep';

/** A task, or the reason the message is dropped (malformed; never retried). */
export type Parsed = { readonly task: Task } | { readonly invalid: string };

export function parseTask(message: unknown): Parsed {
  if (typeof message !== 'object' || message === null) {
    return {
      invalid: `expected a JSON object, received ${message === null ? 'null' : typeof message}`,
    };
  }
  const fields = message as Record<string, unknown>;
  const detail = fields.detail as Record<string, unknown> | undefined;
  const type = fields['detail-type'] ?? fields.type;
  const namespace = detail?.namespace ?? fields.namespace;
  let kind: Task['kind'];
  if (type === UNINSTALLED || (type === undefined && detail === undefined)) kind = 'uninstall';
  else if (type === INSTALLED) kind = 'install';
  else if (type === SWEEP) kind = 'sweep';
  else return { invalid: `unknown event type ${JSON.stringify(String(type)).slice(0, 80)}` };
  try {
    // An invalid namespace is refused, never purged as a prefix of others.
    checkNamespace(namespace);
  } catch (error) {
    return { invalid: (error as Error).message };
  }
  return { task: { kind, namespace } };
}

export function parseBody(body: string): Parsed {
  try {
    return parseTask(JSON.parse(body));
  } catch {
    return { invalid: 'the message body is not JSON' };
  }
}
