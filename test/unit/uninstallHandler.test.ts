import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CleanupConfig } from '../../packages/uninstall-handler/src/cleanup.ts';
import {
  configFromEnvironment,
  FullBatchFailureError,
  handle,
  SAFETY_MARGIN_MS,
} from '../../packages/uninstall-handler/src/handler.ts';

const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const config: CleanupConfig = {
  dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
  sqs: new SQSClient({ region: 'eu-west-1' }),
  tableName: 'secrets',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/uninstall',
  sweepDelaySeconds: 900,
};
const plenty = { getRemainingTimeInMillis: () => 60_000 };
/** The event time of the tests, and the function's clock 10 s later. */
const EVENT_TIME = '2026-11-27T10:00:00Z';
const EVENT_MS = Date.parse(EVENT_TIME);
const NOW = EVENT_MS + 10_000;
let logs: Record<string, unknown>[];

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })),
  } as SQSEvent;
}

/** One record as SQS delivers it, stamped by SQS's clock. */
function sqsRecord(body: unknown, sentTimestamp: number | string): SQSEvent {
  const event = sqsEvent(body);
  (event.Records[0] as { attributes: object }).attributes = {
    SentTimestamp: String(sentTimestamp),
  };
  return event;
}

const eventOf = (type: string, namespace: unknown, fields: object = {}) => ({
  version: '0',
  id: 'e-1',
  'detail-type': type,
  source: 'secrets-store',
  time: EVENT_TIME,
  detail: { namespace },
  ...fields,
});
const uninstalled = (namespace: unknown, fields: object = {}) =>
  eventOf('AppUninstalled', namespace, fields);
const sweep = (uninstalledAt: number) => ({
  type: 'SecondSweep',
  namespace: 'app:1',
  uninstallEventId: 'e-1',
  uninstalledAt,
});
const recordKey = { pk: { S: 'app:1' }, sk: { S: '\u0000lifecycle' } };
/** The cutoff each Query asked for. */
const queriedCutoffs = () =>
  dynamodb
    .commandCalls(QueryCommand)
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':cutoff']?.N)
    .filter((cutoff) => cutoff !== undefined)
    .map(Number);

/** A message refused: the batch does not fail, nothing is sent, one error line says so. */
function expectRefused(response: unknown): void {
  expect(response).toEqual({ batchItemFailures: [] });
  expect(dynamodb.calls()).toHaveLength(0);
  expect(sqs.calls()).toHaveLength(0);
  expect(logs).toEqual([
    expect.objectContaining({ level: 'error', message: 'message refused', messageId: 'm0' }),
  ]);
}

/** The handler's Query for app:1's lifecycle record finds it holding `times` (installedAt, ...). */
function lifecycleRecordHolds(times: Record<string, { N: string }>): void {
  dynamodb
    .on(QueryCommand, {
      ExpressionAttributeValues: {
        ':namespace': { S: 'app:1' },
        ':record': { S: '\u0000lifecycle' },
      },
    })
    .resolves({ Items: [{ ...recordKey, ...times }] });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  logs = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => {
    logs.push(JSON.parse(line));
  });
  dynamodb.on(UpdateItemCommand).resolves({ Attributes: {} });
  dynamodb.on(QueryCommand).resolves({ Items: [] });
  dynamodb.on(DeleteItemCommand).resolves({});
  dynamodb.on(TransactWriteItemsCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

afterEach(() => {
  dynamodb.reset();
  sqs.reset();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('AppUninstalled', () => {
  it('moves the record forward, deletes what was written before the event, sends the sweep', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'a' } }, { sk: { S: 'b' } }] });
    const response = await handle(sqsEvent(uninstalled('app:1')), plenty, config);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'secrets',
      Key: recordKey,
      UpdateExpression: 'SET #at = :time, #id = :id',
      ConditionExpression: 'attribute_not_exists(#at) OR #at < :time',
      ExpressionAttributeNames: { '#at': 'uninstalledAt', '#id': 'uninstallEventId' },
      ExpressionAttributeValues: { ':time': { N: String(EVENT_MS) }, ':id': { S: 'e-1' } },
    });
    expect(queriedCutoffs()).toEqual([EVENT_MS]);
    expect(dynamodb).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: config.queueUrl,
      DelaySeconds: 890, // due 900 s after the event, which was 10 s ago
      MessageBody: JSON.stringify(sweep(EVENT_MS)),
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'task done', kind: 'uninstall', deleted: 2 }),
    );
  });

  it('repeated (the record holds it already): deletes again, and notes it', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    lifecycleRecordHolds({ uninstalledAt: { N: String(EVENT_MS) } });
    const response = await handle(sqsEvent(uninstalled('app:1')), plenty, config);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(queriedCutoffs()).toEqual([EVENT_MS]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        note: 'not newer than the uninstall already recorded: deleting again',
      }),
    );
  });

  it('dated ahead of SQS: decides from SentTimestamp, the earlier (record, cutoff, sweep)', async () => {
    const sentTimestamp = NOW - 4_000;
    const ahead = new Date(NOW + 240_000).toISOString().replace('.000Z', 'Z'); // 4 min ahead
    await handle(sqsRecord(uninstalled('app:1', { time: ahead }), sentTimestamp), plenty, config);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: { ':time': { N: String(sentTimestamp) }, ':id': { S: 'e-1' } },
    });
    expect(queriedCutoffs()).toEqual([sentTimestamp]);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      DelaySeconds: 896,
      MessageBody: JSON.stringify(sweep(sentTimestamp)),
    });
  });

  it('dated before SQS received it: the event time stands', async () => {
    await handle(sqsRecord(uninstalled('app:1'), NOW - 1000), plenty, config);
    expect(queriedCutoffs()).toEqual([EVENT_MS]);
  });

  // issue 22, point 5: the earlier of the two times was taken whatever SentTimestamp held, so a
  // bogus one made a cutoff in 1970 that deleted nothing, silently.
  it.each([
    ['"1"', '1'],
    ['"1e3"', '1e3'],
    ['in seconds, not milliseconds', String(Math.floor((NOW - 1000) / 1000))],
    ['a 2019 date', String(Date.UTC(2019, 5, 1))],
    ['an hour past the handler clock', String(NOW + 3_600_000)],
    ['not digits', ' 1764237600000'],
    ['empty', ''],
  ])(
    'a SentTimestamp %s is unusable: the event time decides, and the log says why',
    async (_, sentTimestamp) => {
      await handle(sqsRecord(uninstalled('app:1'), sentTimestamp), plenty, config);
      expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
        ExpressionAttributeValues: { ':time': { N: String(EVENT_MS) }, ':id': { S: 'e-1' } },
      });
      expect(queriedCutoffs()).toEqual([EVENT_MS]);
      expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
        MessageBody: JSON.stringify(sweep(EVENT_MS)),
      });
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          messageId: 'm0',
          reason: expect.stringMatching(
            /^SentTimestamp .* is unusable \(.+\): the event's own time decides$/,
          ),
        }),
      );
    },
  );

  it('a SentTimestamp that is usable gives no notice', async () => {
    await handle(sqsRecord(uninstalled('app:1'), NOW - 1000), plenty, config);
    expect(logs.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a sweep whose SentTimestamp is unusable sweeps from its own uninstall time', async () => {
    const due = EVENT_MS + 900_000;
    vi.setSystemTime(due + 1000);
    await handle(sqsRecord(sweep(EVENT_MS), '1'), plenty, config);
    expect(queriedCutoffs()).toEqual([due]);
  });

  it('neither time sane (a 2019 event, SentTimestamp "1"): refused and logged, nothing deleted', async () => {
    await handle(
      sqsRecord(uninstalled('app:1', { time: '2019-06-01T00:00:00Z' }), '1'),
      plenty,
      config,
    );
    expect(dynamodb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'message refused',
        reason: expect.stringContaining('dated 2019-06-01T00:00:00.000Z, before 2020'),
      }),
    );
  });

  it('fails the message (SQS redelivers it) and sends no sweep when DynamoDB keeps failing', async () => {
    dynamodb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const response = await handle(
      sqsEvent(uninstalled('app:1'), eventOf('AppInstalled', 'app:2')),
      plenty,
      config,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'task failed, will be retried' }),
    );
  });
});

describe('event times the pipeline cannot trust are refused (logged, dropped, not failed)', () => {
  const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

  it.each([
    // issue 16, case 1: an uninstall an hour ahead would stretch the sweep over a reinstall
    ['an AppUninstalled dated an hour ahead', uninstalled('app:1', { time: at(NOW + 3_600_000) })],
    // case 2: an install dated tomorrow would turn reinstall protection off until tomorrow
    [
      'an AppInstalled dated tomorrow',
      eventOf('AppInstalled', 'app:1', { time: at(NOW + 86_400_000) }),
    ],
    // case 4: a sweep that would re-queue itself every 15 minutes for ever
    ['an AppUninstalled dated 9999', uninstalled('app:1', { time: '9999-12-31T23:59:59Z' })],
    ['a SecondSweep of an uninstall dated 9999', sweep(Date.UTC(9999, 11, 31))],
    // case 5: year 0 made the purge throw ConfigurationError, and the message walk to the DLQ
    ['an AppUninstalled dated year 0', uninstalled('app:1', { time: '0000-01-01T00:00:00Z' })],
    [
      'an AppInstalled dated 2019',
      eventOf('AppInstalled', 'app:1', { time: '2019-12-31T23:59:59Z' }),
    ],
    ['a SecondSweep dated 1970', sweep(1000)],
  ])('%s', async (_name, body) => {
    const response = await handle(sqsRecord(body, NOW), plenty, config);
    expectRefused(response);
  });

  it('5 minutes ahead is accepted, a second more is not; the reason names both times', async () => {
    await handle(sqsRecord(uninstalled('app:1', { time: at(NOW + 300_000) }), NOW), plenty, config);
    expect(queriedCutoffs()).toEqual([NOW]);
    logs = [];
    await handle(sqsRecord(uninstalled('app:1', { time: at(NOW + 301_000) }), NOW), plenty, config);
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'message refused',
        reason: `a AppUninstalled event refused: it is dated ${new Date(NOW + 301_000).toISOString()}, more than 5 minutes past the handler's clock (${new Date(NOW).toISOString()})`,
      }),
    ]);
  });

  it('a direct invocation with an event dated 9999 is refused with an error', async () => {
    await expect(
      handle(uninstalled('app:1', { time: '9999-12-31T23:59:59Z' }), plenty, config),
    ).rejects.toThrow(/refused: it is dated 9999-12-31T23:59:59.000Z/);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

describe('a batch whose every record fails (issue 16, case 6)', () => {
  const accessDenied = () =>
    Object.assign(new Error('User is not authorized to perform dynamodb:UpdateItem'), {
      name: 'AccessDeniedException',
    });

  it('fails the invocation (FullBatchFailureError), so the function errors metric and alarm see it', async () => {
    dynamodb.on(UpdateItemCommand).rejects(accessDenied());
    const batch = sqsEvent(uninstalled('app:1'), eventOf('AppInstalled', 'app:2'));
    const error = await handle(batch, plenty, config).catch((caught) => caught);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    expect(error.message).toBe(
      'all 2 records of the batch failed; the first with StorageError: DynamoDB failed the UpdateItem of the lifecycle record of namespace app:1: AccessDeniedException',
    );
    expect(error.recordErrors).toHaveLength(2);
    expect(logs.filter((line) => line.message === 'task failed, will be retried')).toHaveLength(2);
  });

  it('a batch where one record succeeds reports partial failures and does not throw', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(accessDenied())
      .on(UpdateItemCommand, { Key: { pk: { S: 'app:2' }, sk: { S: '\u0000lifecycle' } } })
      .resolves({ Attributes: {} });
    const batch = sqsEvent(uninstalled('app:1'), eventOf('AppInstalled', 'app:2'));
    await expect(handle(batch, plenty, config)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
  });

  it('a batch of refused messages only is no failure', async () => {
    await expect(handle(sqsEvent('not json', '[]'), plenty, config)).resolves.toEqual({
      batchItemFailures: [],
    });
  });
});

describe('AppInstalled', () => {
  it('moves the install time forward and deletes nothing', async () => {
    await handle(sqsEvent(eventOf('AppInstalled', 'app:1')), plenty, config);
    expect(dynamodb).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      Key: recordKey,
      ExpressionAttributeNames: { '#at': 'installedAt', '#id': 'installEventId' },
      ExpressionAttributeValues: { ':time': { N: String(EVENT_MS) }, ':id': { S: 'e-1' } },
    });
    expect(dynamodb).not.toHaveReceivedCommand(DeleteItemCommand);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });
});

describe('the second sweep', () => {
  const due = EVENT_MS + 900_000;

  it('not due yet: sent back with the delay left, touching nothing', async () => {
    vi.setSystemTime(due - 60_000);
    const response = await handle(sqsEvent(sweep(EVENT_MS)), plenty, config);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      DelaySeconds: 60,
      MessageBody: JSON.stringify(sweep(EVENT_MS)),
    });
  });

  it('without a later install: deletes what was written before the uninstall plus the delay', async () => {
    vi.setSystemTime(due + 1000);
    await handle(sqsEvent(sweep(EVENT_MS)), plenty, config);
    expect(queriedCutoffs()).toEqual([due]);
  });

  it('after a reinstall: deletes only what was written before the install', async () => {
    vi.setSystemTime(due + 1000);
    const installedAt = EVENT_MS + 300_000;
    lifecycleRecordHolds({ installedAt: { N: String(installedAt) } });
    await handle(sqsEvent(sweep(EVENT_MS)), plenty, config);
    expect(queriedCutoffs()).toEqual([installedAt]);
  });

  // issue 16, case 3: EventBridge's time has whole seconds; an install in the uninstall's second
  // was taken for a reinstall, and the installation kept its secrets for ever.
  it.each([
    ['the same time', EVENT_MS, due],
    ['later in the same second (from SentTimestamp)', EVENT_MS + 400, due],
    ['the next second', EVENT_MS + 1000, EVENT_MS + 1000],
  ])(
    'an install at %s as the uninstall: the sweep cuts off where it should',
    async (_name, installedAt, cutoff) => {
      vi.setSystemTime(due + 1000);
      lifecycleRecordHolds({ installedAt: { N: String(installedAt) } });
      await handle(sqsEvent(sweep(EVENT_MS)), plenty, config);
      expect(queriedCutoffs()).toEqual([cutoff]);
    },
  );

  it('an install older than the uninstall changes nothing', async () => {
    vi.setSystemTime(due + 1000);
    lifecycleRecordHolds({ installedAt: { N: String(EVENT_MS - 1000) } });
    await handle(sqsEvent(sweep(EVENT_MS)), plenty, config);
    expect(queriedCutoffs()).toEqual([due]);
  });
});

describe('refused messages', () => {
  it.each([
    ['an untyped { namespace } message', { namespace: 'app:1' }],
    ['an unknown event type', eventOf('AppExploded', 'app:1')],
    ['an event without an id', uninstalled('app:1', { id: undefined })],
    ['an event without a time', uninstalled('app:1', { time: undefined })],
    ['an event whose time is not ISO 8601 UTC', uninstalled('app:1', { time: 'yesterday' })],
    ['a namespace with a wildcard', uninstalled('app*')],
    ['an empty namespace', uninstalled('')],
    ['no namespace', { ...uninstalled('app:1'), detail: {} }],
    ['a sweep without its uninstall time', { ...sweep(EVENT_MS), uninstalledAt: undefined }],
    ['a body that is not JSON', 'not json{'],
    ['a JSON array', '[]'],
  ])('%s is logged and dropped; nothing is deleted', async (_name, body) => {
    const response = await handle(sqsEvent(body), plenty, config);
    expectRefused(response);
  });

  it('the reason says what was wrong and what was received', async () => {
    await handle(sqsEvent(uninstalled('app:1', { time: 'yesterday' })), plenty, config);
    expect(logs[0]?.reason).toBe(
      'a AppUninstalled event needs its EventBridge "time" (ISO 8601 UTC, like 2026-01-31T12:00:00Z), received "yesterday"',
    );
  });
});

describe('records not started for lack of time', () => {
  const shortOnTime = { getRemainingTimeInMillis: () => SAFETY_MARGIN_MS + 5000 };
  beforeEach(() => {
    dynamodb.on(QueryCommand).resolves({
      Items: Array.from({ length: 1000 }, (_, index) => ({ sk: { S: `k${index}` } })),
    });
    dynamodb.on(TransactWriteItemsCommand).callsFake(() => {
      vi.setSystemTime(Date.now() + 1000); // each transaction takes a second
      return {};
    });
  });

  it('go back to the queue as new messages and are not failed; the unfinished one is', async () => {
    const batch = sqsEvent(uninstalled('app:1'), uninstalled('app:2'), uninstalled('app:3'));
    const response = await handle(batch, shortOnTime, config);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: config.queueUrl,
      Entries: [
        { Id: '0', MessageBody: batch.Records[1]?.body },
        { Id: '1', MessageBody: batch.Records[2]?.body },
      ],
    });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand); // no sweep: unfinished
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'task unfinished, will be retried', complete: false }),
    );
  });

  it('unfinished for lack of time, every record: no error, the invocation does not fail', async () => {
    const response = await handle(sqsEvent(uninstalled('app:1')), shortOnTime, config);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
  });

  it('one that cannot be sent back is failed the ordinary way', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const batch = sqsEvent(uninstalled('app:1'), uninstalled('app:2'), uninstalled('app:3'));
    const response = await handle(batch, shortOnTime, config);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }],
    });
  });
});

describe('a direct invocation', () => {
  it('{ namespace } purges what was written before now and reports the count', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'a' } }] });
    await expect(handle({ namespace: 'app:1' }, plenty, config)).resolves.toEqual({
      kind: 'purge',
      namespace: 'app:1',
      deleted: 1,
      spared: 0,
      complete: true,
      writtenBefore: NOW,
    });
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it.each([
    ['an invalid namespace', { namespace: 'app 1' }, /namespace/],
    ['other fields', { namespace: 'app:1', force: true }, /received the fields "force"/],
  ])('with %s is refused with an error', async (_name, event, message) => {
    await expect(handle(event, plenty, config)).rejects.toThrow(message);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

it('logs JSON lines with counts, never key names', async () => {
  dynamodb.on(QueryCommand).resolves({ Items: [{ sk: { S: 'secret-key-name' } }] });
  await handle(sqsEvent(uninstalled('app:1')), plenty, config);
  expect(logs).toEqual([
    {
      level: 'info',
      message: 'task done',
      messageId: 'm0',
      kind: 'uninstall',
      namespace: 'app:1',
      writtenBefore: EVENT_MS,
      deleted: 1,
      spared: 0,
      complete: true,
    },
  ]);
  expect(JSON.stringify(logs)).not.toContain('secret-key-name');
});

describe('configFromEnvironment', () => {
  it('reads the table, the queue and the sweep delay', () => {
    const read = configFromEnvironment({
      SECRETS_STORE_TABLE: 'secrets',
      QUEUE_URL: config.queueUrl,
      SWEEP_DELAY_SECONDS: '120',
    });
    expect(read).toMatchObject({
      tableName: 'secrets',
      queueUrl: config.queueUrl,
      sweepDelaySeconds: 120,
    });
    expect(read.sqs).toBeInstanceOf(SQSClient);
  });

  it('without QUEUE_URL has no SQS client; the sweep delay defaults to 900 s', () => {
    const read = configFromEnvironment({ SECRETS_STORE_TABLE: 'secrets' });
    expect(read).toMatchObject({ queueUrl: undefined, sqs: undefined, sweepDelaySeconds: 900 });
  });

  it.each([
    [{}, 'the cleanup function needs SECRETS_STORE_TABLE'],
    [
      { SECRETS_STORE_TABLE: 'secrets', SWEEP_DELAY_SECONDS: '15m' },
      'SWEEP_DELAY_SECONDS must be a whole number of seconds, received "15m"',
    ],
  ])('refuses %j', (environment, message) => {
    expect(() => configFromEnvironment(environment)).toThrow(message);
  });
});
