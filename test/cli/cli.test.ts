/**
 * The built CLI as a child process against `--local` in a temporary folder.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient, startDynalite } from '../support/dynamodb.ts';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';

const BIN = join(import.meta.dirname, '../../packages/cli/bin/secrets-store.mjs');
const workdir = useTemporaryFolder('secrets-store-cli-');

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: string[], options: { input?: string; cwd?: string } = {}): Result {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? workdir(),
    input: options.input ?? '',
    encoding: 'utf8',
    env: {
      ...process.env,
      SECRETS_STORE_TABLE: '',
      SECRETS_STORE_KEY_ID: '',
      SECRETS_STORE_NAMESPACE: '',
    },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A failure: a non-zero exit and exactly one line on stderr, with no stack trace. */
function expectOneLineError(result: Result, code: number, message: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('commands on the local store', () => {
  it('put, get, get --fields, patch, exists, list, delete --fields, delete, purge --yes', () => {
    expect(cli(['--local', 'put', 'authToken', '{"token":"abc","siteId":123}'])).toMatchObject({
      code: 0,
      stdout: 'true\n',
    });
    // a second process sees the first one's data
    expect(cli(['--local', 'get', 'authToken']).stdout).toBe('{"token":"abc","siteId":123}\n');
    expect(cli(['get', 'authToken', '--fields', 'siteId', '--local']).stdout).toBe(
      '{"siteId":123}\n',
    );
    expect(cli(['--local', 'patch', 'authToken', '{"token":"new"}']).stdout).toBe(
      '{"token":"abc","siteId":123}\n',
    );
    expect(cli(['--local', 'get', 'authToken']).stdout).toBe('{"token":"new","siteId":123}\n');
    expect(cli(['--local', 'exists', 'authToken'])).toMatchObject({ code: 0, stdout: 'true\n' });
    expect(cli(['--local', 'exists', 'missing'])).toMatchObject({ code: 1, stdout: 'false\n' });
    expect(cli(['--local', 'get', 'missing'])).toMatchObject({ code: 0, stdout: '{}\n' });
    expect(cli(['--local', 'put', 'second', '{}']).code).toBe(0);
    // several keys: one object keyed by name, of the keys that exist (one getMany)
    expect(cli(['--local', 'get', 'authToken', 'second', 'missing']).stdout).toBe(
      '{"authToken":{"token":"new","siteId":123},"second":{}}\n',
    );
    expect(cli(['--local', 'get', 'authToken', 'second', '--fields', 'siteId']).stdout).toBe(
      '{"authToken":{"siteId":123},"second":{}}\n',
    );
    expect(cli(['--local', 'list'])).toMatchObject({
      code: 0,
      stdout: '["authToken","second"]\n',
      stderr: '',
    });
    expect(cli(['--local', 'delete', 'authToken', '--fields', 'token']).stdout).toBe('true\n');
    expect(cli(['--local', 'get', 'authToken']).stdout).toBe('{"siteId":123}\n');
    expect(cli(['--local', 'delete', 'authToken']).stdout).toBe('true\n');
    expect(cli(['--local', 'exists', 'authToken']).code).toBe(1);
    expect(cli(['--local', 'purge', '--yes'])).toMatchObject({
      code: 0,
      stdout: '{"namespace":"local","deleted":1}\n',
      stderr: '',
    });
    expect(cli(['--local', 'list']).stdout).toBe('[]\n');
  });

  it('reads the value from stdin (-) and from --file, so it need not be in shell history', () => {
    const dir = join(workdir(), 'input');
    expect(
      cli([`--local=${dir}`, 'put', 'fromStdin', '-'], { input: '{"token":"s3cr3t"}' }).code,
    ).toBe(0);
    expect(cli([`--local=${dir}`, 'get', 'fromStdin']).stdout).toBe('{"token":"s3cr3t"}\n');
    const file = join(workdir(), 'value.json');
    writeFileSync(file, '{\n  "url": "https://hooks.example/private"\n}\n');
    expect(cli([`--local=${dir}`, 'patch', 'fromStdin', '--file', file]).code).toBe(0);
    expect(JSON.parse(cli([`--local=${dir}`, 'get', 'fromStdin']).stdout)).toEqual({
      token: 's3cr3t',
      url: 'https://hooks.example/private',
    });
  });

  it('--namespace keeps namespaces apart', () => {
    const dir = join(workdir(), 'namespaces');
    cli([`--local=${dir}`, '--namespace', 'app:1', 'put', 'k', '{"v":1}']);
    cli([`--local=${dir}`, '--namespace', 'app:2', 'put', 'k', '{"v":2}']);
    expect(cli([`--local=${dir}`, '--namespace', 'app:1', 'get', 'k']).stdout).toBe('{"v":1}\n');
    expect(cli([`--local=${dir}`, '--namespace', 'app:2', 'list']).stdout).toBe('["k"]\n');
  });

  it('two commands at once on one store both succeed (the second waits)', async () => {
    const dir = join(workdir(), 'concurrent');
    const { spawn } = await import('node:child_process');
    const runAsync = (key: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [BIN, `--local=${dir}`, 'put', key, '{"a":1}'], {
          cwd: workdir(),
        });
        child.on('close', resolve);
      });
    expect(await Promise.all([runAsync('a'), runAsync('b'), runAsync('c')])).toEqual([0, 0, 0]);
    expect(cli([`--local=${dir}`, 'list']).stdout).toBe('["a","b","c"]\n');
  });
});

describe('the key file', () => {
  it('is created with mode 0600, and one readable by others is refused with the fix', () => {
    const dir = join(workdir(), 'keyfile');
    expect(cli([`--local=${dir}`, 'put', 'k', '{"a":1}']).code).toBe(0);
    const keyFile = join(dir, 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    chmodSync(keyFile, 0o644);
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k']),
      3,
      /mode 0644, readable by others; fix it with: chmod 600 /,
    );
    chmodSync(keyFile, 0o600);
    expect(cli([`--local=${dir}`, 'get', 'k']).stdout).toBe('{"a":1}\n');
  });

  it('an unreadable or corrupt key file is a one-line store error', () => {
    const unreadable = join(workdir(), 'unreadable');
    mkdirSync(join(unreadable, 'master.key'), { recursive: true });
    expectOneLineError(
      cli([`--local=${unreadable}`, 'put', 'k', '{}']),
      3,
      /cannot read the key file .*EISDIR/,
    );
    const corrupt = join(workdir(), 'corrupt-key');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'master.key'), 'not base64 of 32 bytes\n', { mode: 0o600 });
    expectOneLineError(cli([`--local=${corrupt}`, 'put', 'k', '{}']), 3, /key file .* is corrupt/);
  });
});

describe('--version and --raw', () => {
  it('--version prints the package version and exits 0', () => {
    const { version } = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../packages/cli/package.json'), 'utf8'),
    );
    expect(cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(cli(['-V']).stdout).toBe(`${version}\n`);
  });

  it('get --raw prints one field as it is, for a pipe: no quotes, no newline', () => {
    const dir = join(workdir(), 'raw');
    expect(
      cli([`--local=${dir}`, 'put', 'k', '{"token":"a b\\"c","n":5,"o":{"x":[1]}}']).code,
    ).toBe(0);
    expect(cli([`--local=${dir}`, 'get', 'k', '--fields', 'token', '--raw'])).toEqual({
      code: 0,
      stdout: 'a b"c',
      stderr: '',
    });
    expect(cli([`--local=${dir}`, 'get', 'k', '--fields', 'n', '-n']).stdout).toBe('5');
    expect(cli([`--local=${dir}`, 'get', 'k', '--fields', 'o', '-n']).stdout).toBe('{"x":[1]}');
  });

  it('get --raw without one field, or of a missing field, is refused', () => {
    const dir = join(workdir(), 'raw');
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k', '--raw']),
      2,
      /^secrets-store: --raw prints one field of one secret: name one key and the field with --fields, e.g. get authToken --fields token --raw\n$/,
    );
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k', '--fields', 'token,n', '--raw']),
      2,
      /--raw prints one field of one secret/,
    );
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k', 'other', '--fields', 'token', '--raw']),
      2,
      /--raw prints one field of one secret/,
    );
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k', '--fields', 'nope', '--raw']),
      1,
      /^secrets-store: secret "k" has no field "nope"\n$/,
    );
  });
});

describe('bad input: one line on stderr, a non-zero exit, nothing stored', () => {
  it.each([
    [
      'invalid JSON, with its position',
      ['put', 'k', '{"a":'],
      2,
      /^secrets-store: invalid JSON in the argument at line 1, column 6 \(position 5\): a value was expected; in a shell, put the JSON in single quotes: '\{"token":"abc"\}'\n$/,
    ],
    [
      'JSON whose quotes the shell ate, in words and with the quoting hint',
      ['put', 'k', '{token:abc}'],
      2,
      /^secrets-store: invalid JSON in the argument at line 1, column 2 \(position 1\): an unexpected character \(field names and strings take double quotes\); in a shell, put the JSON in single quotes: '\{"token":"abc"\}'\n$/,
    ],
    [
      'a value that is not an object',
      ['put', 'k', '[1,2]'],
      2,
      /must be a JSON object .* holds an array/,
    ],
    ['a value with a __proto__ field', ['put', 'k', '{"__proto__":{"x":1}}'], 2, /__proto__/],
    ['a missing key argument', ['get'], 2, /missing required argument 'key'/],
    ['a missing value', ['put', 'k'], 2, /missing value/],
    ['an unknown command', ['frobnicate'], 2, /unknown command 'frobnicate'/],
    ['purge without --yes', ['purge'], 2, /add --yes to confirm/],
    [
      'a key over 1024 bytes',
      ['put', 'k'.repeat(1025), '{}'],
      2,
      /1025 UTF-8 bytes, the limit is 1024/,
    ],
  ])('%s', (_name, args, code, message) => {
    const dir = join(workdir(), 'bad-input');
    expectOneLineError(cli([`--local=${dir}`, ...args]), code, message);
    expect(cli([`--local=${dir}`, 'list']).stdout).toBe('[]\n');
  });

  it('invalid JSON is reported without echoing the secret', () => {
    const result = cli(['--local', 'put', 'k', '{"token": hunter2}']);
    expectOneLineError(result, 2, /position 10/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('--local with AWS options is refused rather than silently ignoring them', () => {
    expectOneLineError(
      cli(['--local', '--table', 'secrets', '--key-id', 'alias/x', 'get', 'k']),
      2,
      /--local cannot be combined with --table, --key-id/,
    );
  });

  it('without --local or AWS settings, it says what is missing', () => {
    expectOneLineError(cli(['get', 'k']), 2, /pass --local \[dir\] .* or --table/);
  });

  it('a tampered local store: a ciphertext moved to another key fails to decrypt', async () => {
    const dir = join(workdir(), 'tampered');
    cli([`--local=${dir}`, 'put', 'admin', '{"token":"admin-secret"}']);
    cli([`--local=${dir}`, 'put', 'guest', '{"token":"guest"}']);
    const server = await startDynalite({ path: join(dir, 'db') });
    const client = localDynamoDBClient(server.endpoint);
    const admin = await client.send(
      new GetItemCommand({ TableName: 'secrets', Key: { pk: { S: 'local' }, sk: { S: 'admin' } } }),
    );
    await client.send(
      new PutItemCommand({ TableName: 'secrets', Item: { ...admin.Item, sk: { S: 'guest' } } }),
    );
    client.destroy();
    await server.stop();
    const result = cli([`--local=${dir}`, 'get', 'guest']);
    expectOneLineError(result, 3, /secret "guest" in namespace local failed authentication/);
    expect(result.stderr).not.toContain('admin-secret');
  });

  it('a corrupt local store is a one-line store error', () => {
    const dir = join(workdir(), 'corrupt-db');
    cli([`--local=${dir}`, 'put', 'k', '{"a":1}']);
    writeFileSync(join(dir, 'db', 'CURRENT'), 'garbage\n');
    expectOneLineError(
      cli([`--local=${dir}`, 'get', 'k']),
      3,
      /local store in .* (corrupt|failed)/,
    );
  });
});

describe('progress on a terminal', () => {
  it('list and purge draw a live count on a terminal (through script(1)), and print the same JSON', async () => {
    const dir = join(workdir(), 'progress');
    cli([`--local=${dir}`, 'put', 'seed', '{}']);
    const server = await startDynalite({ path: join(dir, 'db') });
    const client = localDynamoDBClient(server.endpoint);
    for (let start = 0; start < 500; start += 25) {
      const requests = Array.from({ length: 25 }, (_, index) => ({
        PutRequest: { Item: { pk: { S: 'local' }, sk: { S: `k${start + index}` } } },
      }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { secrets: requests } }));
    }
    client.destroy();
    await server.stop();
    const onTerminal = (command: string) =>
      spawnSync(
        'script',
        ['-qec', `${process.execPath} ${BIN} --local=${dir} ${command}`, '/dev/null'],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    const listed = onTerminal('list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('listing');
    expect(listed.stdout).toContain('"k499"');
    const purged = onTerminal('purge --yes');
    expect(purged.status).toBe(0);
    expect(purged.stdout).toContain('deleting');
    expect(purged.stdout).toMatch(/"deleted": 501/);
  });
});

describe('help', () => {
  it.each(['get', 'put', 'patch', 'delete', 'exists', 'list', 'purge', 'demo'])(
    '%s --help shows an example',
    (command) => {
      const result = cli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Example:\n\s+\$ secrets-store/);
    },
  );

  it('--help lists the exit codes', () => {
    expect(cli(['--help']).stdout).toMatch(/Exit codes:[\s\S]*3 {2}store error/);
  });
});

describe('npm run demo', () => {
  it('runs the example end to end and ends with the counter at 50 and an empty namespace', () => {
    const result = cli(['demo']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /50 concurrent invocations .* -> counter 50 \(all 50 in \d+ ms\)\n/,
    );
    // The concurrent calls have rows of their own, never averaged with the sequential ones.
    expect(result.stdout).toMatch(/\n\s+example handler \(50 at once\)\s+50\s/);
    expect(result.stdout).toMatch(/\n\s+get \(50 at once\)\s+50\s+50\s+0\s+1\.0 \+ 0\.0/);
    expect(result.stdout).toMatch(/\n\s+exists\s+2\s+2\s+0\s/);
    expect(result.stdout).toMatch(/siteId still 123/);
    expect(result.stdout).toMatch(
      /cleanup handler: deleted \d+ secrets?, complete: true -> keys\(\) \[\]/,
    );
    expect(result.stdout).toMatch(
      /What each operation cost\n\s+operation\s+calls\s+DynamoDB\s+keyring/,
    );
    expect(result.stdout).toMatch(/\n\s+exists\s+\d+\s+\d+\s+0\s+1\.0 \+ 0\.0/);
  });
});
