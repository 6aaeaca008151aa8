/**
 * The tasks of the uninstall pipeline, with their AWS clients injected.
 *
 * Every delete is "the secrets last written before a cutoff", conditioned per item, so the
 * order in which SQS delivers events does not matter (README, "Uninstall"):
 *
 * - uninstall (event time t): move the lifecycle record's uninstall time forward, delete what
 *   was written before t, then send the second sweep, due at t + sweep delay.
 * - install (event time i): move the record's install time forward. Nothing is deleted.
 * - sweep of the uninstall at t: once due, delete what was written before t + sweep delay (the
 *   late writes of invocations that were running at uninstall), or before the install time when
 *   the record holds an install of a later second than t: a reinstall's writes are never the
 *   sweep's. An install in the same second as the uninstall (EventBridge's `time` has whole
 *   seconds) is taken for the installation being uninstalled, so that an installation
 *   installed and uninstalled within one second still loses its secrets.
 *
 * Times are effective times (events.ts): the earlier of the event's `time` and SQS's
 * `SentTimestamp`, within the times the pipeline trusts; a sweep's due time is therefore at most
 * the sweep delay plus 5 minutes away, so a sweep is sent back at most twice, never for ever.
 * - purge (an operator's direct invocation): delete what was written before now.
 *
 * An unfinished purge reports `complete: false`, so that SQS delivers the message again.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  advanceLifecycle,
  type LifecycleEvent,
  purgeWrittenBefore,
  readLifecycle,
} from '@secrets-store/core/internal';
import { sweepMessage, type Task } from './events.ts';
import { type Logger, log } from './log.ts';

/** SQS delays a message by at most 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;

export interface CleanupConfig {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient | undefined;
  readonly tableName: string;
  /**
   * The function's own queue: where the second sweep goes, and records not started for lack of
   * time. None: no second sweep, and records not started are failed instead.
   */
  readonly queueUrl: string | undefined;
  /**
   * How long after an uninstall's event time an invocation that started before it may still
   * write: the second sweep deletes what was written in that window.
   * @default 900 (15 minutes, the longest a Lambda invocation runs)
   */
  readonly sweepDelaySeconds: number;
}

export interface TaskReport {
  readonly kind: Task['kind'];
  readonly namespace: string;
  readonly deleted: number;
  /** Secrets older than the cutoff when read, rewritten before their delete: left alone. */
  readonly spared: number;
  readonly complete: boolean;
  /** The cutoff of the deletes (epoch ms), when there were any. */
  readonly writtenBefore?: number;
  /** What was decided, when it is not the obvious. */
  readonly note?: string;
}

export async function runTask(
  task: Task,
  config: CleanupConfig,
  deadline: number,
  logger: Logger = log,
): Promise<TaskReport> {
  const { namespace } = task;
  const purge = async (cutoff: number, note?: string): Promise<TaskReport> => {
    // Never past now: a cutoff in the future (an event time ahead of this clock, a sweep run
    // early with no queue to wait in) must not reach writes not yet made.
    const writtenBefore = Math.min(cutoff, Date.now());
    const result = await purgeWrittenBefore({
      client: config.dynamodb,
      tableName: config.tableName,
      namespace,
      writtenBefore,
      deadline,
    });
    return { kind: task.kind, namespace, ...result, writtenBefore, ...(note && { note }) };
  };

  switch (task.kind) {
    case 'install': {
      const { advanced } = await advanceLifecycle(
        config.dynamodb,
        config.tableName,
        namespace,
        'install',
        task.event,
      );
      return {
        kind: task.kind,
        namespace,
        deleted: 0,
        spared: 0,
        complete: true,
        ...(!advanced && { note: 'not newer than the install already recorded' }),
      };
    }
    case 'uninstall': {
      const { advanced } = await advanceLifecycle(
        config.dynamodb,
        config.tableName,
        namespace,
        'uninstall',
        task.event,
      );
      const report = await purge(
        task.event.time,
        advanced ? undefined : 'not newer than the uninstall already recorded: deleting again',
      );
      // Repeated uninstalls send repeated sweeps: each is harmless, and a redelivery after an
      // unfinished purge must still send one.
      if (report.complete) await sendSweep(namespace, task.event, config, logger);
      return report;
    }
    case 'sweep': {
      const due = task.uninstall.time + config.sweepDelaySeconds * 1000;
      if (Date.now() < due && config.sqs && config.queueUrl) {
        // Early (a record sent back for lack of time, or an uninstall handled before its time):
        // invocations that started before the uninstall may still be writing.
        await sendSweep(namespace, task.uninstall, config, logger);
        return {
          kind: task.kind,
          namespace,
          deleted: 0,
          spared: 0,
          complete: true,
          note: 'not due yet: sent back',
        };
      }
      const record = await readLifecycle(config.dynamodb, config.tableName, namespace);
      const reinstalledAt =
        record.installedAt !== undefined && isLaterSecond(record.installedAt, task.uninstall.time)
          ? record.installedAt
          : undefined;
      return reinstalledAt !== undefined && reinstalledAt < due
        ? purge(reinstalledAt, 'reinstalled: deleting only what was written before the install')
        : purge(due);
    }
    case 'purge':
      return purge(Date.now());
  }
}

/** Whether `time` falls in a later whole second than `than` (EventBridge's precision). */
function isLaterSecond(time: number, than: number): boolean {
  return Math.floor(time / 1000) > Math.floor(than / 1000);
}

/** Sends the second sweep of `uninstall`, delayed until it is due (SQS allows 15 min at most). */
async function sendSweep(
  namespace: string,
  uninstall: LifecycleEvent,
  config: CleanupConfig,
  logger: Logger,
): Promise<void> {
  if (!config.sqs || !config.queueUrl) {
    logger('warn', 'no queue configured: second sweep not sent', { namespace });
    return;
  }
  const due = uninstall.time + config.sweepDelaySeconds * 1000;
  const delaySeconds = Math.min(
    MAX_SQS_DELAY_SECONDS,
    Math.max(0, Math.ceil((due - Date.now()) / 1000)),
  );
  await config.sqs.send(
    new SendMessageCommand({
      QueueUrl: config.queueUrl,
      MessageBody: JSON.stringify(sweepMessage(namespace, uninstall)),
      DelaySeconds: delaySeconds,
    }),
  );
}
