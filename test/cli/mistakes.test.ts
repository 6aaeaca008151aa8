/**
 * Issue 12: the mistakes a new user makes are refused with one clear line and exit code 2
 * (usage) or 3 (store), never accepted silently. The built CLI as a child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';
import { CLEAN_ENVIRONMENT, type CliResult, expectOneLineError, runCli } from './runCli.ts';

const workdir = useTemporaryFolder('secrets-store-mistakes-');
const cli = (
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
) => runCli(args, { cwd: workdir(), ...options });

/** A local store (database and key) in a fresh folder, holding the given secrets. */
function storeWith(name: string, secrets: Record<string, object>): string {
  const dir = join(workdir(), name);
  mkdirSync(dir);
  expect(cli([`--local=${dir}`, 'put', 'seed', '{}']).code).toBe(0);
  expect(cli([`--local=${dir}`, 'delete', 'seed']).code).toBe(0);
  for (const [key, value] of Object.entries(secrets)) {
    expect(cli([`--local=${dir}`, 'put', key, JSON.stringify(value)]).code).toBe(0);
  }
  return dir;
}

describe('arguments', () => {
  it("--namespace '' is refused (a namespace is 1 to 256 characters), nothing is written", () => {
    const dir = storeWith('empty-namespace', {});
    expectOneLineError(
      cli([`--local=${dir}`, '--namespace', '', 'put', 'k', '{"a":1}']),
      2,
      /namespace must not be empty/,
    );
    expect(cli([`--local=${dir}`, 'list']).stdout).toBe('[]\n');
  });

  it("--namespace '' is refused against AWS too, not taken as unset", () => {
    expectOneLineError(
      cli(['--namespace', '', '--table', 't', '--key-id', 'alias/k', 'get', 'k']),
      2,
      /namespace must not be empty/,
    );
  });

  it.each([
    [['put', 'k', '{"a":1}', 'extra'], /too many arguments for 'put'/],
    // (get takes several keys: `get k extra` reads both)
    [['exists', 'k', 'extra'], /too many arguments for 'exists'/],
    [['list', 'extra'], /too many arguments for 'list'/],
    [['delete', 'k', 'j'], /too many arguments for 'delete'/],
  ])('extra arguments are refused: %j', (args, message) => {
    const dir = storeWith(`extra-${args[0]}`, {});
    expectOneLineError(cli([`--local=${dir}`, ...args]), 2, message);
    expect(cli([`--local=${dir}`, 'list']).stdout).toBe('[]\n');
  });

  it.each([[['--local', 'frob']], [['--local', 'frob', 'k']]])(
    '%j: a word after --local that is no folder is an unknown command, nothing is created',
    (args) => {
      const result = cli(args);
      expectOneLineError(result, 2, /unknown command 'frob'/);
      expect(result.stderr).toMatch(/--local \.\/frob/);
      expect(existsSync(join(workdir(), 'frob'))).toBe(false);
    },
  );

  it('--local with an existing folder as a separate word still works', () => {
    storeWith('existing', { k: { a: 1 } });
    expect(cli(['--local', 'existing', 'get', 'k'])).toMatchObject({
      code: 0,
      stdout: '{"a":1}\n',
    });
    expect(cli(['--local', './existing', 'get', 'k']).stdout).toBe('{"a":1}\n');
  });

  it("Commander's own errors carry the same prefix, on one line", () => {
    expectOneLineError(
      cli(['--local', 'get']),
      2,
      /^secrets-store: missing required argument 'key'/,
    );
    expectOneLineError(
      cli(['--nmespace', 'x', 'list']),
      2,
      /^secrets-store: unknown option '--nmespace' \(Did you mean --namespace\?\)$/m,
    );
    expectOneLineError(
      cli(['get', 'k', '--fields']),
      2,
      /^secrets-store: option '--fields <names>' argument missing/,
    );
  });

  it('the top-level --help has examples', () => {
    const result = cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Examples:\n\s+\$ secrets-store --local put authToken/);
  });
});

describe('the network', () => {
  it('an unreachable DynamoDB endpoint: one line that names the reason (ECONNREFUSED host:port)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = cli(
      [
        '--table',
        't',
        '--key-id',
        'alias/k',
        '--namespace',
        'n',
        '--endpoint',
        `http://127.0.0.1:${port}`,
        'get',
        'k',
      ],
      { env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' } },
    );
    expectOneLineError(
      result,
      3,
      new RegExp(
        `DynamoDB failed the get of "k" in namespace n \\(table t\\).*ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
      ),
    );
  });
});

describe('the key file', () => {
  it('a deleted master.key in a store that holds secrets is refused with how to restore it, never replaced', () => {
    const dir = storeWith('lost-key', { k: { token: 'abc' } });
    unlinkSync(join(dir, 'master.key'));
    for (const args of [['get', 'k'], ['put', 'other', '{"b":2}'], ['list']]) {
      expectOneLineError(
        cli([`--local=${dir}`, ...args]),
        3,
        /holds secrets but its key file .*master\.key is missing: restore it from a backup/,
      );
      expect(existsSync(join(dir, 'master.key'))).toBe(false);
    }
  });

  it('a missing master.key in a store with no secrets: reads create nothing, the first write makes a key', () => {
    const dir = storeWith('emptied', { k: { a: 1 } });
    expect(cli([`--local=${dir}`, 'delete', 'k']).code).toBe(0);
    unlinkSync(join(dir, 'master.key'));
    expect(cli([`--local=${dir}`, 'get', 'k'])).toMatchObject({ code: 0, stdout: '{}\n' });
    expect(cli([`--local=${dir}`, 'list'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    expect(cli([`--local=${dir}`, 'put', 'k', '{"a":2}']).code).toBe(0);
    expect(existsSync(join(dir, 'master.key'))).toBe(true);
    expect(cli([`--local=${dir}`, 'get', 'k']).stdout).toBe('{"a":2}\n');
  });
});

describe('read-only commands never create a store or a key', () => {
  it.each([[['get', 'k']], [['list']], [['exists', 'k']]])(
    '%j on a folder with no store',
    (args) => {
      const dir = join(workdir(), `nothing-${args[0]}`);
      expectOneLineError(
        cli([`--local=${dir}`, ...args]),
        3,
        /no local store in .*nothing-.*: a put creates one/,
      );
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('get on an empty folder creates no database and no key in it', () => {
    const dir = join(workdir(), 'empty-folder');
    mkdirSync(dir);
    expectOneLineError(cli([`--local=${dir}`, 'get', 'k']), 3, /no local store in/);
    expect(existsSync(join(dir, 'db'))).toBe(false);
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
  });
});

describe('the store folder in a git repository', () => {
  it('a new store gets a .gitignore of *, so git add . never takes the master key', () => {
    const repository = join(workdir(), 'user-repository');
    mkdirSync(repository);
    expect(spawnSync('git', ['init', '-q'], { cwd: repository }).status).toBe(0);
    const put = runCli(['--local', './.secrets-store', 'put', 'k', '{"a":1}'], { cwd: repository });
    expect(put.code).toBe(0);
    expect(readFileSync(join(repository, '.secrets-store', '.gitignore'), 'utf8')).toBe(
      '# The local secrets store: its master key and database stay out of git.\n*\n',
    );
    const ignored = spawnSync('git', ['check-ignore', '.secrets-store/master.key'], {
      cwd: repository,
      encoding: 'utf8',
    });
    expect(ignored).toMatchObject({ status: 0, stdout: '.secrets-store/master.key\n' });
  });

  it('a folder that holds files of the user gets no .gitignore written into it', () => {
    const dir = join(workdir(), 'users-folder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(cli([`--local=${dir}`, 'put', 'k', '{"a":1}']).code).toBe(0);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
  });
});

describe('folders that cannot be a store', () => {
  it.each([[['list']], [['get', 'k']], [['put', 'k', '{}']]])(
    '--local ./package.json %j says it is not a folder',
    (args) => {
      writeFileSync(join(workdir(), 'package.json'), '{}');
      expectOneLineError(
        cli(['--local', './package.json', ...args]),
        3,
        /^secrets-store: cannot use .*\/package\.json as the local store: it is not a folder\n$/,
      );
    },
  );

  it('--local /proc/nope fails fast with one line (no recursive mkdir spin)', () => {
    const result = cli(['--local', '/proc/nope', 'put', 'k', '{}'], { timeoutMs: 10_000 });
    expect(result.code).not.toBeNull(); // null: killed by the timeout
    expectOneLineError(result, 3, /cannot create the local store \/proc\/nope: E[A-Z]+/);
  });

  it('a folder whose parent does not exist is refused, naming the parent', () => {
    const dir = join(workdir(), 'no-parent', 'store');
    expectOneLineError(
      cli([`--local=${dir}`, 'put', 'k', '{}']),
      3,
      /cannot create the local store .*no-parent\/store: its parent folder .*no-parent does not exist/,
    );
    expect(existsSync(join(workdir(), 'no-parent'))).toBe(false);
  });
});

describe('piped JSON from npm scripts', () => {
  const repo = join(import.meta.dirname, '../..');
  const npm = (args: string[]): CliResult => {
    const result = spawnSync('npm', args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, ...CLEAN_ENVIRONMENT },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('npm run --silent cli -- list prints the JSON alone', () => {
    const dir = storeWith('npm-silent', { k: {} });
    expect(npm(['run', '--silent', 'cli', '--', `--local=${dir}`, 'list'])).toMatchObject({
      code: 0,
      stdout: '["k"]\n',
    });
  });

  it('npx secrets-store list prints the JSON alone', () => {
    const dir = storeWith('npx', { k: {} });
    expect(npm(['exec', '--', 'secrets-store', `--local=${dir}`, 'list'])).toMatchObject({
      code: 0,
      stdout: '["k"]\n',
    });
  });
});
