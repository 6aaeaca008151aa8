/**
 * The in-process table as the `requestHandler` of a real `DynamoDBClient`: the SDK serialises
 * the command, signs it, runs its retry strategy, and hands the HTTP request here instead of to
 * the network; the answer is an HTTP response in DynamoDB's JSON protocol, which the SDK
 * deserialises (errors into its own exception classes). The response is a plain object with
 * `statusCode`, `headers` and a `Uint8Array` body: the shape the SDK checks for (duck typing of
 * `HttpResponse`), so no `@smithy/*` package is imported.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBError } from './dynamoErrors.ts';
import type { RequestInput } from './faultSchedule.ts';

/** What the handler needs of an SDK request. */
export interface HandledRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface HandledResponse {
  readonly response: {
    readonly statusCode: number;
    readonly headers: Record<string, string>;
    readonly body: Uint8Array;
  };
}

/** What the SDK passes with a request: the caller's signal, as the Node handler takes it. */
export interface HandlerOptions {
  /** An `AbortSignal` (the SDK types its own, structurally the same). */
  readonly abortSignal?: unknown;
}

/** The handler interface of the SDK (`HttpHandler`), structurally. */
export interface MemoryRequestHandler {
  handle(request: HandledRequest, options?: HandlerOptions): Promise<HandledResponse>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

export type Dispatch = (operation: string, input: RequestInput) => Promise<Record<string, unknown>>;

function header(request: HandledRequest, name: string): string | undefined {
  const entry = Object.entries(request.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  // The SDK's JSON body is a Uint8Array subclass that warns when used as a string: decode bytes.
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body === undefined || body === null) return '{}';
  throw new TypeError('MemoryTable handles JSON request bodies only (a string or bytes)');
}

function respond(statusCode: number, body: unknown): HandledResponse {
  return {
    response: {
      statusCode,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': randomUUID(),
      },
      body: new TextEncoder().encode(JSON.stringify(body)),
    },
  };
}

/**
 * The Node HTTP handler's answer to an aborted request: an `AbortError` whose cause is the
 * signal's reason. As over a network, a request aborted after it was handed over may still be
 * applied (a paused one, when released): the client has stopped listening, not the table.
 */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError', cause: signal.reason });
}

function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function memoryRequestHandler(dispatch: Dispatch): MemoryRequestHandler {
  return {
    async handle(request, options) {
      const given = options?.abortSignal;
      const signal = given instanceof AbortSignal ? given : undefined;
      if (signal?.aborted) throw abortError(signal);
      // `x-amz-target: DynamoDB_20120810.PutItem`
      const operation = header(request, 'x-amz-target')?.split('.')[1] ?? '';
      let input: RequestInput;
      try {
        input = JSON.parse(bodyText(request.body));
      } catch {
        return respond(
          400,
          new DynamoDBError('SerializationException', 'Malformed request body').toJSON(),
        );
      }
      try {
        return respond(200, await unlessAborted(dispatch(operation, input), signal));
      } catch (error) {
        if (error instanceof DynamoDBError) return respond(error.statusCode, error.toJSON());
        throw error;
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}
