/**
 * The cleanup Lambda. Triggered by the uninstall queue (SQS, partial batch responses), or
 * invoked directly by an operator with `{ "namespace": "..." }`.
 *
 * Environment: the table (core's ENVIRONMENT_VARIABLES.tableName, required), QUEUE_URL (its
 * own queue), SWEEP_DELAY_SECONDS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ENVIRONMENT_VARIABLES, withDefaultTimeouts } from '@secrets-store/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type CleanupConfig, runTask, type TaskReport } from './cleanup.ts';
import { FullBatchFailureError } from './errors.ts';
import { parseDirectInvocation, parseQueueMessage } from './events.ts';
import { type Logger, log } from './log.ts';

export type { CleanupConfig, TaskReport };
export { FullBatchFailureError };

/** Time kept back from the invocation's remaining time: stop starting work before it ends. */
export const SAFETY_MARGIN_MS = 10_000;

let cachedConfig: CleanupConfig | undefined;

export function configFromEnvironment(environment = process.env): CleanupConfig {
  const tableName = environment[ENVIRONMENT_VARIABLES.tableName];
  if (!tableName) {
    throw new Error(`the cleanup function needs ${ENVIRONMENT_VARIABLES.tableName}`);
  }
  const queueUrl = environment.QUEUE_URL || undefined;
  const sweepDelaySeconds = Number(environment.SWEEP_DELAY_SECONDS ?? 900);
  if (!Number.isInteger(sweepDelaySeconds) || sweepDelaySeconds < 0) {
    throw new Error(
      `SWEEP_DELAY_SECONDS must be a whole number of seconds, received ${JSON.stringify(environment.SWEEP_DELAY_SECONDS)}`,
    );
  }
  return {
    // Finite timeouts that throw, as the store's own clients have: a request that never
    // answers fails its message (SQS redelivers it) instead of holding the invocation.
    dynamodb: new DynamoDBClient(withDefaultTimeouts({})),
    sqs: queueUrl ? new SQSClient(withDefaultTimeouts({})) : undefined,
    tableName,
    queueUrl,
    sweepDelaySeconds,
  };
}

function isSqsEvent(event: unknown): event is SQSEvent {
  return Array.isArray((event as SQSEvent | undefined)?.Records);
}

/** Handles one SQS batch (or one direct invocation) with the given configuration. */
export async function handle(
  event: SQSEvent | Record<string, unknown>,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  config: CleanupConfig,
  logger: Logger = log,
): Promise<SQSBatchResponse | TaskReport> {
  const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);

  if (!isSqsEvent(event)) {
    const parsed = parseDirectInvocation(event, { now: Date.now() });
    if ('invalid' in parsed) {
      logger('error', 'invalid direct invocation', { reason: parsed.invalid });
      throw new Error(`invalid invocation: ${parsed.invalid}`);
    }
    const report = await runTask(parsed.task, config, deadline, logger);
    logger(report.complete ? 'info' : 'warn', 'task done', { ...report });
    return report;
  }

  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  const notStarted: SQSRecord[] = [];
  const errors: unknown[] = [];
  for (const record of event.Records) {
    const messageId = record.messageId;
    if (Date.now() >= deadline) {
      notStarted.push(record);
      continue;
    }
    const parsed = parseQueueMessage(record.body, {
      now: Date.now(),
      sentTimestamp: sentTimestampOf(record),
    });
    if ('invalid' in parsed) {
      // Refused, never guessed at: retrying cannot make it valid, so it is dropped.
      logger('error', 'message refused', { messageId, reason: parsed.invalid });
      continue;
    }
    if (parsed.notice !== undefined) {
      logger('warn', 'message time', { messageId, reason: parsed.notice });
    }
    try {
      const report = await runTask(parsed.task, config, deadline, logger);
      logger(
        report.complete ? 'info' : 'warn',
        report.complete ? 'task done' : 'task unfinished, will be retried',
        { messageId, ...report },
      );
      if (!report.complete) batchItemFailures.push({ itemIdentifier: messageId });
    } catch (error) {
      logger('error', 'task failed, will be retried', {
        messageId,
        namespace: parsed.task.namespace,
        kind: parsed.task.kind,
        error: error instanceof Error ? `${error.name}: ${error.message}` : typeof error,
      });
      batchItemFailures.push({ itemIdentifier: messageId });
      errors.push(error);
    }
  }
  // Every record failed with an error: the invocation fails, so the error alarm sees it. Records
  // left unfinished or not started for lack of time are no errors, and never make it fail.
  if (errors.length > 0 && errors.length === event.Records.length) {
    throw new FullBatchFailureError(errors);
  }
  const unsent = await sendBack(notStarted, config, logger);
  batchItemFailures.push(...unsent.map((record) => ({ itemIdentifier: record.messageId })));
  return { batchItemFailures };
}

/** SQS's `SentTimestamp` of a record as delivered; events.ts decides whether it is usable. */
function sentTimestampOf(record: SQSRecord): string | undefined {
  const value: unknown = record.attributes?.SentTimestamp;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Records not started for lack of time go back to the queue as new messages and are reported
 * done, so that their receive count (which sends a message to the dead-letter queue after 5)
 * counts only attempts that ran. Returns the records that could not be sent back: those are
 * failed the ordinary way. A copy sent whose original is delivered again is a duplicate, and
 * duplicates are harmless.
 */
async function sendBack(
  records: readonly SQSRecord[],
  config: CleanupConfig,
  logger: Logger,
): Promise<SQSRecord[]> {
  if (records.length === 0) return [];
  if (!config.sqs || !config.queueUrl) return [...records];
  const unsent: SQSRecord[] = [];
  // SendMessageBatch takes at most 10 messages.
  for (let start = 0; start < records.length; start += 10) {
    const chunk = records.slice(start, start + 10);
    try {
      const response = await config.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: config.queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), MessageBody: record.body })),
        }),
      );
      for (const failed of response.Failed ?? [])
        unsent.push(chunk[Number(failed.Id)] as SQSRecord);
    } catch (error) {
      logger('error', 'could not send records back', {
        error: error instanceof Error ? error.name : typeof error,
      });
      unsent.push(...chunk);
    }
  }
  for (const record of records) {
    if (!unsent.includes(record)) {
      logger('info', 'not started for lack of time: sent back', { messageId: record.messageId });
    }
  }
  return unsent;
}

/** The Lambda entry point. */
export async function handler(
  event: SQSEvent | Record<string, unknown>,
  context: Context,
): Promise<SQSBatchResponse | TaskReport> {
  cachedConfig ??= configFromEnvironment();
  return handle(event, context, cachedConfig);
}
