/**
 * Grants follow the commands (DESIGN.md, "Infrastructure"): every store operation runs against
 * the in-process table and a KMS on loopback, the requests it really sends are recorded, and
 * each IAM action they need must be in the synthesised policy of every grant that covers the
 * operation: `grantRead` (reads only), `grantReadWrite`, `configureFunction` (read and
 * read-write) and `grantRewrap`. A new operation is one more row of OPERATIONS; it cannot ship
 * ungranted. The grants are also pinned exactly, so a grant wider than the operations need
 * shows up here too, and docs/deploy.md's lists of actions are checked against them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { KmsKeyring, listNamespaces, SecretsStore } from '@secrets-store/core';
import { MemoryTable, type OperationName } from '@secrets-store/core/testing';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsStoreBackend } from '../../infra/lib/index.ts';
import { newApp } from '../support/cdkApp.ts';
import { allowedActions, documentedActions, iamActionsOf } from '../support/grantedActions.ts';
import {
  type KmsServer,
  LOCAL_KMS_KEY_ARN,
  LOCAL_KMS_SECOND_KEY_ARN,
  startKmsServer,
} from '../support/kmsServer.ts';

const TABLE = 'secrets';
const NAMESPACE = 'app:install-1';

/** Which grant must allow an operation. */
type Access = 'read' | 'readWrite' | 'rewrap';

/** What a row runs on: a fresh store (cold caches) over a table that holds `a` and `b`. */
interface World {
  readonly store: SecretsStore;
  readonly table: MemoryTable;
  /** Another store on the same table and KMS: a rival writer. */
  readonly rival: SecretsStore;
}

interface OperationRow {
  readonly operation: string;
  readonly access: Access;
  /** The KMS key that wrapped the seeded secrets: the previous one for a rewrap. @default current */
  readonly seededWith?: 'current' | 'previous';
  readonly run: (world: World) => Promise<unknown>;
}

/**
 * Every store operation, and the paths inside them that send other commands (a lost response,
 * a lost race, a refresh that takes the lease).
 */
const OPERATIONS: readonly OperationRow[] = [
  { operation: 'get', access: 'read', run: ({ store }) => store.get('a') },
  { operation: 'get of fields', access: 'read', run: ({ store }) => store.get('a', ['v']) },
  { operation: 'getMany', access: 'read', run: ({ store }) => store.getMany(['a', 'b', 'none']) },
  { operation: 'exists', access: 'read', run: ({ store }) => store.exists('a') },
  { operation: 'keys', access: 'read', run: ({ store }) => allKeys(store) },
  { operation: 'put (new)', access: 'readWrite', run: ({ store }) => store.put('c', { v: 3 }) },
  { operation: 'put (over)', access: 'readWrite', run: ({ store }) => store.put('a', { v: 9 }) },
  {
    operation: 'put whose response was lost',
    access: 'readWrite',
    run: ({ store, table }) => {
      table.loseResponseOfNext('UpdateItem');
      return store.put('a', { v: 9 });
    },
  },
  {
    operation: 'patch (merge)',
    access: 'readWrite',
    run: ({ store }) => store.patch('a', { w: 1 }),
  },
  {
    operation: 'patch (updater, new key)',
    access: 'readWrite',
    run: ({ store }) => store.patch('c', (previous) => ({ ...previous, n: 1 })),
  },
  {
    operation: 'patch that lost a race',
    access: 'readWrite',
    run: async ({ store, table, rival }) => {
      // The write a patch sends (learnt, not assumed: its kind is the write loop's business).
      await rival.patch('scratch', { n: 1 });
      const write = table.requests.at(-1)?.operation as OperationName;
      const paused = table.pauseNext(write);
      const patch = store.patch('a', { w: 1 });
      await paused.reached;
      await rival.put('a', { v: 5 });
      paused.release();
      return patch;
    },
  },
  {
    operation: 'delete of fields',
    access: 'readWrite',
    run: ({ store }) => store.delete('a', ['v']),
  },
  { operation: 'delete of a secret', access: 'readWrite', run: ({ store }) => store.delete('a') },
  { operation: 'delete of nothing', access: 'readWrite', run: ({ store }) => store.delete('none') },
  { operation: 'purge', access: 'readWrite', run: ({ store }) => store.purge() },
  {
    operation: 'refresh of a fresh value',
    access: 'read',
    run: ({ store }) => store.refresh('a', { needsRefresh: () => false, refresh: async (v) => v }),
  },
  {
    operation: 'refresh of an expired value (lease, upstream, fenced write)',
    access: 'readWrite',
    run: async ({ store }) => {
      const refreshed = await store.refresh<{ v?: number }>('a', {
        needsRefresh: () => true,
        refresh: async (value) => ({ ...value, v: 10 }),
      });
      expect(refreshed).toEqual({ v: 10 });
    },
  },
  {
    operation: 'rewrap',
    access: 'rewrap',
    seededWith: 'previous',
    run: async ({ store }) => {
      const summary = await store.rewrap();
      // A rewrap that moved nothing would send no ReEncrypt, and prove nothing.
      expect(summary).toMatchObject({ moved: 2, failed: 0 });
    },
  },
  {
    operation: 'rewrap --all-namespaces (listNamespaces)',
    access: 'rewrap',
    run: ({ table }) => listNamespaces({ client: table.client(), tableName: TABLE }),
  },
];

async function allKeys(store: SecretsStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys()) keys.push(key);
  return keys;
}

/** Which grantees (role logical id prefixes) each access needs. */
const GRANTEES: Record<Access, readonly string[]> = {
  read: ['Reader', 'Writer', 'ReadFunctionServiceRole', 'WriteFunctionServiceRole'],
  readWrite: ['Writer', 'WriteFunctionServiceRole'],
  rewrap: ['Operator'],
};

/**
 * Granted although no operation sends them today. `dynamodb:DeleteItem`: the read-write grant
 * is also what a user's own tools get to remove an item (the grants predate tombstones); kept
 * so that narrowing it stays a decision, not a side effect.
 */
const GRANTED_BEYOND_COMMANDS: Record<Access, readonly string[]> = {
  read: [],
  readWrite: ['dynamodb:DeleteItem'],
  rewrap: [],
};

let kms: KmsServer;
let template: Template;
/** The IAM actions each row's requests needed. */
const needed = new Map<string, Set<string>>();

beforeAll(async () => {
  kms = await startKmsServer();
  template = Template.fromStack(grantStack());
  for (const row of OPERATIONS) needed.set(row.operation, await actionsSentBy(row));
});

afterAll(async () => {
  await kms?.stop();
});

function grantStack(): Stack {
  const stack = new Stack(newApp(), 'Grants');
  const backend = new SecretsStoreBackend(stack, 'Secrets');
  const role = (id: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    });
  backend.grantRead(role('Reader'), { namespace: NAMESPACE });
  backend.grantReadWrite(role('Writer'));
  backend.grantRewrap(role('Operator'));
  backend.configureFunction(fn('ReadFunction'), { namespace: NAMESPACE, access: 'read' });
  backend.configureFunction(fn('WriteFunction'), { namespacePrefix: 'app:' });
  return stack;
}

/** Runs `row` on a fresh store and returns the IAM actions of every request it sent. */
async function actionsSentBy(row: OperationRow): Promise<Set<string>> {
  const table = new MemoryTable();
  const client = table.client();
  const keyring = (keyId: string, previousKeyIds: string[] = []) =>
    new KmsKeyring({ keyId, previousKeyIds, client: kms.client() });
  const seedKey = row.seededWith === 'previous' ? LOCAL_KMS_SECOND_KEY_ARN : LOCAL_KMS_KEY_ARN;
  const seeder = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    client,
    keyring: keyring(seedKey),
  });
  await seeder.put('a', { v: 1 });
  await seeder.put('b', { v: 2 });
  table.requests.length = 0;
  const kmsBefore = kms.received.length;
  const store = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    client,
    keyring: keyring(LOCAL_KMS_KEY_ARN, [LOCAL_KMS_SECOND_KEY_ARN]),
  });
  const rival = new SecretsStore({
    tableName: TABLE,
    namespace: NAMESPACE,
    client,
    keyring: keyring(LOCAL_KMS_KEY_ARN),
  });
  await row.run({ store, table, rival });
  // A hook that never met its request means the row did not take the path it names.
  expect(table.pendingHooks, row.operation).toBe(0);
  return new Set([
    ...table.requests.flatMap((request) =>
      iamActionsOf('dynamodb', request.operation, request.input),
    ),
    ...kms.received
      .slice(kmsBefore)
      .flatMap((request) => iamActionsOf('kms', request.operation, request.input)),
  ]);
}

function union(access: Access): string[] {
  const rows = OPERATIONS.filter((row) =>
    access === 'readWrite' ? row.access !== 'rewrap' : row.access === access,
  );
  return [
    ...new Set([
      ...rows.flatMap((row) => [...(needed.get(row.operation) ?? [])]),
      ...GRANTED_BEYOND_COMMANDS[access],
    ]),
  ].sort();
}

describe('every action a store operation sends is granted', () => {
  it.each(OPERATIONS.map((row) => [row.operation, row] as const))('%s', (_, row) => {
    const actions = [...(needed.get(row.operation) ?? [])].sort();
    expect(actions.length, `${row.operation} sent no request`).toBeGreaterThan(0);
    for (const grantee of GRANTEES[row.access]) {
      const allowed = allowedActions(template, grantee);
      expect(
        actions.filter((action) => !allowed.has(action)),
        `${row.operation} needs actions the ${grantee} grant lacks`,
      ).toEqual([]);
    }
  });
});

describe('each grant allows what its operations send, and nothing more', () => {
  it('grantRead and configureFunction({ access: "read" }): the reads only', () => {
    expect(union('read')).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'kms:Decrypt',
    ]);
    expect([...allowedActions(template, 'Reader')].sort()).toEqual(union('read'));
    // The function's own rights (its logs) come in a managed policy, not in these statements.
    expect([...allowedActions(template, 'ReadFunctionServiceRole')].sort()).toEqual(union('read'));
  });

  it('grantReadWrite and configureFunction: reads and writes', () => {
    expect([...allowedActions(template, 'Writer')].sort()).toEqual(union('readWrite'));
    expect([...allowedActions(template, 'WriteFunctionServiceRole')].sort()).toEqual(
      union('readWrite'),
    );
  });

  it('grantRewrap: what rewrap sends, and never kms:Decrypt', () => {
    expect([...allowedActions(template, 'Operator')].sort()).toEqual(union('rewrap'));
    expect(union('rewrap')).not.toContain('kms:Decrypt');
  });
});

describe('the documented lists of actions', () => {
  // The deploy page documents the grants between markers; a page that lists an action the grant
  // lacks (or misses one it has) fails here.
  const page = new URL('../../docs/deploy.md', import.meta.url);
  it.each([
    ['read', 'read'],
    ['readwrite', 'readWrite'],
    ['rewrap', 'rewrap'],
  ] as const)('docs/deploy.md <!-- grants:%s --> equals the grant', (marker, access) => {
    if (!existsSync(page)) return; // the page does not exist yet: nothing documents the grants
    const listed = documentedActions(readFileSync(page, 'utf8'), marker);
    if (listed === undefined && access === 'rewrap') return; // optional list
    expect(
      listed,
      `docs/deploy.md needs <!-- grants:${marker} --> ... <!-- /grants -->`,
    ).toBeDefined();
    expect([...(listed ?? [])].sort()).toEqual(union(access));
  });
});
