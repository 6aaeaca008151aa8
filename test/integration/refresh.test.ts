/**
 * refresh on the real DynamoDB API: dynalite here, the MemoryTable behind loopback in
 * integration-memory, moto's DynamoDB in the moto tier. Schedules are forced: the upstream call
 * is a promise the test settles (a rival writes while the holder is inside it), and a loopback
 * proxy drops the response of a write after the server applied it. The forced schedules that
 * need the MemoryTable's hooks or fake timers are in test/unit/refresh.test.ts.
 */
import {
  LeaseLostError,
  LocalKeyring,
  SecretsStore,
  type SecretsStoreOptions,
} from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { type DynamoProxy, startDynamoProxy } from '../support/dynamoProxy.ts';
import { deferred } from '../support/gate.ts';
import {
  countRequests,
  endpoint,
  itemsOf,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';
import { upstream } from '../support/refresh/upstream.ts';

interface Token {
  token?: string;
  refreshToken?: string;
  siteId?: number;
  other?: number;
}

const masterKey = LocalKeyring.generateMasterKey();
let proxy: DynamoProxy;

beforeAll(async () => {
  proxy = await startDynamoProxy({ target: endpoint, allOld: true });
});

afterAll(async () => {
  await proxy.stop();
});

/** A container: its own client (direct, or through the proxy) and store, on one namespace. */
function container(namespace: string, options: Partial<SecretsStoreOptions> = {}): SecretsStore {
  return new SecretsStore({
    tableName,
    namespace,
    keyring: new LocalKeyring({ masterKey }),
    client: localDynamoDBClient(endpoint),
    ...options,
  });
}

const NEW = { token: 'new', refreshToken: 'r2' };

/** A holder of `value` on a new namespace, inside its refresh: the upstream answers when told. */
async function holderInsideRefresh(value: Token) {
  const namespace = uniqueNamespace('refresh');
  const holder = container(namespace);
  await holder.put('authToken', value);
  const up = upstream();
  const held = holder.refresh<Token>('authToken', up.options());
  await up.entered;
  return { namespace, holder, up, held };
}

/**
 * A subject (through the proxy) of an old token, whose next UpdateItem that `matches` is applied
 * and its response dropped; the upstream answers NEW at once.
 */
async function responseLostOf(matches: (body: Record<string, unknown>) => boolean) {
  const namespace = uniqueNamespace('refresh');
  await container(namespace).put('authToken', { token: 'old' });
  const subject = container(namespace, { client: localDynamoDBClient(proxy.endpoint) });
  const dropped = proxy.intercept('UpdateItem', { dropResponse: true, matches });
  const up = upstream();
  up.answer.resolve(NEW);
  return { namespace, subject, up, dropped };
}

async function itemOf(namespace: string, key: string) {
  return (await itemsOf(namespace)).find((item) => item.sk?.S === key);
}

describe('refresh on the DynamoDB API', () => {
  it('a fresh value: exactly one GetItem, strongly consistent, and no write', async () => {
    const namespace = uniqueNamespace('refresh');
    await container(namespace).put('authToken', { token: 'new', siteId: 1 });
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const store = container(namespace, { client });
    const up = upstream();
    await expect(store.refresh<Token>('authToken', up.options())).resolves.toEqual({
      token: 'new',
      siteId: 1,
    });
    expect(requests.total()).toBe(1);
    expect(requests.of('GetItemCommand')).toBe(1);
    expect(up.calls).toBe(0);
  });

  it('an expired value: read, take, read, the final write (which releases the lease); untouched fields kept', async () => {
    const namespace = uniqueNamespace('refresh');
    await container(namespace).put('authToken', { token: 'old', siteId: 1 });
    const client = localDynamoDBClient(endpoint);
    const requests = countRequests(client);
    const up = upstream();
    up.answer.resolve(NEW);
    await expect(
      container(namespace, { client }).refresh<Token>('authToken', up.options()),
    ).resolves.toEqual({ ...NEW, siteId: 1 });
    expect(requests.of('GetItemCommand')).toBe(2);
    expect(requests.of('UpdateItemCommand')).toBe(2);
    expect(requests.total()).toBe(4);
    expect((await itemOf(namespace, 'authToken'))?.leaseMs).toBeUndefined();
  });

  it('a rival patch of another field during the refresh survives, and the lease survives it', async () => {
    const { namespace, holder, up, held } = await holderInsideRefresh({ token: 'old', siteId: 1 });
    await container(namespace).patch<Token>('authToken', { other: 5 });
    expect((await itemOf(namespace, 'authToken'))?.leaseMs).toEqual({ N: '10000' });
    up.answer.resolve(NEW);
    await expect(held).resolves.toEqual({ ...NEW, siteId: 1, other: 5 });
    expect(await holder.get('authToken')).toEqual({ ...NEW, siteId: 1, other: 5 });
  });

  it('a put during the refresh neither fails nor erases the lease', async () => {
    const { namespace, up, held } = await holderInsideRefresh({ token: 'old' });
    await expect(container(namespace).put('authToken', { token: 'put', siteId: 9 })).resolves.toBe(
      true,
    );
    expect((await itemOf(namespace, 'authToken'))?.leaseMs).toEqual({ N: '10000' });
    up.answer.resolve(NEW);
    await expect(held).resolves.toEqual({ ...NEW, siteId: 9 });
  });

  it('a delete during the refresh wins: LeaseLostError, nothing written', async () => {
    const { namespace, holder, up, held } = await holderInsideRefresh({ token: 'old' });
    await container(namespace).delete('authToken');
    up.answer.resolve(NEW);
    await expect(held).rejects.toBeInstanceOf(LeaseLostError);
    expect(await holder.get('authToken')).toEqual({});
    expect(await holder.exists('authToken')).toBe(false);
  });

  it('a purge during the refresh wins: LeaseLostError, the namespace stays empty', async () => {
    const { namespace, up, held } = await holderInsideRefresh({ token: 'old' });
    expect(await container(namespace).purge()).toBe(1);
    up.answer.resolve(NEW);
    await expect(held).rejects.toBeInstanceOf(LeaseLostError);
    expect(await itemsOf(namespace)).toEqual([]);
  });

  it('refresh throws: its error unchanged, the lease released at once, the value unchanged', async () => {
    const namespace = uniqueNamespace('refresh');
    const holder = container(namespace);
    await holder.put('authToken', { token: 'old' });
    const failure = new Error('invalid_grant');
    await expect(
      holder.refresh<Token>('authToken', {
        needsRefresh: () => true,
        refresh: () => Promise.reject(failure),
      }),
    ).rejects.toBe(failure);
    expect((await itemOf(namespace, 'authToken'))?.leaseMs).toBeUndefined();
    expect(await holder.get('authToken')).toEqual({ token: 'old' });
  });

  it('the take whose response is lost: decided by one read, one upstream call', async () => {
    const { namespace, subject, up, dropped } = await responseLostOf((body) =>
      String(body.UpdateExpression).startsWith('SET #leaseId = :lease'),
    );
    await expect(subject.refresh<Token>('authToken', up.options())).resolves.toEqual(NEW);
    await dropped;
    expect(up.calls).toBe(1);
    expect((await itemOf(namespace, 'authToken'))?.version).toEqual({ N: '2' });
  });

  it('the final write whose response is lost: its id is in the history, applied once', async () => {
    const { namespace, subject, up, dropped } = await responseLostOf((body) =>
      String(body.ConditionExpression).endsWith('AND #leaseId = :heldLease'),
    );
    await expect(subject.refresh<Token>('authToken', up.options())).resolves.toEqual(NEW);
    await dropped;
    const item = await itemOf(namespace, 'authToken');
    expect(item?.version).toEqual({ N: '2' });
    expect(item?.leaseMs).toBeUndefined();
  });

  it('a rewrap during the refresh: both kept, readable with the new key alone', async () => {
    const namespace = uniqueNamespace('refresh');
    await container(namespace).put('authToken', { token: 'old', siteId: 3 });
    const newKey = LocalKeyring.generateMasterKey();
    const rotated = container(namespace, {
      keyring: new LocalKeyring({ masterKey: newKey, previousMasterKeys: [masterKey] }),
    });
    const up = upstream();
    const held = rotated.refresh<Token>('authToken', up.options());
    await up.entered;
    expect((await rotated.rewrap()).moved).toBe(1);
    up.answer.resolve(NEW);
    await expect(held).resolves.toEqual({ ...NEW, siteId: 3 });
    const onlyNew = container(namespace, { keyring: new LocalKeyring({ masterKey: newKey }) });
    expect(await onlyNew.get('authToken')).toEqual({ ...NEW, siteId: 3 });
  });

  it('a refresh running 2.5 x leaseMs keeps its lease: one upstream call for holder and waiter', async () => {
    const namespace = uniqueNamespace('refresh');
    await container(namespace).put('authToken', { token: 'old' });
    let calls = 0;
    const entered = deferred<void>();
    const options = {
      needsRefresh: (value: Token) => value.token !== 'new',
      // A slow provider: 2.5 x leaseMs. The heartbeat renews the lease every third of leaseMs.
      refresh: async (value: Token) => {
        calls += 1;
        entered.resolve();
        await new Promise((resolve) => setTimeout(resolve, 2500));
        return { ...value, ...NEW };
      },
      leaseMs: 1000,
    };
    const holder = container(namespace).refresh<Token>('authToken', options);
    // The waiter starts once the lease is held (no race for a free lease: moto's conditional
    // writes are not atomic under concurrency, see vitest.moto.config.ts).
    await entered.promise;
    const waiter = container(namespace).refresh<Token>('authToken', options);
    await expect(Promise.all([holder, waiter])).resolves.toEqual([NEW, NEW]);
    expect(calls).toBe(1);
  });

  it('the lease of an absent secret: no read shows it; purge removes it and counts 0', async () => {
    const namespace = uniqueNamespace('refresh');
    const store = container(namespace);
    const up = upstream();
    const held = store.refresh<Token>('authToken', up.options());
    await up.entered;
    expect((await itemOf(namespace, 'authToken'))?.leaseMs).toEqual({ N: '10000' });
    expect(await store.get('authToken')).toEqual({});
    expect(await store.exists('authToken')).toBe(false);
    expect((await store.getMany(['authToken'])).size).toBe(0);
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual([]);
    expect(await container(namespace).purge()).toBe(0);
    expect(await itemsOf(namespace)).toEqual([]);
    up.answer.resolve(NEW);
    await expect(held).rejects.toBeInstanceOf(LeaseLostError);
  });
});
