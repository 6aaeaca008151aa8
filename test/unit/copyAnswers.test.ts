/**
 * Every copy's answer (write protocol v3): how a copy's failure is classed, and what is recorded
 * when the client's `send` is replaced by aws-sdk-client-mock (no middleware runs: the final
 * error is all there is).
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { answerOfFailure, CopyLog } from '../../packages/core/src/copyAnswers.ts';

const client = new DynamoDBClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const dynamodb = mockClient(client);

afterEach(() => {
  dynamodb.reset();
});

const put = () => new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' }, sk: { S: 'b' } } });

describe('answerOfFailure', () => {
  it.each([
    [
      'a 400 from DynamoDB',
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 400 } }),
      'refused',
    ],
    [
      'a 500 from DynamoDB',
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } }),
      'may-land',
    ],
    [
      'a 503 from DynamoDB',
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }),
      'may-land',
    ],
    [
      'a reset connection (no answer)',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'may-land',
    ],
    [
      'a timeout (no answer)',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'may-land',
    ],
    [
      'a mocked ConditionalCheckFailedException (no status)',
      new ConditionalCheckFailedException({ message: 'x', $metadata: {} }),
      'refused',
    ],
    [
      'a mocked ThrottlingException (no status)',
      new ThrottlingException({ message: 'x', $metadata: {} }),
      'refused',
    ],
    [
      'a mocked InternalServerError (no status)',
      new InternalServerError({ message: 'x', $metadata: {} }),
      'may-land',
    ],
    ['something that is not an error', 'boom', 'may-land'],
  ])('%s: %s', (_, error, answer) => {
    expect(answerOfFailure(error)).toBe(answer);
  });
});

describe('CopyLog on a client whose send is replaced (aws-sdk-client-mock)', () => {
  it('a success is one applied copy', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const copies = new CopyLog();
    await copies.send(client, put());
    expect(copies.answers).toEqual(['applied']);
    expect(copies.someMayLand).toBe(true);
  });

  it('a failed condition is one refused copy: nothing may land', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    const copies = new CopyLog();
    await expect(copies.send(client, put())).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
    expect(copies.answers).toEqual(['refused']);
    expect(copies.someMayLand).toBe(false);
  });

  it('a failure after 3 attempts: the 2 copies before it may land, whatever the last one said', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ThrottlingException({ message: 'x', $metadata: { attempts: 3 } }));
    const copies = new CopyLog();
    await expect(copies.send(client, put())).rejects.toBeInstanceOf(ThrottlingException);
    expect(copies.answers).toEqual(['may-land', 'may-land', 'refused']);
    expect(copies.someMayLand).toBe(true);
  });

  it('answers accumulate across the sends of one write', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(new ThrottlingException({ message: 'x', $metadata: {} }))
      .resolvesOnce({});
    const copies = new CopyLog();
    await expect(copies.send(client, put())).rejects.toBeInstanceOf(ThrottlingException);
    await copies.send(client, put());
    expect(copies.answers).toEqual(['refused', 'applied']);
  });
});
