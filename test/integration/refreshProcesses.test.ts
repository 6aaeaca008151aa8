/**
 * refresh across containers: separate processes, each with its own SDK clients and store (a
 * flight shared in one process cannot hide anything here), on the real DynamoDB API (dynalite,
 * and the MemoryTable behind loopback in integration-memory), against a fake OAuth endpoint that
 * rotates refresh tokens.
 */
import { randomBytes } from 'node:crypto';
import { LocalKeyring, SecretsStore } from '@secrets-store/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  endpoint,
  itemsOf,
  rawClient,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';
import { type FakeOAuth, startFakeOAuth } from '../support/refresh/fakeOAuth.ts';
import { expectLine, runWorkers, startWorker } from '../support/refresh/processes.ts';

const masterKey = randomBytes(32);
const KEY = 'authToken';
let oauth: FakeOAuth;
let namespace: string;
let store: SecretsStore;

beforeEach(async () => {
  oauth = await startFakeOAuth('refresh-0');
  namespace = uniqueNamespace('refresh');
  store = new SecretsStore({
    tableName,
    namespace,
    keyring: new LocalKeyring({ masterKey }),
    client: rawClient,
  });
  // An expired token, and fields the refresh does not touch.
  await store.put(KEY, {
    token: 'access-0',
    refreshToken: 'refresh-0',
    expiresAt: 0,
    siteId: 123,
    scopes: ['read', 'write'],
  });
});

afterEach(async () => {
  await oauth.close();
});

const config = (overrides: { callers?: number; leaseMs?: number } = {}) => ({
  endpoint,
  tableName,
  namespace,
  masterKeyHex: masterKey.toString('hex'),
  oauthUrl: oauth.url,
  key: KEY,
  callers: overrides.callers ?? 20,
  leaseMs: overrides.leaseMs ?? 10_000,
});

describe('refresh across 10 processes', () => {
  it('200 callers: exactly 1 upstream call, 0 invalid_grant, every caller gets the stored token, untouched fields kept', async () => {
    const outcomes = await runWorkers(10, config({ callers: 20 }));
    expect(outcomes).toHaveLength(200);
    expect(oauth.calls).toBe(1);
    expect(oauth.invalidGrants).toBe(0);
    const stored = await store.get<Record<string, unknown>>(KEY);
    expect(stored).toEqual({
      token: 'access-1',
      refreshToken: 'refresh-1',
      expiresAt: expect.any(Number),
      siteId: 123,
      scopes: ['read', 'write'],
    });
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ token: 'access-1', refreshToken: 'refresh-1', siteId: 123 });
    }
    // The lease was released in the final write.
    const [item] = await itemsOf(namespace);
    expect(item?.leaseMs).toBeUndefined();
  });
});

describe('a holder killed mid-refresh', () => {
  it('SIGKILL inside the callback: another process takes the abandoned lease over and refreshes once', async () => {
    const holder = startWorker({ ...config({ callers: 1, leaseMs: 1000 }), mode: 'hold' });
    await expectLine(holder, 'ready');
    holder.child.stdin?.write('go\n');
    await expectLine(holder, 'entered');
    const [held] = await itemsOf(namespace);
    expect(held?.leaseMs).toEqual({ N: '1000' });
    const exited = new Promise((resolve) => holder.child.once('exit', resolve));
    holder.child.kill('SIGKILL');
    await exited;
    // Nothing renews the lease now; the replacement sees the same id for leaseMs, then takes it.
    const outcomes = await runWorkers(2, config({ callers: 5, leaseMs: 1000 }));
    expect(oauth.calls).toBe(1);
    expect(oauth.invalidGrants).toBe(0);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ token: 'access-1', refreshToken: 'refresh-1', siteId: 123 });
    }
    const [item] = await itemsOf(namespace);
    expect(item?.leaseId).not.toEqual(held?.leaseId);
    expect(item?.leaseMs).toBeUndefined();
  });
});
