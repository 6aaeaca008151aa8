import { BatchWriteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CleanupConfig } from '../../packages/uninstall-handler/src/cleanup.ts';
import { handle, SAFETY_MARGIN_MS } from '../../packages/uninstall-handler/src/handler.ts';

const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const config: CleanupConfig = {
  dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
  sqs: new SQSClient({ region: 'eu-west-1' }),
  tableName: 'secrets',
  sweepQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/uninstall',
  sweepDelaySeconds: 900,
};
const plenty = { getRemainingTimeInMillis: () => 60_000 };
let logs: Record<string, unknown>[];

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })),
  } as SQSEvent;
}

const uninstalled = (namespace: unknown) => ({
  'detail-type': 'AppUninstalled',
  source: 'secrets-store',
  detail: { namespace },
});

beforeEach(() => {
  logs = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => {
    logs.push(JSON.parse(line));
  });
  dynamodb.on(BatchWriteItemCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
});

afterEach(() => {
  dynamodb.reset();
  sqs.reset();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('the cleanup handler', () => {
  it('on AppUninstalled writes the marker, purges, and schedules the second sweep', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'a' } }, { sk: { S: 'b' } }] });
    const response = await handle(sqsEvent(uninstalled('app:1')), plenty, config);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dynamodb).toHaveReceivedNthCommandWith(BatchWriteItemCommand, 1, {
      RequestItems: {
        secrets: [
          {
            PutRequest: {
              Item: expect.objectContaining({ pk: { S: 'app:1' }, sk: { S: '\u0000uninstalled' } }),
            },
          },
        ],
      },
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: config.sweepQueueUrl,
      DelaySeconds: 900,
      MessageBody: JSON.stringify({ type: 'SecondSweep', namespace: 'app:1' }),
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'task done',
        kind: 'uninstall',
        namespace: 'app:1',
        deleted: 2,
      }),
    );
  });

  it('retries UnprocessedItems for several rounds within one invocation', async () => {
    vi.useFakeTimers();
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'a' } }] });
    const left = {
      UnprocessedItems: {
        secrets: [{ DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: 'a' } } } }],
      },
    };
    dynamodb
      .on(BatchWriteItemCommand)
      .resolvesOnce({}) // the marker
      .resolvesOnce(left)
      .resolvesOnce(left)
      .resolvesOnce(left)
      .resolves({});
    const done = handle(sqsEvent(uninstalled('app:1')), plenty, config);
    await vi.runAllTimersAsync();
    await expect(done).resolves.toEqual({ batchItemFailures: [] });
    expect(dynamodb).toHaveReceivedCommandTimes(BatchWriteItemCommand, 5);
  });

  it('fails the message (SQS redelivers it) when throttling outlasts the retries', async () => {
    dynamodb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const response = await handle(sqsEvent(uninstalled('app:1')), plenty, config);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'task failed, will be retried' }),
    );
  });

  it('fails the message when the deadline stops the purge, and the records not started', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    dynamodb.on(QueryCommand).resolves({
      Items: Array.from({ length: 100 }, (_, index) => ({ sk: { S: `k${index}` } })),
    });
    dynamodb.on(BatchWriteItemCommand).callsFake(() => {
      vi.setSystemTime(Date.now() + 2000);
      return {};
    });
    const shortOnTime = { getRemainingTimeInMillis: () => SAFETY_MARGIN_MS + 5000 };
    const response = await handle(
      sqsEvent(uninstalled('app:1'), uninstalled('app:2')),
      shortOnTime,
      config,
    );
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }],
    });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'task unfinished, will be retried', complete: false }),
    );
  });

  it.each([
    ['a namespace with a wildcard', uninstalled('app*')],
    ['an empty namespace', uninstalled('')],
    ['no namespace', { 'detail-type': 'AppUninstalled', detail: {} }],
    ['an unknown event type', { 'detail-type': 'AppExploded', detail: { namespace: 'app:1' } }],
    ['a body that is not JSON', 'not json{'],
  ])('drops %s with an error log and purges nothing', async (_name, body) => {
    const response = await handle(sqsEvent(body), plenty, config);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'message dropped' }),
    );
  });

  it('on AppInstalled removes the marker only', async () => {
    await handle(
      sqsEvent({ 'detail-type': 'AppInstalled', detail: { namespace: 'app:1' } }),
      plenty,
      config,
    );
    expect(dynamodb).toHaveReceivedCommandExactlyOnceWith(BatchWriteItemCommand, {
      RequestItems: {
        secrets: [
          { DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: '\u0000uninstalled' } } } },
        ],
      },
    });
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('the second sweep purges and removes the marker while it is there', async () => {
    dynamodb
      .on(QueryCommand, { KeyConditionExpression: 'pk = :namespace AND sk = :marker' })
      .resolves({ Items: [{ sk: { S: '\u0000uninstalled' } }] })
      .on(QueryCommand, { KeyConditionExpression: 'pk = :namespace' })
      .resolves({ Items: [{ sk: { S: '\u0000uninstalled' } }, { sk: { S: 'late' } }] });
    await handle(sqsEvent({ type: 'SecondSweep', namespace: 'app:1' }), plenty, config);
    const writes = dynamodb.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input);
    expect(writes).toEqual([
      {
        RequestItems: {
          secrets: [{ DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: 'late' } } } }],
        },
      },
      {
        RequestItems: {
          secrets: [
            { DeleteRequest: { Key: { pk: { S: 'app:1' }, sk: { S: '\u0000uninstalled' } } } },
          ],
        },
      },
    ]);
  });

  it('the second sweep does nothing once a reinstall removed the marker', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    await handle(sqsEvent({ type: 'SecondSweep', namespace: 'app:1' }), plenty, config);
    expect(dynamodb).not.toHaveReceivedCommand(BatchWriteItemCommand);
    expect(logs).toContainEqual(
      expect.objectContaining({ skipped: 'reinstalled or already swept' }),
    );
  });

  it('can be invoked directly with { namespace } and reports the count', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'a' } }] });
    await expect(handle({ namespace: 'app:1' }, plenty, config)).resolves.toEqual({
      kind: 'uninstall',
      namespace: 'app:1',
      deleted: 1,
      complete: true,
    });
    await expect(handle({ namespace: 'app 1' }, plenty, config)).rejects.toThrow(/namespace/);
  });

  it('logs JSON lines with counts, never key names', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'secret-key-name' } }] });
    await handle(sqsEvent(uninstalled('app:1')), plenty, config);
    expect(JSON.stringify(logs)).not.toContain('secret-key-name');
  });
});
