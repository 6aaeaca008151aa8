/**
 * The cleanup Lambda. Triggered by the uninstall queue (SQS, partial batch responses), or
 * invoked directly with `{ "namespace": "..." }`.
 *
 * Environment: SECRETS_STORE_TABLE (required), SWEEP_QUEUE_URL, SWEEP_DELAY_SECONDS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CleanupConfig, runTask, type TaskReport } from './cleanup.ts';

export type { CleanupConfig, TaskReport };

import { parseBody, parseTask } from './events.ts';
import { type Logger, log } from './log.ts';

/** Time kept back from the invocation's remaining time: stop starting batches before it ends. */
export const SAFETY_MARGIN_MS = 10_000;

let cachedConfig: CleanupConfig | undefined;

export function configFromEnvironment(environment = process.env): CleanupConfig {
  const tableName = environment.SECRETS_STORE_TABLE;
  if (!tableName) throw new Error('the cleanup function needs SECRETS_STORE_TABLE');
  const sweepQueueUrl = environment.SWEEP_QUEUE_URL || undefined;
  return {
    dynamodb: new DynamoDBClient({}),
    sqs: sweepQueueUrl ? new SQSClient({}) : undefined,
    tableName,
    sweepQueueUrl,
    sweepDelaySeconds: Number(environment.SWEEP_DELAY_SECONDS ?? 900),
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
    const parsed = parseTask(event);
    if ('invalid' in parsed) {
      logger('error', 'invalid direct invocation', { reason: parsed.invalid });
      throw new Error(`invalid invocation: ${parsed.invalid}`);
    }
    const report = await runTask(parsed.task, config, deadline, logger);
    logger('info', 'task done', { ...report });
    return report;
  }

  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const messageId = record.messageId;
    if (Date.now() >= deadline) {
      batchItemFailures.push({ itemIdentifier: messageId });
      continue;
    }
    const parsed = parseBody(record.body);
    if ('invalid' in parsed) {
      // Retrying cannot make a malformed message valid: report it and drop it.
      logger('error', 'message dropped', { messageId, reason: parsed.invalid });
      continue;
    }
    try {
      const report = await runTask(parsed.task, config, deadline, logger);
      logger(
        report.complete ? 'info' : 'warn',
        report.complete ? 'task done' : 'task unfinished, will be retried',
        {
          messageId,
          ...report,
        },
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
    }
  }
  return { batchItemFailures };
}

/** The Lambda entry point. */
export async function handler(
  event: SQSEvent | { namespace?: unknown },
  context: Context,
): Promise<SQSBatchResponse | TaskReport> {
  cachedConfig ??= configFromEnvironment();
  return handle(event, context, cachedConfig);
}
