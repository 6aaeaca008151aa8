/**
 * Write protocols v2 and v3 under forced interleavings, on the real DynamoDB API of the global
 * setup (dynalite; the MemoryTable in the integration-memory project). The writer under test goes through a loopback proxy that
 * holds its write, lets a rival (a second store on a direct client, as another Lambda) write at
 * an exact moment, and drops the response after the server applied the write, so that the SDK
 * sends the same request again. Nothing here depends on timing: every schedule is forced.
 *
 * Exactness is checked with unique ids appended to a list: each patch that resolved appears
 * exactly once, and no call is ever applied twice.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OutcomeUnknownError, SecretsStore } from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { type DynamoProxy, startDynamoProxy } from '../support/dynamoProxy.ts';
import {
  endpoint,
  itemsOf,
  keyring,
  rawClient,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';

interface Log {
  token?: string;
  ids?: string[];
}

const proxies: Record<string, DynamoProxy> = {};

beforeAll(async () => {
  proxies.allOld = await startDynamoProxy({ target: endpoint, allOld: true });
  proxies.plain = await startDynamoProxy({ target: endpoint, allOld: false });
});

afterAll(async () => {
  for (const proxy of Object.values(proxies)) await proxy.stop();
});

/** An updater that appends `id` to the list, counting its runs. */
function appender(id: string, runs: { count: number } = { count: 0 }) {
  return (value: Log): Log => {
    runs.count++;
    return { ...value, ids: [...(value.ids ?? []), id] };
  };
}

/**
 * The store under test (through the proxy) and a rival store on the same namespace, on a
 * direct client with its own cache: another Lambda container.
 */
function pair(proxy: DynamoProxy) {
  const namespace = uniqueNamespace('protocol');
  const subject = new SecretsStore({
    tableName,
    namespace,
    keyring,
    client: localDynamoDBClient(proxy.endpoint),
  });
  const rival = new SecretsStore({ tableName, namespace, keyring, client: rawClient });
  return { subject, rival, namespace };
}

/** `count` rival patches, appending rival-1, rival-2, ... in turn. */
async function rivalAppends(rival: SecretsStore, count: number): Promise<void> {
  for (let index = 1; index <= count; index++) {
    await rival.patch<Log>('log', appender(`rival-${index}`));
  }
}

/** The next UpdateItem through `proxy` is applied, then `rivalsWrite` runs, then its response is dropped. */
function loseResponseAfter(proxy: DynamoProxy, rivalsWrite: () => Promise<unknown>) {
  return proxy.intercept('UpdateItem', {
    afterForward: async () => {
      await rivalsWrite();
    },
    dropResponse: true,
  });
}

describe.each([
  ['with ALL_OLD (as DynamoDB)', 'allOld'],
  ['without ALL_OLD (one read decides)', 'plain'],
])('write protocol v2 %s', (_name, which) => {
  const proxy = () => proxies[which] as DynamoProxy;

  /** The subject's patch (appending its id), whose response is lost while `rivals` rivals append. */
  function patchLostWhileRivalsAppend(subject: SecretsStore, rival: SecretsStore, rivals: number) {
    const runs = { count: 0 };
    const schedule = loseResponseAfter(proxy(), () => rivalAppends(rival, rivals));
    return { runs, schedule, patching: subject.patch<Log>('log', appender('subject', runs)) };
  }

  it.each([1, 2, 7])(
    'a patch whose response is lost while %i rival patches land before the re-send: applied once, resolves',
    async (rivals) => {
      const { subject, rival } = pair(proxy());
      await subject.put('log', { ids: [] });
      const { runs, schedule, patching } = patchLostWhileRivalsAppend(subject, rival, rivals);
      const previous = await patching;
      await schedule;
      expect(runs.count).toBe(1);
      expect(previous).toEqual({ ids: [] });
      const rivalIds = Array.from({ length: rivals }, (_, index) => `rival-${index + 1}`);
      expect(await subject.get<Log>('log')).toEqual({ ids: ['subject', ...rivalIds] });
    },
  );

  it.each([8, 20])(
    'a patch whose response is lost while %i rival patches land: the history cannot tell, so OutcomeUnknownError, and still applied once',
    async (rivals) => {
      const { subject, rival } = pair(proxy());
      await subject.put('log', { ids: [] });
      const { runs, schedule, patching } = patchLostWhileRivalsAppend(subject, rival, rivals);
      await expect(patching).rejects.toBeInstanceOf(OutcomeUnknownError);
      await schedule;
      expect(runs.count).toBe(1);
      const { ids } = await subject.get<Log>('log');
      expect(ids?.filter((id) => id === 'subject')).toEqual(['subject']);
      expect(ids).toHaveLength(rivals + 1);
    },
  );

  it('a create whose response is lost while a rival patches the new secret: applied once, resolves {}', async () => {
    const { subject, rival } = pair(proxy());
    const runs = { count: 0 };
    const schedule = loseResponseAfter(proxy(), () => rival.patch<Log>('log', appender('rival')));
    expect(await subject.patch<Log>('log', appender('subject', runs))).toEqual({});
    await schedule;
    expect(runs.count).toBe(1);
    expect(await subject.get<Log>('log')).toEqual({ ids: ['subject', 'rival'] });
  });

  it.each([
    ['put', (rival: SecretsStore) => rival.put('auth', { token: 'NEW' })],
    ['patch', (rival: SecretsStore) => rival.patch('auth', { token: 'NEW' })],
  ])(
    'ABA: a patch that read the old secret while it was deleted and re-created by %s lands on the new one',
    async (_how, recreate) => {
      const { subject, rival } = pair(proxy());
      await subject.put('auth', { token: 'OLD' });
      const seen: (string | undefined)[] = [];
      const schedule = proxy().intercept('UpdateItem', {
        beforeForward: async () => {
          await rival.delete('auth');
          await recreate(rival);
        },
      });
      const previous = await subject.patch<Log>('auth', (value) => {
        seen.push(value.token);
        return { ...value, ids: ['subject'] };
      });
      await schedule;
      // The first run's write failed its condition (the item it read is gone); the retry ran
      // on the new secret. The revoked token never comes back.
      expect(seen).toEqual(['OLD', 'NEW']);
      expect(previous).toEqual({ token: 'NEW' });
      expect(await subject.get<Log>('auth')).toEqual({ token: 'NEW', ids: ['subject'] });
    },
  );

  it('a put whose response is lost while a patch lands on top: the re-sent put erases nothing', async () => {
    const { subject, rival } = pair(proxy());
    await subject.put('log', { ids: ['before'] });
    const schedule = loseResponseAfter(proxy(), () => rival.patch<Log>('log', appender('rival')));
    await expect(subject.put('log', { ids: ['put'] })).resolves.toBe(true);
    await schedule;
    expect(await subject.get<Log>('log')).toEqual({ ids: ['put', 'rival'] });
  });

  it('a field delete whose response is lost while a rival patches: applied once', async () => {
    const { subject, rival, namespace } = pair(proxy());
    await subject.put('auth', { token: 't', siteId: 1, ids: [] });
    const schedule = loseResponseAfter(proxy(), () => rival.patch<Log>('auth', appender('rival')));
    await subject.delete('auth', ['siteId']);
    await schedule;
    expect(await subject.get('auth')).toEqual({ token: 't', ids: ['rival'] });
    const [item] = await itemsOf(namespace);
    expect(item?.version?.N).toBe('3');
  });
});

/**
 * The subject on a client that sends each request once (maxAttempts 1): each copy is one
 * request the proxy can hold, and the SDK hides nothing.
 */
function singleCopyPair(proxy: DynamoProxy) {
  const { rival, namespace } = pair(proxy);
  const subject = new SecretsStore({
    tableName,
    namespace,
    keyring,
    client: new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
  });
  return { subject, rival, namespace };
}

/**
 * Holds the next `operation` in the proxy: the subject's connection is reset at once, and the
 * copy reaches the server when `deliver()` is called. Resolves with the server's status for it.
 */
function holdCopy(proxy: DynamoProxy, operation: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let status = 0;
  const handled = proxy.intercept(operation, {
    resetFirst: {
      landed: (answered) => {
        status = answered;
      },
    },
    beforeForward: () => released,
  });
  return {
    deliver: async (): Promise<number> => {
      release();
      await handled;
      return status;
    },
  };
}

describe.each([
  ['with ALL_OLD (as DynamoDB)', 'allOld'],
  ['without ALL_OLD (one read decides)', 'plain'],
])(
  'write protocol v3 over real sockets %s: a copy that reaches the server after the store decided',
  (_name, which) => {
    const proxy = () => proxies[which] as DynamoProxy;

    it('patch: the re-send lands, the held copy arrives after a rival patch and is refused (400)', async () => {
      const { subject, rival } = singleCopyPair(proxy());
      await subject.put('log', { ids: [] });
      const held = holdCopy(proxy(), 'UpdateItem');
      const runs = { count: 0 };
      expect(await subject.patch<Log>('log', appender('subject', runs))).toEqual({ ids: [] });
      expect(runs.count).toBe(1);
      await rival.patch<Log>('log', appender('rival'));
      expect(await held.deliver()).toBe(400);
      expect(await rival.get<Log>('log')).toEqual({ ids: ['subject', 'rival'] });
    });

    it('field delete: the held copy is refused after a rival patch', async () => {
      const { subject, rival } = singleCopyPair(proxy());
      await subject.put('log', { token: 't', ids: [] });
      const held = holdCopy(proxy(), 'UpdateItem');
      await subject.delete('log', ['token']);
      await rival.patch<Log>('log', appender('rival'));
      expect(await held.deliver()).toBe(400);
      expect(await rival.get<Log>('log')).toEqual({ ids: ['rival'] });
    });

    it('put: the held copy finds its id in the history after a rival patch and is refused', async () => {
      const { subject, rival } = singleCopyPair(proxy());
      await subject.put('log', { ids: ['before'] });
      const held = holdCopy(proxy(), 'UpdateItem');
      await subject.put('log', { ids: ['put'] });
      await rival.patch<Log>('log', appender('rival'));
      expect(await held.deliver()).toBe(400);
      expect(await rival.get<Log>('log')).toEqual({ ids: ['put', 'rival'] });
    });

    it('delete: the held copy arrives after a rival put and is refused; the put survives', async () => {
      const { subject, rival } = singleCopyPair(proxy());
      await subject.put('log', { ids: ['before'] });
      const held = holdCopy(proxy(), 'UpdateItem');
      await subject.delete('log');
      await rival.put('log', { ids: ['rival-put'] });
      expect(await held.deliver()).toBe(400);
      expect(await rival.get<Log>('log')).toEqual({ ids: ['rival-put'] });
    });

    it('put lost, then a delete, then the put re-sent: refused by the tombstone; the secret stays deleted', async () => {
      const { subject, rival } = pair(proxy());
      const schedule = loseResponseAfter(proxy(), () => rival.delete('log'));
      await expect(subject.put('log', { ids: ['put'] })).resolves.toBe(true);
      await schedule;
      expect(await rival.exists('log')).toBe(false);
    });
  },
);

describe('items written by write protocol v1', () => {
  it('still read, and become v2 on their next write', async () => {
    const namespace = uniqueNamespace('v1');
    const store = new SecretsStore({ tableName, namespace, keyring, client: rawClient });
    await store.put('legacy', { token: 'abc' });
    // What v1 left: the same attributes, a UUID writeId and no history beyond it.
    const [written] = await itemsOf(namespace);
    const v1Item = Object.fromEntries(
      Object.entries(written ?? {}).filter(([name]) => !name.startsWith('priorWriteId')),
    );
    v1Item.writeId = { S: '6f1c1c64-58a0-4b37-9d53-7c0b3b0e3a51' };
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await rawClient.send(new PutItemCommand({ TableName: tableName, Item: v1Item }));

    expect(await store.get('legacy')).toEqual({ token: 'abc' });
    expect(await store.patch('legacy', { siteId: 1 })).toEqual({ token: 'abc' });
    const [upgraded] = await itemsOf(namespace);
    expect(upgraded?.priorWriteId1?.S).toBe('6f1c1c64-58a0-4b37-9d53-7c0b3b0e3a51');
    expect(upgraded?.version?.N).toBe('2');
  });
});
