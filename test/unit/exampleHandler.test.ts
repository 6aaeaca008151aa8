/**
 * The example handler users copy: one read of the token and one patch of the rate limit when
 * warm, no exists-then-get, no read after a patch; concurrent invocations count exactly.
 */
import { createTestStore, type TestSecretsStore } from '@secrets-store/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type Token } from '../../packages/example-app/src/handler.ts';

let secrets: TestSecretsStore;
let handler: ReturnType<typeof createHandler>;

beforeEach(() => {
  secrets = createTestStore({ namespace: 'example-app:install-1' });
  handler = createHandler(() => secrets);
});

const operations = () => secrets.table.requests.map((request) => request.operation);

describe('the example handler', () => {
  it('first call: authenticates, stores the token and counts the call', async () => {
    expect(await handler({ siteId: 123 })).toEqual({
      siteId: 123,
      authenticated: true,
      refreshed: false,
      callsThisHour: 1,
    });
    const token = await secrets.get<Token>('authToken');
    expect(token.siteId).toBe(123);
  });

  it('warm: one read of the token and one atomic patch of the rate limit, 3 DynamoDB requests', async () => {
    await handler({ siteId: 123 });
    secrets.table.requests.length = 0;
    expect(await handler({ siteId: 123, apiCallCost: 2 })).toEqual({
      siteId: 123,
      authenticated: false,
      refreshed: false,
      callsThisHour: 3,
    });
    // The token's read, the rate limit's read, its one conditional write (whose command the
    // write protocol chooses).
    expect(operations()).toHaveLength(3);
    expect(operations().slice(0, 2)).toEqual(['GetItem', 'GetItem']);
  });

  it('an expiring token is refreshed with its site id kept', async () => {
    await secrets.put<Token>('authToken', { token: 'old', siteId: 123, expiresAt: Date.now() });
    const result = await handler({ siteId: 123 });
    expect(result).toMatchObject({ authenticated: false, refreshed: true });
    const token = await secrets.get<Token>('authToken');
    expect(token.token).not.toBe('old');
    expect(token.siteId).toBe(123);
  });

  it('50 concurrent invocations: each sees its own count, 1 to 50 once each', async () => {
    await handler({ siteId: 123 });
    const results = await Promise.all(Array.from({ length: 50 }, () => handler({ siteId: 123 })));
    expect(results.map((result) => result.callsThisHour).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, index) => index + 2),
    );
    expect(await secrets.get('rateLimit', ['counter'])).toEqual({ counter: 51 });
  });
});
