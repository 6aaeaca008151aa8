/**
 * The three tasks of the uninstall pipeline, with their AWS clients injected.
 *
 * - uninstall: write the marker, purge the namespace before the deadline, then schedule the
 *   second sweep. An unfinished purge reports `complete: false` so that SQS redelivers it.
 * - install: remove the marker, so that a pending second sweep leaves the new secrets alone.
 * - sweep (15 minutes later, when every invocation that started before the uninstall has
 *   ended): if the marker is still there, purge again (late writes), then remove the marker.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { purgeNamespace } from '@secrets-store/core';
import { SWEEP, type Task } from './events.ts';
import { type Logger, log } from './log.ts';
import { hasUninstallMarker, removeUninstallMarker, writeUninstallMarker } from './marker.ts';

export interface CleanupConfig {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient | undefined;
  readonly tableName: string;
  /** Where the second sweep is sent (the function's own queue); none: no second sweep. */
  readonly sweepQueueUrl: string | undefined;
  /** @default 900 (15 minutes, the longest an SQS delay and a Lambda invocation can be) */
  readonly sweepDelaySeconds: number;
}

export interface TaskReport {
  readonly kind: Task['kind'];
  readonly namespace: string;
  readonly deleted: number;
  readonly complete: boolean;
  readonly skipped?: string;
}

export async function runTask(
  task: Task,
  config: CleanupConfig,
  deadline: number,
  logger: Logger = log,
): Promise<TaskReport> {
  const target = {
    client: config.dynamodb,
    tableName: config.tableName,
    namespace: task.namespace,
  };
  const purge = () =>
    purgeNamespace({
      client: config.dynamodb,
      tableName: config.tableName,
      namespace: task.namespace,
      deadline,
    });

  switch (task.kind) {
    case 'install': {
      await removeUninstallMarker(target);
      return { ...task, deleted: 0, complete: true };
    }
    case 'uninstall': {
      await writeUninstallMarker(target, Date.now());
      const result = await purge();
      if (result.complete) await scheduleSweep(task.namespace, config, logger);
      return { ...task, ...result };
    }
    case 'sweep': {
      if (!(await hasUninstallMarker(target))) {
        return { ...task, deleted: 0, complete: true, skipped: 'reinstalled or already swept' };
      }
      const result = await purge();
      if (result.complete) await removeUninstallMarker(target);
      return { ...task, ...result };
    }
  }
}

async function scheduleSweep(
  namespace: string,
  config: CleanupConfig,
  logger: Logger,
): Promise<void> {
  if (!config.sqs || !config.sweepQueueUrl) {
    logger('warn', 'no sweep queue configured: second sweep not scheduled', { namespace });
    return;
  }
  await config.sqs.send(
    new SendMessageCommand({
      QueueUrl: config.sweepQueueUrl,
      MessageBody: JSON.stringify({ type: SWEEP, namespace }),
      DelaySeconds: config.sweepDelaySeconds,
    }),
  );
}
