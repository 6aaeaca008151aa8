/**
 * A loopback HTTP proxy that forwards every request to `target` unchanged and records what was
 * on the wire: the operation (`x-amz-target`) and the `user-agent` header of each request.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedHeaders {
  readonly operation: string;
  readonly userAgent: string;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly received: RecordedHeaders[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const received: RecordedHeaders[] = [];
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    received.push({
      operation: String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '',
      userAgent: String(incoming.headers['user-agent'] ?? ''),
    });
    const forwarded = httpRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
