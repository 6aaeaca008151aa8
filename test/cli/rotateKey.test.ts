/**
 * `secrets-store --local DIR rotate-key` end to end, as a child process: a new master key, every
 * secret of every namespace re-wrapped, the old key retired; a crash halfway (the test hook
 * SIGKILLs the process after N secrets) leaves both keys and a readable store, and a rerun
 * finishes that same rotation.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';
import { expectOneLineError, runCli } from './runCli.ts';

const workdir = useTemporaryFolder('secrets-store-rotate-');
let count = 0;

const SECRETS: readonly { namespace: string; key: string; value: string }[] = [
  { namespace: 'local', key: 'a', value: '{"token":"alpha","n":1}' },
  { namespace: 'local', key: 'b', value: '{"token":"bravo"}' },
  { namespace: 'local', key: 'c', value: '{"nested":{"deep":[1,2,3]}}' },
  { namespace: 'other:1', key: 'd', value: '{"token":"delta"}' },
];

/** A new store folder holding SECRETS; resolves to its path. */
function storeWithSecrets(): string {
  const dir = join(workdir(), `store-${++count}`);
  for (const { namespace, key, value } of SECRETS) {
    expect(
      runCli([`--local=${dir}`, '--namespace', namespace, 'put', key, value], { cwd: workdir() }),
    ).toMatchObject({ code: 0, stdout: 'true\n' });
  }
  return dir;
}

const cli = (dir: string, args: string[], env?: Record<string, string>) =>
  runCli([`--local=${dir}`, ...args], { cwd: workdir(), env });

const keyFile = (dir: string, name = 'master.key') => readFileSync(join(dir, name), 'utf8');
const previousKeyFiles = (dir: string) =>
  readdirSync(dir).filter((name) => name.startsWith('master.key.old-'));

/** Every secret read back through the CLI, as JSON text, or the failure's exit code. */
function readAll(dir: string): string[] {
  return SECRETS.map(({ namespace, key }) => {
    const result = cli(dir, ['--namespace', namespace, 'get', key]);
    return result.code === 0 ? result.stdout.trim() : `exit ${result.code}`;
  });
}

/**
 * A copy of the store whose only key is `keyText`: what a store that had nothing but that key
 * would read (the copy, so that the store under test is left alone).
 */
function copyWithOnlyKey(dir: string, keyText: string): string {
  const copy = join(workdir(), `copy-${++count}`);
  cpSync(dir, copy, { recursive: true });
  for (const name of previousKeyFiles(copy)) rmSync(join(copy, name));
  rmSync(join(copy, 'retired'), { recursive: true, force: true });
  writeFileSync(join(copy, 'master.key'), keyText, { mode: 0o600 });
  return copy;
}

describe('rotate-key', () => {
  it('re-wraps every secret of every namespace with a new key and retires the old key', () => {
    const dir = storeWithSecrets();
    const oldKey = keyFile(dir);

    const result = cli(dir, ['rotate-key']);

    expect(result.stderr).toBe(''); // no progress bar on a pipe
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      resumed: false,
      namespaces: [
        { namespace: 'local', moved: 3, alreadyCurrent: 0, failed: 0 },
        { namespace: 'other:1', moved: 1, alreadyCurrent: 0, failed: 0 },
      ],
      moved: 4,
      alreadyCurrent: 0,
      failed: 0,
      failures: [],
      retiredKeys: 1,
    });
    expect(keyFile(dir)).not.toBe(oldKey);
    expect(previousKeyFiles(dir)).toEqual([]);
    expect(keyFile(join(dir, 'retired'), 'master.key.old-1')).toBe(oldKey);
    // Only the new key is loaded now: every value reads back unchanged.
    expect(readAll(dir)).toEqual(SECRETS.map((secret) => secret.value));
    // And no secret is left under the old key: a store with only the old key reads none.
    expect(readAll(copyWithOnlyKey(dir, oldKey))).toEqual(SECRETS.map(() => 'exit 3'));
  });

  it('crashing halfway leaves both keys and every secret readable; a rerun finishes the same rotation', () => {
    const dir = storeWithSecrets();
    const oldKey = keyFile(dir);

    const crashed = cli(dir, ['rotate-key'], { SECRETS_STORE_TEST_CRASH_AFTER: '2' });

    expect(crashed.signal).toBe('SIGKILL');
    expect(crashed.stdout).toBe('');
    const newKey = keyFile(dir);
    expect(newKey).not.toBe(oldKey);
    expect(previousKeyFiles(dir)).toEqual(['master.key.old-1']);
    expect(keyFile(dir, 'master.key.old-1')).toBe(oldKey);
    // Halfway for real: a and b are under the new key, c and d still under the old one.
    expect(readAll(copyWithOnlyKey(dir, newKey))).toEqual([
      SECRETS[0]?.value,
      SECRETS[1]?.value,
      'exit 3',
      'exit 3',
    ]);
    expect(readAll(copyWithOnlyKey(dir, oldKey))).toEqual([
      'exit 3',
      'exit 3',
      SECRETS[2]?.value,
      SECRETS[3]?.value,
    ]);
    // The store itself is usable with both keys loaded.
    expect(readAll(dir)).toEqual(SECRETS.map((secret) => secret.value));

    const rerun = cli(dir, ['rotate-key']);

    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toEqual({
      resumed: true,
      namespaces: [
        { namespace: 'local', moved: 1, alreadyCurrent: 2, failed: 0 },
        { namespace: 'other:1', moved: 1, alreadyCurrent: 0, failed: 0 },
      ],
      moved: 2,
      alreadyCurrent: 2,
      failed: 0,
      failures: [],
      retiredKeys: 1,
    });
    expect(keyFile(dir)).toBe(newKey); // the same rotation finished: no third key
    expect(previousKeyFiles(dir)).toEqual([]);
    expect(keyFile(join(dir, 'retired'), 'master.key.old-1')).toBe(oldKey);
    expect(readAll(dir)).toEqual(SECRETS.map((secret) => secret.value));
  });

  it('rotates the key of a store that holds no secrets', () => {
    const dir = join(workdir(), `store-${++count}`);
    expect(cli(dir, ['put', 'k', '{}']).code).toBe(0);
    expect(cli(dir, ['delete', 'k']).code).toBe(0);
    const oldKey = keyFile(dir);

    const result = cli(dir, ['rotate-key']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      resumed: false,
      namespaces: [],
      moved: 0,
      alreadyCurrent: 0,
      failed: 0,
      failures: [],
      retiredKeys: 1,
    });
    expect(keyFile(dir)).not.toBe(oldKey);
    expect(keyFile(join(dir, 'retired'), 'master.key.old-1')).toBe(oldKey);
  });

  it('refuses a folder with no store, and creates nothing', () => {
    const dir = join(workdir(), `missing-${++count}`);
    expectOneLineError(cli(dir, ['rotate-key']), 3, /there is no local store in .* yet/);
    expect(existsSync(dir)).toBe(false);
  });

  it('is for the local store only, and rewrap points a local store to it', () => {
    expectOneLineError(
      runCli(['--table', 't', '--key-id', 'k', 'rotate-key'], { cwd: workdir() }),
      2,
      /rotate-key is for the local store \(--local \[dir\]\); against AWS, .* rewrap --all-namespaces/,
    );
    expectOneLineError(
      runCli([`--local=${join(workdir(), 'none')}`, 'rewrap'], { cwd: workdir() }),
      2,
      /rewrap is for AWS; a local store moves to a new master key with: secrets-store --local \[dir\] rotate-key/,
    );
    expectOneLineError(
      runCli([`--local=${join(workdir(), 'none')}`, '--namespace', 'n', 'rotate-key'], {
        cwd: workdir(),
      }),
      2,
      /rotate-key re-wraps every namespace of the local store; drop --namespace/,
    );
  });
});
