/**
 * What the cleanup function is asked to do. From the queue: an EventBridge event
 * (`AppUninstalled`, `AppInstalled`, with its `id` and `time`) or the delayed second sweep it
 * sends itself; anything else is refused, never taken for an uninstall. From a direct
 * invocation by an operator: `{ "namespace": "..." }`, a purge (or an EventBridge event).
 */
import { checkNamespace, INSTALLED_EVENT, UNINSTALLED_EVENT } from '@secrets-store/core';
import type { LifecycleEvent } from '@secrets-store/core/internal';

export type Task =
  | { readonly kind: 'uninstall'; readonly namespace: string; readonly event: LifecycleEvent }
  | { readonly kind: 'install'; readonly namespace: string; readonly event: LifecycleEvent }
  /** The second sweep of the uninstall `uninstall`. */
  | { readonly kind: 'sweep'; readonly namespace: string; readonly uninstall: LifecycleEvent }
  /** An operator's direct invocation: delete every secret written before now. */
  | { readonly kind: 'purge'; readonly namespace: string };

export const UNINSTALLED = UNINSTALLED_EVENT;
export const INSTALLED = INSTALLED_EVENT;
export const SWEEP = 'SecondSweep';

/** The body of the second sweep's message. */
export interface SweepMessage {
  readonly type: typeof SWEEP;
  readonly namespace: string;
  readonly uninstallEventId: string;
  readonly uninstalledAt: number;
}

/**
 * A task (with a `notice` for the log when the message's SentTimestamp was unusable and the
 * event's own time was taken), or the reason the message is refused (never retried: retrying
 * cannot fix it).
 */
export type Parsed =
  | { readonly task: Task; readonly notice?: string }
  | { readonly invalid: string };

/**
 * No event of the pipeline is dated before 2020-01-01T00:00:00Z: an older `time` (year 0, an
 * epoch of 0) is a producer's mistake, refused rather than taken for a cutoff.
 */
export const EARLIEST_EVENT_TIME = Date.UTC(2020, 0, 1);

/**
 * How far past the handler's clock an event may be dated: clocks differ by seconds, not by
 * minutes. A later `time` (an hour ahead, year 9999) is refused: it would stretch the second
 * sweep's window over writes not yet made, or keep a sweep waiting for ever.
 */
export const MAX_EVENT_TIME_AHEAD_MS = 5 * 60 * 1000;

/** How a message reached the handler: the clocks the pipeline owns. */
export interface Received {
  /** The handler's clock (epoch ms). */
  readonly now: number;
  /**
   * SQS's `SentTimestamp` attribute as delivered (epoch ms in decimal digits): when the queue
   * received the message, by SQS's clock. None for a direct invocation.
   */
  readonly sentTimestamp?: string | undefined;
}

/** SQS writes `SentTimestamp` as epoch milliseconds in decimal digits, nothing else. */
const SENT_TIMESTAMP = /^\d{1,16}$/;

/**
 * The time the pipeline decides from: the earlier of the event's own time (which a producer
 * sets at will) and the moment SQS received it, so that no event reaches writes made after it
 * was queued. Only for a `time` {@link refusedTime} accepts. The SentTimestamp is held to the
 * same bounds as `time`: one that is not SQS's digits, or is dated before 2020 or past the
 * handler's clock ("1", "1e3", seconds taken for milliseconds, a 2019 date) would make a cutoff
 * that deletes nothing; then `time` alone decides, and `notice` says why, for the log.
 */
export function effectiveTime(
  time: number,
  received: Received,
): { readonly time: number; readonly notice?: string } {
  const { sentTimestamp } = received;
  if (sentTimestamp === undefined) return { time };
  const sent = SENT_TIMESTAMP.test(sentTimestamp) ? Number(sentTimestamp) : Number.NaN;
  const refused = Number.isSafeInteger(sent)
    ? refusedTime(sent, received)
    : 'it is not epoch milliseconds in digits';
  if (refused !== undefined) {
    return {
      time,
      notice: `SentTimestamp ${describe(sentTimestamp)} is unusable (${refused}): the event's own time decides`,
    };
  }
  return { time: Math.min(time, sent) };
}

/** Why an event time is refused, or undefined when it is within the times the pipeline trusts. */
export function refusedTime(time: number, received: Received): string | undefined {
  if (time < EARLIEST_EVENT_TIME) {
    return `it is dated ${isoTime(time)}, before ${isoTime(EARLIEST_EVENT_TIME)}`;
  }
  if (time > received.now + MAX_EVENT_TIME_AHEAD_MS) {
    return `it is dated ${isoTime(time)}, more than ${MAX_EVENT_TIME_AHEAD_MS / 60_000} minutes past the handler's clock (${isoTime(received.now)})`;
  }
  return undefined;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** EventBridge's `time`: ISO 8601 in UTC, whole seconds (fractions accepted). */
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** EventBridge ids are UUIDs; anything up to this length is accepted. */
const MAX_EVENT_ID_LENGTH = 128;

/** Parses an SQS message body: an EventBridge event or a second sweep, nothing else. */
export function parseQueueMessage(body: string, received: Received = { now: Date.now() }): Parsed {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return { invalid: 'the message body is not JSON' };
  }
  if (!isObject(message)) return { invalid: `expected a JSON object, received ${kindOf(message)}` };
  if ('detail-type' in message) return parseEventBridgeEvent(message, received);
  if (message.type === SWEEP) return parseSweep(message, received);
  return {
    invalid: `a queue message needs an event type ("detail-type" ${UNINSTALLED} or ${INSTALLED}, or "type" ${SWEEP}), received ${describe(message['detail-type'] ?? message.type)}`,
  };
}

/**
 * Parses a direct invocation: `{ namespace }` alone is an operator's purge; an EventBridge event
 * is handled as if it came from the queue (for replaying one by hand).
 */
export function parseDirectInvocation(
  event: unknown,
  received: Received = { now: Date.now() },
): Parsed {
  if (!isObject(event)) return { invalid: `expected a JSON object, received ${kindOf(event)}` };
  if ('detail-type' in event) return parseEventBridgeEvent(event, { now: received.now });
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

function parseEventBridgeEvent(event: Record<string, unknown>, received: Received): Parsed {
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
  const refused = refusedTime(timeMs, received);
  if (refused !== undefined) return { invalid: `a ${type} event refused: ${refused}` };
  const detail = isObject(event.detail) ? event.detail : {};
  const namespace = checkedNamespace(detail.namespace);
  if (typeof namespace !== 'string') return { invalid: namespace.invalid };
  const effective = effectiveTime(timeMs, received);
  const lifecycleEvent = { id, time: effective.time };
  return {
    task:
      type === UNINSTALLED
        ? { kind: 'uninstall', namespace, event: lifecycleEvent }
        : { kind: 'install', namespace, event: lifecycleEvent },
    ...noticeOf(effective),
  };
}

function parseSweep(message: Record<string, unknown>, received: Received): Parsed {
  const { uninstallEventId, uninstalledAt } = message;
  if (typeof uninstallEventId !== 'string' || uninstallEventId.length === 0) {
    return { invalid: `a ${SWEEP} needs uninstallEventId, received ${describe(uninstallEventId)}` };
  }
  if (!Number.isSafeInteger(uninstalledAt) || (uninstalledAt as number) < 0) {
    return {
      invalid: `a ${SWEEP} needs uninstalledAt in epoch ms, received ${describe(uninstalledAt)}`,
    };
  }
  // The handler writes uninstalledAt from an effective time, which never runs ahead; a body
  // that does (forged, or from a clock gone wrong) would re-queue itself until that date.
  const refused = refusedTime(uninstalledAt as number, received);
  if (refused !== undefined) return { invalid: `a ${SWEEP} refused: ${refused}` };
  const namespace = checkedNamespace(message.namespace);
  if (typeof namespace !== 'string') return { invalid: namespace.invalid };
  const effective = effectiveTime(uninstalledAt as number, received);
  return {
    task: {
      kind: 'sweep',
      namespace,
      uninstall: { id: uninstallEventId, time: effective.time },
    },
    ...noticeOf(effective),
  };
}

function noticeOf(effective: { readonly notice?: string }): { readonly notice?: string } {
  return effective.notice === undefined ? {} : { notice: effective.notice };
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
