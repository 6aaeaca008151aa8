/**
 * The MemoryTable behind a loopback HTTP endpoint, for the `integration-memory` project: the
 * integration suite then runs unchanged against a third DynamoDB implementation (beside
 * dynalite and moto), one table shared by every test file as dynalite's is. Users'
 * tests need no server: they plug the table into their client (`table.client()`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTable } from '@secrets-store/core/testing';
import type { RunningDynamoDB } from './dynamodb.ts';

export async function startMemoryTableServer(): Promise<RunningDynamoDB> {
  const handler = new MemoryTable().requestHandler();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      handler.handle({ headers, body: Buffer.concat(chunks) }).then(
        ({ response: answer }) => {
          response.writeHead(answer.statusCode, answer.headers);
          response.end(answer.body);
        },
        // A dropped response (loseResponseOfNext) is a reset connection.
        () => response.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}
