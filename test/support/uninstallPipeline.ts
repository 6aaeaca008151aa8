/**
 * The uninstall pipeline as the integration tests drive it: the real cleanup handler on the
 * integration table, an SQS client whose sends are recorded (the second sweeps), EventBridge
 * events as the queue delivers them, and the writers' clock under the test's control.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { CleanupConfig } from '../../packages/uninstall-handler/src/cleanup.ts';
import { handle } from '../../packages/uninstall-handler/src/handler.ts';
import { rawClient, tableName } from './integration.ts';

export const SWEEP_DELAY_SECONDS = 900;

/** A queue of its own per pipeline, so that tests running side by side never share sweeps. */
export function newPipeline() {
  const sqsClient = new SQSClient({ region: 'eu-west-1' });
  const sqs = mockClient(sqsClient);
  sqs.on(SendMessageCommand).resolves({});
  const config: CleanupConfig = {
    dynamodb: rawClient,
    sqs: sqsClient,
    tableName,
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/uninstall',
    sweepDelaySeconds: SWEEP_DELAY_SECONDS,
  };
  return {
    config,
    /** The messages the handler sent itself, in order: body and delay. */
    sent: () =>
      sqs.commandCalls(SendMessageCommand).map((call) => ({
        body: call.args[0].input.MessageBody as string,
        delaySeconds: call.args[0].input.DelaySeconds ?? 0,
      })),
    /**
     * Delivers one message body as a batch of one; throws unless the handler reports it done.
     * SQS stamps `SentTimestamp` when it receives a message: by default the clock now, which is
     * never before the event entered the queue.
     */
    async deliver(body: string, sentTimestamp = Date.now()): Promise<void> {
      const event = {
        Records: [{ messageId: 'm0', body, attributes: { SentTimestamp: String(sentTimestamp) } }],
      } as unknown as SQSEvent;
      const response = (await handle(
        event,
        { getRemainingTimeInMillis: () => 60_000 },
        config,
        () => {},
      )) as SQSBatchResponse;
      if (response.batchItemFailures.length > 0) throw new Error(`the handler failed ${body}`);
    },
  };
}

/** An EventBridge event as SQS delivers it (the body of the message). */
export function eventBody(
  type: 'AppUninstalled' | 'AppInstalled',
  namespace: string,
  id: string,
  timeMs: number,
): string {
  return JSON.stringify({
    version: '0',
    id,
    'detail-type': type,
    source: 'secrets-store',
    account: '111122223333',
    time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'eu-west-1',
    resources: [],
    detail: { namespace },
  });
}

/** Sets the clock of every writer and of the handler (Date only: the SDK's timers stay real). */
export function setClock(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}
