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
import { afterEach, describe, expect, it, vi } from 'vitest';
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
    // issue 22, point 3: no connection, no copy: it cannot land.
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'refused',
    ],
    [
      'a refused connection, as the SDK names it',
      Object.assign(new Error('connect ECONNREFUSED'), {
        name: 'TimeoutError',
        code: 'ECONNREFUSED',
      }),
      'refused',
    ],
    [
      'a name that does not resolve',
      Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
      'refused',
    ],
    [
      'a DNS server that does not answer',
      Object.assign(new Error('getaddrinfo EAI_AGAIN x'), { code: 'EAI_AGAIN' }),
      'refused',
    ],
    [
      "the Node handler's connection timeout",
      Object.assign(
        new Error(
          '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 3000 ms.',
        ),
        { name: 'TimeoutError' },
      ),
      'refused',
    ],
    [
      'a refused connection in the cause of an SDK error',
      Object.assign(new Error('x'), {
        cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }),
      }),
      'refused',
    ],
    // A connection was made: the request may have been written.
    [
      "the Node handler's request timeout",
      Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout'), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      }),
      'may-land',
    ],
    [
      'a host unreachable (also what a connection made reports when it times out)',
      Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }),
      'may-land',
    ],
    ['a broken pipe', Object.assign(new Error('x'), { code: 'EPIPE' }), 'may-land'],
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

describe('CopyLog on a real client', () => {
  it('a send that never reached the HTTP handler (no region) sent no copy: nothing may land', async () => {
    const copies = new CopyLog();
    const unconfigured = new DynamoDBClient({
      region: undefined as never,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await expect(copies.send(unconfigured, put())).rejects.toThrow('Region is missing');
    expect(copies.answers).toEqual([]);
    expect(copies.someMayLand).toBe(false);
  });

  it('a copy while its signal has aborted is never handed to the handler: refused', async () => {
    const copies = new CopyLog();
    const handle = vi.fn();
    const local = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      requestHandler: { handle, destroy: () => undefined } as never,
    });
    const signal = AbortSignal.abort(new Error('late'));
    await expect(copies.send(local, put(), false, signal)).rejects.toThrow();
    expect(handle).not.toHaveBeenCalled();
    expect(copies.answers).toEqual(['refused']);
    expect(copies.someMayLand).toBe(false);
  });

  it('a copy in the handler when the write is asked: it may land', async () => {
    const copies = new CopyLog();
    let reach!: () => void;
    const reached = new Promise<void>((resolve) => {
      reach = resolve;
    });
    const local = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
      requestHandler: {
        handle: () => {
          reach();
          return new Promise(() => undefined);
        },
        destroy: () => undefined,
      } as never,
    });
    void copies.send(local, put()).catch(() => undefined);
    await reached;
    expect(copies.answers).toEqual([]);
    expect(copies.someMayLand).toBe(true);
  });
});
