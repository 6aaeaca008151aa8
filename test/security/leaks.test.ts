/**
 * A canary secret is stored, then every error path is triggered: tampering, KMS failure,
 * DynamoDB failure, validation, conflict, size. The canary appears in no message, cause chain,
 * toString(), JSON, util.inspect() of the error, and in no log line.
 */
import { inspect } from 'node:util';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { KmsKeyring, SecretsStore, SecretsStoreError } from '@secrets-store/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeKms, KEY_ARN } from '../support/fakeKms.ts';
import { type FakeTable, fakeTable } from '../support/fakeTable.ts';

const CANARY = 'canary-9b2e7f-never-print-me';
const NAMESPACE = 'app:1';
let table: FakeTable;
let kms: ReturnType<typeof fakeKms>;
let store: SecretsStore;
let logged: string[];

beforeEach(async () => {
  table = fakeTable();
  kms = fakeKms();
  logged = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => inspect(arg, { depth: 10 })).join(' '));
    });
  }
  store = new SecretsStore({
    tableName: 'secrets',
    namespace: NAMESPACE,
    keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
    client: table.client,
    patchRetry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
  });
  await store.put('secret', { token: CANARY, nested: { list: [CANARY] } });
});

afterEach(() => {
  table.dynamodb.restore();
  kms.kms.restore();
  vi.restoreAllMocks();
});

/** Every rendering of an error a program or a logger might produce, causes included. */
function renderings(error: unknown): string[] {
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    texts.push(
      String(current),
      JSON.stringify(current) ?? '',
      inspect(current, { depth: 10, showHidden: true }),
    );
    if (current instanceof Error) texts.push(current.message, current.stack ?? '');
    current = current instanceof Error ? current.cause : undefined;
  }
  return texts;
}

async function failure(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe(`the canary never leaks`, () => {
  const paths: [string, () => Promise<unknown>][] = [
    [
      'tampered ciphertext',
      async () => {
        const item = await table.item(NAMESPACE, 'secret');
        const bytes = Buffer.from(item?.ciphertext?.B ?? []);
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
        await table.putItem({ ...item, ciphertext: { B: bytes } });
        const cold = new SecretsStore({
          tableName: 'secrets',
          namespace: NAMESPACE,
          keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
          client: table.client,
        });
        return cold.get('secret');
      },
    ],
    [
      'KMS Decrypt failure',
      async () => {
        kms.kms
          .on(DecryptCommand)
          .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
        return new SecretsStore({
          tableName: 'secrets',
          namespace: NAMESPACE,
          keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
          client: table.client,
        }).get('secret');
      },
    ],
    [
      'KMS GenerateDataKey failure with a raw response that holds the data key',
      async () => {
        kms.kms.on(GenerateDataKeyCommand).rejects(
          Object.assign(new Error('Deserialization error'), {
            $response: {
              body: JSON.stringify({ Plaintext: Buffer.from(CANARY).toString('base64') }),
            },
          }),
        );
        return store.put('other', { token: CANARY });
      },
    ],
    [
      'DynamoDB failure',
      async () => {
        table.dynamodb.on(UpdateItemCommand).rejects(
          Object.assign(new Error('Internal server error'), {
            name: 'InternalServerError',
            $fault: 'server',
          }),
        );
        return store.put('secret', { token: CANARY });
      },
    ],
    [
      'validation of a value holding the canary',
      () => store.put('secret', { token: CANARY, bad: () => CANARY } as never),
    ],
    [
      'validation of a canary-named Symbol',
      () => store.put('secret', { token: Symbol(CANARY) } as never),
    ],
    ['a value too large', () => store.put('secret', { token: CANARY.repeat(20_000) })],
    [
      'a conflict that outlasts the retries',
      async () => {
        // Every write of this store loses to a rival that writes just before it.
        const rival = new SecretsStore({
          tableName: 'secrets',
          namespace: NAMESPACE,
          keyring: new KmsKeyring({ keyId: KEY_ARN, client: kms.client }),
          client: table.memory.client(),
        });
        const direct = table.memory.client();
        table.dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
          await rival.patch('secret', (value) => ({ ...value, rival: Date.now() }));
          return direct.send(new UpdateItemCommand(input));
        });
        return store.patch('secret', (value) => ({ ...value, more: CANARY }));
      },
    ],
    [
      'an updater returning an invalid value',
      () => store.patch('secret', (value) => ({ ...value, when: new Date() }) as never),
    ],
  ];

  it.each(paths)('%s', async (_name, action) => {
    const error = await failure(action);
    expect(error).toBeInstanceOf(SecretsStoreError);
    for (const text of renderings(error)) expect(text).not.toContain(CANARY);
    for (const line of logged) expect(line).not.toContain(CANARY);
  });

  it('the base64 of the canary does not appear either', async () => {
    const encoded = Buffer.from(CANARY).toString('base64');
    const error = await failure(paths[2]?.[1] ?? (() => Promise.resolve()));
    for (const text of renderings(error)) expect(text).not.toContain(encoded);
  });
});
