/**
 * The uninstall pipeline end to end through moto: the construct's own event pattern as an
 * EventBridge rule on moto's default bus, targeting a real SQS queue (with the construct's
 * redrive policy to a dead-letter queue), the cleanup handler fed with what the queue delivers
 * (SentTimestamp included), the delayed second sweep sent back to that queue and delivered by it.
 */
import { randomUUID } from 'node:crypto';
import {
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretsStoreBackend } from '../../infra/lib/index.ts';
import { MAX_RECEIVE_COUNT } from '../../infra/lib/secrets-store-backend.ts';
import type { CleanupConfig } from '../../packages/uninstall-handler/src/cleanup.ts';
import { FullBatchFailureError, handle } from '../../packages/uninstall-handler/src/handler.ts';
import { newApp } from '../support/cdkApp.ts';
import { newStore, rawClient, tableName } from '../support/integration.ts';
import { eventsClient, sqsClient } from './support/clients.ts';

/** Seconds between an uninstall and its second sweep: the test waits for the real queue; the late write lands well inside them. */
const SWEEP_DELAY_SECONDS = 8;

let sqs: SQSClient;
let events: EventBridgeClient;
let template: Template;

beforeAll(() => {
  sqs = sqsClient();
  events = eventsClient();
  const stack = new Stack(newApp(), 'Moto');
  new SecretsStoreBackend(stack, 'Secrets');
  template = Template.fromStack(stack);
});

/** A queue with the construct's redrive policy, and the construct's rule (its own event pattern) sending to it. */
async function newPipeline(source: string) {
  const name = `uninstall-${randomUUID()}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = await queueArn(dlq.QueueUrl as string);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl as string;
  const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
  // The construct's pattern, with this test's source so that parallel pipelines never share events.
  const pattern = {
    ...(rule?.Properties.EventPattern as Record<string, unknown>),
    source: [source],
  };
  await events.send(
    new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: name,
      Targets: [{ Id: 'queue', Arn: await queueArn(queueUrl) }],
    }),
  );
  return { queueUrl, dlqUrl: dlq.QueueUrl as string, pattern };
}

async function queueArn(queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}

async function receive(queueUrl: string, waitSeconds = 1, visibility?: number): Promise<Message[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['SentTimestamp'],
      ...(visibility !== undefined && { VisibilityTimeout: visibility }),
    }),
  );
  return Messages ?? [];
}

function sqsEvent(messages: readonly Message[]): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: { SentTimestamp: message.Attributes?.SentTimestamp },
    })),
  } as unknown as SQSEvent;
}

/** What Lambda's SQS poller does: hand a batch to the handler, delete what did not fail. */
async function poll(queueUrl: string, config: CleanupConfig, messages: readonly Message[]) {
  const response = (await handle(
    sqsEvent(messages),
    { getRemainingTimeInMillis: () => 60_000 },
    config,
    () => {},
  )) as SQSBatchResponse;
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const message of messages) {
    if (!failed.has(message.MessageId as string)) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  return response;
}

async function putEvent(source: string, detailType: string, detail: unknown) {
  const { FailedEntryCount } = await events.send(
    new PutEventsCommand({
      Entries: [{ Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }],
    }),
  );
  expect(FailedEntryCount).toBe(0);
}

describe('the uninstall pipeline through moto', () => {
  it('an AppUninstalled reaches the handler through the rule and the queue; the delayed sweep deletes the late write', async () => {
    const source = `secrets-store.${randomUUID()}`;
    const { queueUrl } = await newPipeline(source);
    const config: CleanupConfig = {
      dynamodb: rawClient,
      sqs,
      tableName,
      queueUrl,
      sweepDelaySeconds: SWEEP_DELAY_SECONDS,
    };
    const store = newStore();
    const neighbour = newStore();
    await store.put('authToken', { token: 'first' });
    await neighbour.put('authToken', { token: 'neighbour' });
    // EventBridge's time has whole seconds: the uninstall goes out in a later second than the
    // writes, so that its first purge (before its time) takes them (a write within the event's
    // own second waits for the sweep).
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 1));

    // Not routed by the rule: another event type, no namespace.
    await putEvent(source, 'AppUpdated', { namespace: store.namespace });
    await putEvent(source, 'AppUninstalled', { other: store.namespace });
    await putEvent(source, 'AppUninstalled', { namespace: store.namespace });
    // An invocation still running at uninstall writes after the event (EventBridge's time has
    // whole seconds: this write is in the event's second or later, and before the sweep is due).
    await store.put('late', { from: 'first installation' });

    const delivered = await receive(queueUrl);
    expect(delivered.map((message) => JSON.parse(message.Body as string)['detail-type'])).toEqual([
      'AppUninstalled',
    ]);
    expect(Number(delivered[0]?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    await expect(poll(queueUrl, config, delivered)).resolves.toEqual({ batchItemFailures: [] });
    expect(await keysOf(store)).toEqual(['late']);

    // The second sweep comes back through the queue when its delay is over.
    let sweep: Message[] = [];
    for (let attempt = 0; attempt < 60 && sweep.length === 0; attempt++) {
      sweep = await receive(queueUrl, 1);
    }
    expect(sweep.map((message) => JSON.parse(message.Body as string).type)).toEqual([
      'SecondSweep',
    ]);
    await expect(poll(queueUrl, config, sweep)).resolves.toEqual({ batchItemFailures: [] });
    expect(await keysOf(store)).toEqual([]);
    expect(await keysOf(neighbour)).toEqual(['authToken']);
    expect(await receive(queueUrl, 0)).toEqual([]);
  });

  it("a record that fails every time fails its invocation (errorAlarm) and reaches the dead-letter queue after the construct's receives (deadLetterAlarm)", async () => {
    const source = `secrets-store.${randomUUID()}`;
    const { queueUrl, dlqUrl } = await newPipeline(source);
    // A deploy that breaks every record: the table is not there (as AccessDenied would be).
    const broken: CleanupConfig = {
      dynamodb: rawClient,
      sqs,
      tableName: `missing-${randomUUID()}`,
      queueUrl,
      sweepDelaySeconds: SWEEP_DELAY_SECONDS,
    };
    await putEvent(source, 'AppUninstalled', { namespace: `app:${randomUUID()}` });
    for (let receiveCount = 1; receiveCount <= MAX_RECEIVE_COUNT; receiveCount++) {
      const messages = await receive(queueUrl, 1, 0);
      expect(messages).toHaveLength(1);
      // Each invocation fails as a whole: a Lambda Errors datapoint, what errorAlarm counts.
      await expect(poll(queueUrl, broken, messages)).rejects.toBeInstanceOf(FullBatchFailureError);
    }
    expect(await receive(queueUrl, 0, 0)).toEqual([]);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    // What deadLetterAlarm watches (visible messages > 0), and errorAlarm (Errors > 0, 5 min).
    expect(Attributes?.ApproximateNumberOfMessages).toBe('1');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

async function keysOf(store: { keys(): AsyncIterable<string> }): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys()) keys.push(key);
  return keys.sort();
}
