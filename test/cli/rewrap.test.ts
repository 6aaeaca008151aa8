/**
 * `secrets-store rewrap` against "AWS": the real SDK clients pointed at dynalite and the KMS
 * stand-in (which implements ReEncrypt) through AWS_ENDPOINT_URL_DYNAMODB / _KMS. Secrets written
 * under the first key move to the second; one secret under a key in neither list is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecretsTable,
  localDynamoDBClient,
  type RunningDynamoDB,
  startDynalite,
} from '../support/dynamodb.ts';
import {
  type KmsServer,
  LOCAL_KMS_SECOND_KEY_ARN as NEW_KEY,
  LOCAL_KMS_KEY_ARN as OLD_KEY,
  startKmsServer,
  LOCAL_KMS_THIRD_KEY_ARN as UNLISTED_KEY,
} from '../support/kmsServer.ts';
import { type CliResult, expectOneLineError, runCliAgainst } from './runCli.ts';

let dynamodb: RunningDynamoDB;
let kms: KmsServer;
let tableCount = 0;

beforeAll(async () => {
  dynamodb = await startDynalite();
  kms = await startKmsServer();
});

afterAll(async () => {
  await kms.stop();
  await dynamodb.stop();
});

/** A new empty table: --all-namespaces scans a whole table, so each test has its own. */
async function newTable(): Promise<string> {
  const name = `rewrap-${++tableCount}`;
  const client = localDynamoDBClient(dynamodb.endpoint);
  await createSecretsTable(client, name);
  client.destroy();
  return name;
}

/** Runs the CLI against the stand-ins of this file. */
function cli(args: string[], environment: Record<string, string> = {}): Promise<CliResult> {
  return runCliAgainst({ dynamodb: dynamodb.endpoint, kms: kms.endpoint }, args, environment);
}

/** The arguments of `command` on one namespace of `table`, under `keyId`. */
function scoped(table: string, keyId: string, namespace: string, ...command: string[]): string[] {
  return ['--table', table, '--key-id', keyId, '--namespace', namespace, ...command];
}

/** Writes `value` under `keyId` and checks it landed. */
async function put(table: string, keyId: string, namespace: string, key: string, value: string) {
  const result = await cli(scoped(table, keyId, namespace, 'put', key, value));
  expect(result).toMatchObject({ code: 0, stdout: 'true\n' });
}

/** Reads with a keyring that knows the new key only: the proof that a secret moved. */
async function readWithNewKeyOnly(table: string, namespace: string, key: string) {
  const result = await cli(scoped(table, NEW_KEY, namespace, 'get', key));
  return result.code === 0 ? result.stdout.trim() : `exit ${result.code}`;
}

const reEncrypts = () => kms.requests.get('ReEncrypt') ?? 0;

describe('rewrap against KMS', () => {
  it('moves every secret of one namespace to the current key, and a rerun finds them current', async () => {
    const table = await newTable();
    await put(table, OLD_KEY, 'app:one', 'a', '{"token":"alpha"}');
    await put(table, OLD_KEY, 'app:one', 'b', '{"token":"bravo"}');
    await put(table, OLD_KEY, 'app:two', 'c', '{"token":"charlie"}');
    const before = reEncrypts();
    const args = scoped(table, NEW_KEY, 'app:one', 'rewrap');

    const result = await cli([...args, '--previous-key-id', OLD_KEY]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      namespaces: [{ namespace: 'app:one', moved: 2, alreadyCurrent: 0, failed: 0 }],
      moved: 2,
      alreadyCurrent: 0,
      failed: 0,
      failures: [],
    });
    expect(reEncrypts()).toBe(before + 2); // the data keys moved inside KMS
    expect(await readWithNewKeyOnly(table, 'app:one', 'a')).toBe('{"token":"alpha"}');
    expect(await readWithNewKeyOnly(table, 'app:one', 'b')).toBe('{"token":"bravo"}');
    expect(await readWithNewKeyOnly(table, 'app:two', 'c')).toBe('exit 3'); // not this namespace

    const rerun = await cli([...args, '--previous-key-id', OLD_KEY]);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ moved: 0, alreadyCurrent: 2, failed: 0 });
    expect(reEncrypts()).toBe(before + 2);
  });

  it('--all-namespaces moves every namespace of the table, previous keys from SECRETS_STORE_PREVIOUS_KEY_IDS', async () => {
    const table = await newTable();
    await put(table, OLD_KEY, 'n1', 'a', '{"v":1}');
    await put(table, OLD_KEY, 'n1', 'b', '{"v":2}');
    await put(table, OLD_KEY, 'n2', 'c', '{"v":3}');
    await put(table, NEW_KEY, 'n3', 'd', '{"v":4}'); // already on the new key

    const result = await cli(
      ['--table', table, '--key-id', NEW_KEY, 'rewrap', '--all-namespaces'],
      {
        SECRETS_STORE_PREVIOUS_KEY_IDS: `${UNLISTED_KEY}, ${OLD_KEY}`,
      },
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      namespaces: [
        { namespace: 'n1', moved: 2, alreadyCurrent: 0, failed: 0 },
        { namespace: 'n2', moved: 1, alreadyCurrent: 0, failed: 0 },
        { namespace: 'n3', moved: 0, alreadyCurrent: 1, failed: 0 },
      ],
      moved: 3,
      alreadyCurrent: 1,
      failed: 0,
      failures: [],
    });
    expect(await readWithNewKeyOnly(table, 'n1', 'a')).toBe('{"v":1}');
    expect(await readWithNewKeyOnly(table, 'n1', 'b')).toBe('{"v":2}');
    expect(await readWithNewKeyOnly(table, 'n2', 'c')).toBe('{"v":3}');
  });

  it('a secret under a key in neither list: exit 3, listed by key (never its value), the others moved', async () => {
    const table = await newTable();
    await put(table, OLD_KEY, 'app', 'a', '{"token":"alpha-value"}');
    await put(table, UNLISTED_KEY, 'app', 'stray', '{"token":"stray-value"}');
    await put(table, OLD_KEY, 'app', 'z', '{"token":"zulu-value"}');

    const result = await cli(scoped(table, NEW_KEY, 'app', 'rewrap', '--previous-key-id', OLD_KEY));

    expect(result.code).toBe(3);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      namespaces: [{ namespace: 'app', moved: 2, alreadyCurrent: 0, failed: 1 }],
      moved: 2,
      failed: 1,
      failures: [{ namespace: 'app', key: 'stray', code: 'DECRYPTION_FAILED' }],
    });
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^secrets-store: 1 secret could not be moved to the current key: "stray" in app \(DECRYPTION_FAILED\); give the key each was wrapped by with --previous-key-id/,
    );
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/-value/);
    expect(await readWithNewKeyOnly(table, 'app', 'a')).toBe('{"token":"alpha-value"}');
    expect(await readWithNewKeyOnly(table, 'app', 'z')).toBe('{"token":"zulu-value"}');
  });

  it('refuses mistakes before any call: two scopes, no scope, an alias as a previous key, an empty entry', async () => {
    const base = ['--table', 'rewrap-none', '--key-id', NEW_KEY];
    const before = kms.received.length;
    expectOneLineError(
      await cli([...base, '--namespace', 'n', 'rewrap', '--all-namespaces']),
      2,
      /--all-namespaces cannot be combined with --namespace/,
    );
    expectOneLineError(
      await cli([...base, 'rewrap']),
      2,
      /rewrap needs --namespace \(or SECRETS_STORE_NAMESPACE\), or --all-namespaces/,
    );
    expectOneLineError(
      await cli([...base, '--namespace', 'n', 'rewrap', '--previous-key-id', 'alias/old']),
      2,
      /previousKeyIds\[0\] is the alias alias\/old: give the key ARN it pointed to/,
    );
    expectOneLineError(
      await cli([...base, '--namespace', 'n', 'rewrap'], {
        SECRETS_STORE_PREVIOUS_KEY_IDS: `${OLD_KEY},,`,
      }),
      2,
      /SECRETS_STORE_PREVIOUS_KEY_IDS has an empty entry/,
    );
    expect(kms.received.length).toBe(before);
  });
});
