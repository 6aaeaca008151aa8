/**
 * An HTTP proxy on loopback in front of a DynamoDB implementation.
 *
 * - `allOld`: adds what DynamoDB returns and dynalite does not: on a conditional PutItem that
 *   fails with `ReturnValuesOnConditionCheckFailure: ALL_OLD`, the current item in the error.
 *   The proxy reads it from the server itself, so the client makes no extra request. A server
 *   that returns the item itself (moto, like DynamoDB) is answered as it answered. Without
 *   `allOld`, the proxy removes such an item, so that the path without it is tested on any server.
 * - `faults`: at a seeded random rate, drops the connection before or after forwarding the
 *   request, answers 500/503 or a throttling error, or adds delay; per client when the client
 *   names its stream ({@link faultStreamMiddleware}), so that a run can be replayed.
 * - `intercept`: a schedule for the next matching request: hold it before forwarding until a
 *   rival has written, run a rival after the server applied it, and drop its response (so the
 *   SDK sends the same request again). This is how tests force an interleaving instead of
 *   hoping for one.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRates {
  /** Drop the connection without forwarding: the request never reached the server. */
  readonly dropBefore?: number;
  /** Forward, then drop the connection: the write happened, its response is lost. */
  readonly dropAfter?: number;
  readonly serverError?: number;
  readonly throttle?: number;
  /** Probability of a delay of up to `maxDelayMs`. */
  readonly delay?: number;
  readonly maxDelayMs?: number;
}

export interface ProxyOptions {
  readonly target: string;
  readonly allOld?: boolean;
  readonly faults?: FaultRates;
  readonly seed?: number;
}

/** What to do with the next request that matches: see {@link DynamoProxy.intercept}. */
export interface Interception {
  /** Runs while the request waits, before it is forwarded (a paused write; a rival goes first). */
  readonly beforeForward?: () => Promise<void>;
  /** Runs after the server applied the request, before its response would be sent. */
  readonly afterForward?: () => Promise<void>;
  /** Drop the connection instead of answering: the request landed, its response is lost. */
  readonly dropResponse?: boolean;
  /**
   * Reset the client's connection at once, before forwarding: the client gives up on this copy
   * while it is still in the network; it reaches the server after `beforeForward` (a copy that
   * lands after the store decided). `landed` gets the server's status for it.
   */
  readonly resetFirst?: { readonly landed: (status: number) => void };
  /** Which request: by its JSON body (default: the next one of the operation). */
  readonly matches?: (body: Record<string, unknown>) => boolean;
}

export interface DynamoProxy {
  readonly endpoint: string;
  readonly injected: Map<string, number>;
  /** Forwards the next request of `operation`, then drops the connection: a lost response. */
  dropResponseOfNext(operation: string): void;
  /**
   * Applies `interception` to the next request of `operation` (e.g. `PutItem`) that matches;
   * resolves when that request has been handled (forwarded, hooks run, answered or dropped).
   */
  intercept(operation: string, interception: Interception): Promise<void>;
  setFaults(faults: FaultRates | undefined): void;
  stop(): Promise<void>;
}

/** The writes whose failed condition DynamoDB answers with the item when ALL_OLD is asked for. */
const CONDITIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function forward(
  target: URL,
  request: IncomingMessage,
  body: Buffer,
  headers = request.headers,
): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 500,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * The request header that names a client's own stream of fault choices: each client (say, each
 * of 100 writers) then meets the same faults in the same order whatever the interleaving, so a
 * failing run can be replayed. Requests without it share one stream.
 */
export const FAULT_STREAM_HEADER = 'x-test-fault-stream';

/** A header middleware for a test client: its requests draw from their own fault stream. */
export function faultStreamMiddleware(stream: string) {
  return {
    middleware:
      (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[FAULT_STREAM_HEADER] = stream;
        return next(args);
      },
    options: { step: 'build' as const, name: 'testFaultStream' },
  };
}

function hashOf(text: string): number {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 16777619);
  return hash >>> 0;
}

export async function startDynamoProxy(options: ProxyOptions): Promise<DynamoProxy> {
  const target = new URL(options.target);
  const shared = seededRandom(options.seed ?? 1);
  const streams = new Map<string, () => number>();
  const streamOf = (request: IncomingMessage): (() => number) => {
    const name = request.headers[FAULT_STREAM_HEADER];
    if (typeof name !== 'string') return shared;
    let stream = streams.get(name);
    if (!stream) {
      stream = seededRandom((options.seed ?? 1) ^ hashOf(name));
      streams.set(name, stream);
    }
    return stream;
  };
  let faults = options.faults;
  const injected = new Map<string, number>();
  const count = (kind: string) => injected.set(kind, (injected.get(kind) ?? 0) + 1);
  const interceptions: { operation: string; interception: Interception; done: () => void }[] = [];

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const scheduled = takeInterception(operation, body);
    if (scheduled) {
      await handleIntercepted(request, response, body, operation, scheduled.interception);
      scheduled.done();
      return;
    }
    const random = streamOf(request);
    const roll = faults ? random() : 1;
    let edge = 0;
    const hit = (rate: number | undefined) => {
      edge += rate ?? 0;
      return roll < edge;
    };
    if (faults) {
      if (hit(faults.dropBefore)) {
        count('dropBefore');
        request.socket.destroy();
        return;
      }
      if (hit(faults.serverError)) {
        count('serverError');
        response.writeHead(random() < 0.5 ? 500 : 503, {
          'content-type': 'application/x-amz-json-1.0',
        });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'injected',
          }),
        );
        return;
      }
      if (hit(faults.throttle)) {
        count('throttle');
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'injected',
          }),
        );
        return;
      }
      if (random() < (faults.delay ?? 0)) {
        count('delay');
        await new Promise((resolve) => setTimeout(resolve, random() * (faults?.maxDelayMs ?? 50)));
      }
    }
    await forwardAndAnswer(request, response, body, operation, {
      drop: () => faults !== undefined && hit(faults.dropAfter),
    });
  });

  /**
   * Forwards the request to the target and passes its answer on, unless `drop()` (asked once
   * the target applied it, after `afterForward`) says the caller never hears of it: the SDK
   * then sees a network error. A target that cannot be reached hangs up on the caller too.
   */
  async function forwardAndAnswer(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    operation: string,
    after: { afterForward?: (() => Promise<void>) | undefined; drop: () => boolean },
  ): Promise<void> {
    let result: Forwarded;
    try {
      result = await forward(target, request, body);
    } catch {
      request.socket.destroy();
      return;
    }
    await after.afterForward?.();
    if (after.drop()) {
      count('dropAfter');
      request.socket.destroy();
      return;
    }
    await answer(request, response, body, operation, result);
  }

  function takeInterception(operation: string, body: Buffer) {
    const index = interceptions.findIndex(
      (entry) =>
        entry.operation === operation &&
        (entry.interception.matches?.(JSON.parse(body.toString('utf8'))) ?? true),
    );
    return index === -1 ? undefined : interceptions.splice(index, 1)[0];
  }

  async function handleIntercepted(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    operation: string,
    interception: Interception,
  ): Promise<void> {
    if (interception.resetFirst) {
      request.socket.destroy();
      await interception.beforeForward?.();
      const late = await forward(target, request, body);
      interception.resetFirst.landed(late.status);
      return;
    }
    await interception.beforeForward?.();
    await forwardAndAnswer(request, response, body, operation, {
      afterForward: interception.afterForward,
      drop: () => interception.dropResponse === true,
    });
  }

  async function answer(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    operation: string,
    forwarded: Forwarded,
  ): Promise<void> {
    let result = forwarded;
    if (CONDITIONAL_WRITES.has(operation) && result.status === 400) {
      result = options.allOld
        ? await addAllOld(target, request, body, result)
        : withoutAllOld(result);
    }
    response.writeHead(result.status, result.headers);
    response.end(result.body);
  }

  /** A failed condition answered as a server without ALL_OLD answers it: no item. */
  function withoutAllOld(result: Forwarded): Forwarded {
    const error = JSON.parse(result.body.toString('utf8')) as { __type?: string; Item?: unknown };
    if (!error.__type?.endsWith('ConditionalCheckFailedException') || error.Item === undefined) {
      return result;
    }
    const { Item: _item, ...rest } = error;
    const stripped = Buffer.from(JSON.stringify(rest));
    const { 'transfer-encoding': _chunked, 'x-amz-crc32': _crc, ...headers } = result.headers;
    return {
      ...result,
      body: stripped,
      headers: { ...headers, 'content-length': String(stripped.length) },
    };
  }

  /** On ConditionalCheckFailed with ALL_OLD requested, puts the current item into the error. */
  async function addAllOld(
    target: URL,
    request: IncomingMessage,
    body: Buffer,
    result: Forwarded,
  ): Promise<Forwarded> {
    const error = JSON.parse(result.body.toString('utf8')) as { __type?: string; Item?: unknown };
    const input = JSON.parse(body.toString('utf8')) as {
      TableName: string;
      Item?: Record<string, unknown>;
      Key?: Record<string, unknown>;
      ReturnValuesOnConditionCheckFailure?: string;
    };
    const key = input.Key ?? input.Item ?? {};
    if (
      !error.__type?.endsWith('ConditionalCheckFailedException') ||
      input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' ||
      error.Item !== undefined
    ) {
      return result;
    }
    const getBody = Buffer.from(
      JSON.stringify({
        TableName: input.TableName,
        Key: { pk: key.pk, sk: key.sk },
        ConsistentRead: true,
      }),
    );
    const headers = {
      ...request.headers,
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'content-length': String(getBody.length),
    };
    // dynalite does not check signatures, so the re-targeted request needs none.
    const current = await forward(target, request, getBody, headers);
    const item = (JSON.parse(current.body.toString('utf8')) as { Item?: unknown }).Item;
    if (!item) return result;
    const patched = Buffer.from(JSON.stringify({ ...error, Item: item }));
    const { 'transfer-encoding': _chunked, ...answerHeaders } = result.headers;
    return {
      ...result,
      headers: { ...answerHeaders, 'content-length': String(patched.length) },
      body: patched,
    };
  }

  function intercept(operation: string, interception: Interception): Promise<void> {
    return new Promise<void>((done) => {
      interceptions.push({ operation, interception, done });
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    injected,
    dropResponseOfNext: (operation) => {
      void intercept(operation, { dropResponse: true });
    },
    intercept,
    setFaults: (next) => {
      faults = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
