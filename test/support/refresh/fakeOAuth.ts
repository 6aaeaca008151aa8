/**
 * A fake OAuth token endpoint on loopback that rotates refresh tokens, as most providers now do:
 * a refresh token is good for one exchange; the next exchange with it is `invalid_grant`. It
 * counts the exchanges and the refusals, which is what the refresh tests assert on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOAuth {
  readonly url: string;
  /** Every token request received. */
  readonly calls: number;
  /** Requests refused with `invalid_grant` (a refresh token already used, or unknown). */
  readonly invalidGrants: number;
  /** The refresh token the provider accepts next. */
  readonly currentRefreshToken: string;
  close(): Promise<void>;
}

/**
 * @param firstRefreshToken the refresh token the provider accepts first
 * @param latencyMs how long the provider takes to answer (a real one takes a few hundred ms)
 */
export async function startFakeOAuth(
  firstRefreshToken: string,
  latencyMs = 50,
): Promise<FakeOAuth> {
  let current = firstRefreshToken;
  let generation = 0;
  let calls = 0;
  let invalidGrants = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      calls += 1;
      const presented = new URLSearchParams(body).get('refresh_token');
      const accepted = presented === current;
      if (accepted) {
        generation += 1;
        current = `refresh-${generation}`;
      } else {
        invalidGrants += 1;
      }
      const answer = accepted
        ? {
            status: 200,
            body: {
              access_token: `access-${generation}`,
              refresh_token: current,
              expires_in: 3600,
            },
          }
        : { status: 400, body: { error: 'invalid_grant' } };
      setTimeout(() => {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.body));
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    get calls() {
      return calls;
    },
    get invalidGrants() {
      return invalidGrants;
    },
    get currentRefreshToken() {
      return current;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
