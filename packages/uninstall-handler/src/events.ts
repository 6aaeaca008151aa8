/**
 * What the cleanup function is asked to do. From the queue: an EventBridge event
 * (`AppUninstalled`, `AppInstalled`, with its `id` and `time`) or the delayed second sweep it
 * sends itself; anything else is refused, never taken for an uninstall. From a direct
 * invocation by an operator: `{ "namespace": "..." }`, a purge (or an EventBridge event).
 */
import { checkNamespace } from '@secrets-store/core';
import type { LifecycleEvent } from '@secrets-store/core/internal';

export type Task =
  | { readonly kind: 'uninstall'; readonly namespace: string; readonly event: LifecycleEvent }
  | { readonly kind: 'install'; readonly namespace: string; readonly event: LifecycleEvent }
  /** The second sweep of the uninstall `uninstall`. */
  | { readonly kind: 'sweep'; readonly namespace: string; readonly uninstall: LifecycleEvent }
  /** An operator's direct invocation: delete every secret written before now. */
  | { readonly kind: 'purge'; readonly namespace: string };

export const UNINSTALLED = 'AppUninstalled';
export const INSTALLED = 'AppInstalled';
export const SWEEP = 'SecondSweep';

/** The body of the second sweep's message. */
export interface SweepMessage {
  readonly type: typeof SWEEP;
  readonly namespace: string;
  readonly uninstallEventId: string;
  readonly uninstalledAt: number;
}

/** A task, or the reason the message is refused (never retried: retrying cannot fix it). */
export type Parsed = { readonly task: Task } | { readonly invalid: string };

/** EventBridge's `time`: ISO 8601 in UTC, whole seconds (fractions accepted). */
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** EventBridge ids are UUIDs; anything up to this length is accepted. */
const MAX_EVENT_ID_LENGTH = 128;

/** Parses an SQS message body: an EventBridge event or a second sweep, nothing else. */
export function parseQueueMessage(body: string): Parsed {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return { invalid: 'the message body is not JSON' };
  }
  if (!isObject(message)) return { invalid: `expected a JSON object, received ${kindOf(message)}` };
  if ('detail-type' in message) return parseEventBridgeEvent(message);
  if (message.type === SWEEP) return parseSweep(message);
  return {
    invalid: `a queue message needs an event type ("detail-type" ${UNINSTALLED} or ${INSTALLED}, or "type" ${SWEEP}), received ${describe(message['detail-type'] ?? message.type)}`,
  };
}

/**
 * Parses a direct invocation: `{ namespace }` alone is an operator's purge; an EventBridge event
 * is handled as if it came from the queue (for replaying one by hand).
 */
export function parseDirectInvocation(event: unknown): Parsed {
  if (!isObject(event)) return { invalid: `expected a JSON object, received ${kindOf(event)}` };
  if ('detail-type' in event) return parseEventBridgeEvent(event);
  const extra = Object.keys(event).filter((field) => field !== 'namespace');
  if (extra.length > 0) {
    return {
      invalid: `a direct invocation is { "namespace": "..." } or an EventBridge event, received the fields ${describe(extra.join(', '))}`,
    };
  }
  const namespace = checkedNamespace(event.namespace);
  return typeof namespace === 'string'
    ? { task: { kind: 'purge', namespace } }
    : { invalid: namespace.invalid };
}

function parseEventBridgeEvent(event: Record<string, unknown>): Parsed {
  const type = event['detail-type'];
  if (type !== UNINSTALLED && type !== INSTALLED) {
    return { invalid: `unknown event type ${describe(type)}` };
  }
  const { id, time } = event;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) {
    return {
      invalid: `a ${type} event needs its EventBridge "id" (1 to ${MAX_EVENT_ID_LENGTH} characters), received ${describe(id)}`,
    };
  }
  const timeMs = typeof time === 'string' && EVENT_TIME.test(time) ? Date.parse(time) : Number.NaN;
  if (!Number.isSafeInteger(timeMs)) {
    return {
      invalid: `a ${type} event needs its EventBridge "time" (ISO 8601 UTC, like 2026-01-31T12:00:00Z), received ${describe(time)}`,
    };
  }
  const detail = isObject(event.detail) ? event.detail : {};
  const namespace = checkedNamespace(detail.namespace);
  if (typeof namespace !== 'string') return { invalid: namespace.invalid };
  const lifecycleEvent = { id, time: timeMs };
  return {
    task:
      type === UNINSTALLED
        ? { kind: 'uninstall', namespace, event: lifecycleEvent }
        : { kind: 'install', namespace, event: lifecycleEvent },
  };
}

function parseSweep(message: Record<string, unknown>): Parsed {
  const { uninstallEventId, uninstalledAt } = message;
  if (typeof uninstallEventId !== 'string' || uninstallEventId.length === 0) {
    return { invalid: `a ${SWEEP} needs uninstallEventId, received ${describe(uninstallEventId)}` };
  }
  if (!Number.isSafeInteger(uninstalledAt) || (uninstalledAt as number) < 0) {
    return {
      invalid: `a ${SWEEP} needs uninstalledAt in epoch ms, received ${describe(uninstalledAt)}`,
    };
  }
  const namespace = checkedNamespace(message.namespace);
  if (typeof namespace !== 'string') return { invalid: namespace.invalid };
  return {
    task: {
      kind: 'sweep',
      namespace,
      uninstall: { id: uninstallEventId, time: uninstalledAt as number },
    },
  };
}

export function sweepMessage(namespace: string, uninstall: LifecycleEvent): SweepMessage {
  return {
    type: SWEEP,
    namespace,
    uninstallEventId: uninstall.id,
    uninstalledAt: uninstall.time,
  };
}

/** An invalid namespace is refused, never purged as a prefix of others. */
function checkedNamespace(namespace: unknown): string | { invalid: string } {
  try {
    checkNamespace(namespace);
    return namespace;
  } catch (error) {
    return { invalid: (error as Error).message };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** What was received, short enough for a log line. */
function describe(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value).slice(0, 80);
}
