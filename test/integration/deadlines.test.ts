/**
 * Calls that cannot hang (issue 22, points 2 and 3), on the real AWS SDK over real sockets: a
 * loopback TCP server that accepts connections and never answers, and a port nothing listens on.
 * Every operation settles with the typed error the write protocol decides:
 *
 * - silent server: the request was sent, so a `put` may have landed (`OutcomeUnknownError`); a
 *   `get` or a `patch` (whose first call is its read) changed nothing (`StorageError`);
 * - closed port: no connection, so no copy of anything left the machine: `StorageError`, for a
 *   `put` too.
 *
 * Each case runs twice: under a short request and connection timeout set through
 * `clientConfig.requestHandler` (it must throw: the SDK's default only logs), and under an abort
 * signal aborted once the server has received the request (a forced order, not a sleep). No test
 * asserts how long anything took; a call that hangs fails by the test's timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  LocalKeyring,
  OutcomeUnknownError,
  SecretsStore,
  type SecretsStoreOptions,
  StorageError,
} from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
/**
 * Far below the defaults, so that a test does not wait seconds; still never asserted. The rest
 * (`throwOnRequestTimeout`, the socket's idle timeout) comes from the store's defaults: without
 * `throwOnRequestTimeout`, a request timeout only logs a warning and the call hangs.
 */
const SHORT = { requestTimeout: 300, connectionTimeout: 300 };

/** A server that accepts every connection, reads what it is sent, and never answers. */
interface SilentServer {
  readonly port: number;
  /** Resolves when the next request's bytes have reached the server. */
  nextRequest(): Promise<void>;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', () => waiting.shift()?.());
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    get connections() {
      return connections;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A loopback port that nothing listens on: one the system gave out, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function storeOn(port: number, requestHandler?: object): SecretsStore {
  const clientConfig: SecretsStoreOptions['clientConfig'] = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials,
    ...(requestHandler ? { requestHandler } : {}),
  };
  return new SecretsStore({ tableName: 'secrets', namespace: 'app:1', keyring, clientConfig });
}

/** The error a call settled with (it must settle: a hang fails the test by its timeout). */
async function settled(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => new Error('the call resolved'),
    (error: unknown) => error,
  );
}

let silent: SilentServer;
let closed: number;

beforeAll(async () => {
  silent = await silentServer();
  closed = await closedPort();
});

afterAll(async () => {
  await silent.close();
});

describe('a server that accepts and never answers, with short timeouts in clientConfig', () => {
  // Today's SDK default has no request timeout, and requestTimeout alone only logs a warning.
  const store = () => storeOn(silent.port, SHORT);

  it('get: a StorageError naming the timeout', async () => {
    const error = await settled(store().get('k'));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      'DynamoDB failed the get of "k" in namespace app:1 (table secrets): TimeoutError (ETIMEDOUT)',
    );
  });

  it('put: an OutcomeUnknownError (the request was sent: it may have landed)', async () => {
    const error = await settled(store().put('k', { token: 'canary-value' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).not.toContain('canary-value');
  });

  it('patch: a StorageError (its read timed out: nothing was written)', async () => {
    const error = await settled(store().patch('k', { token: 'canary-value' }));
    expect(error).toBeInstanceOf(StorageError);
  });
});

describe('a server that accepts and never answers, with an abort signal', () => {
  // The store's own default timeouts are seconds long; the signal ends each call first.
  it.each([
    ['get', StorageError, (store: SecretsStore, signal: AbortSignal) => store.get('k', { signal })],
    [
      'put',
      OutcomeUnknownError,
      (store: SecretsStore, signal: AbortSignal) => store.put('k', { a: 1 }, { signal }),
    ],
    [
      'patch',
      StorageError,
      (store: SecretsStore, signal: AbortSignal) => store.patch('k', { a: 1 }, { signal }),
    ],
    [
      'delete',
      OutcomeUnknownError,
      (store: SecretsStore, signal: AbortSignal) => store.delete('k', { signal }),
    ],
  ] as const)(
    "%s aborted once its request reached the server: %s, its cause the signal's reason",
    async (_, type, call) => {
      const controller = new AbortController();
      const reason = new Error('the Lambda is out of time');
      const reached = silent.nextRequest();
      const pending = settled(call(storeOn(silent.port), controller.signal));
      await reached;
      controller.abort(reason);
      const error = await pending;
      expect(error).toBeInstanceOf(type);
      expect((error as Error).cause).toBe(reason);
    },
  );

  it('a signal already aborted: rejects before any connection', async () => {
    const before = silent.connections;
    const signal = AbortSignal.abort(new Error('too late'));
    const store = storeOn(silent.port);
    for (const call of [
      store.get('k', { signal }),
      store.put('k', { a: 1 }, { signal }),
      store.patch('k', { a: 1 }, { signal }),
    ]) {
      expect(await settled(call)).toBeInstanceOf(StorageError);
    }
    expect(silent.connections).toBe(before);
  });
});

describe('a port nothing listens on (ECONNREFUSED)', () => {
  it.each([
    ['with the default timeouts', undefined],
    ['with short timeouts', SHORT],
  ])('%s: get, put and patch are StorageErrors naming ECONNREFUSED', async (_, handler) => {
    const store = storeOn(closed, handler);
    const errors = [
      await settled(store.get('k')),
      // No connection, no copy: it cannot land, so not OutcomeUnknownError.
      await settled(store.put('k', { a: 1 })),
      await settled(store.patch('k', { a: 1 })),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toContain('(ECONNREFUSED)');
    }
  });

  it('put with a signal that never aborts: still a StorageError', async () => {
    const error = await settled(
      storeOn(closed).put('k', { a: 1 }, { signal: new AbortController().signal }),
    );
    expect(error).toBeInstanceOf(StorageError);
  });
});
