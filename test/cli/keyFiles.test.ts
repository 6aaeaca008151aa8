/**
 * The local store's key files for rotation (keyFiles.ts): a current key, previous keys that
 * still decrypt, retired keys kept aside; each step atomic, so a crash leaves a usable store.
 */
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { LocalKeyring } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import {
  createMasterKey,
  readMasterKeys,
  retirePreviousMasterKeys,
  rotateMasterKeyFiles,
} from '../../packages/cli/src/local/keyFiles.ts';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';
import { expectOneLineError, runCli } from './runCli.ts';

const workdir = useTemporaryFolder('secrets-store-keyfiles-');
let count = 0;
const freshDir = () => mkdtempSync(join(workdir(), `keys-${++count}-`));
const keyIdOf = (key: Buffer | undefined) => LocalKeyring.keyIdOf(key as Buffer);

describe('key files', () => {
  it('a folder without key files has no current key and no previous keys', async () => {
    expect(await readMasterKeys(freshDir())).toEqual({ current: undefined, previous: [] });
  });

  it('createMasterKey writes master.key with mode 0600, and never overwrites one', async () => {
    const dir = freshDir();
    const key = await createMasterKey(dir);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(keyIdOf((await readMasterKeys(dir)).current)).toBe(keyIdOf(key));
    await expect(createMasterKey(dir)).rejects.toThrow(/cannot create the key file .*EEXIST/);
    expect(keyIdOf((await readMasterKeys(dir)).current)).toBe(keyIdOf(key));
  });

  it('a rotation makes a new current key and keeps the old one as master.key.old-1, then old-2', async () => {
    const dir = freshDir();
    const first = await createMasterKey(dir);
    const afterOne = await rotateMasterKeyFiles(dir);
    expect(keyIdOf(afterOne.current)).not.toBe(keyIdOf(first));
    expect(afterOne.previous.map(keyIdOf)).toEqual([keyIdOf(first)]);
    expect(statSync(join(dir, 'master.key.old-1')).mode & 0o777).toBe(0o600);
    const afterTwo = await rotateMasterKeyFiles(dir);
    expect(afterTwo.previous.map(keyIdOf)).toEqual([keyIdOf(afterOne.current), keyIdOf(first)]);
  });

  it('a crash before the new key became current: the stale master.key.next is ignored, then replaced', async () => {
    const dir = freshDir();
    const first = await createMasterKey(dir);
    writeFileSync(join(dir, 'master.key.next'), 'half-written', { mode: 0o600 });
    expect(await readMasterKeys(dir)).toMatchObject({ previous: [] });
    const rotated = await rotateMasterKeyFiles(dir);
    expect(rotated.previous.map(keyIdOf)).toEqual([keyIdOf(first)]);
    expect(existsSync(join(dir, 'master.key.next'))).toBe(false);
  });

  it('a crash between the link and the rename: the old key is both current and previous, and it works', async () => {
    const dir = freshDir();
    const first = await createMasterKey(dir);
    linkSync(join(dir, 'master.key'), join(dir, 'master.key.old-1'));
    const keys = await readMasterKeys(dir);
    const keyring = new LocalKeyring({
      masterKey: keys.current as Buffer,
      previousMasterKeys: keys.previous,
    });
    expect(keyring.keyId).toBe(keyIdOf(first));
    expect(keyring.previousKeyIds).toEqual([]);
  });

  it('a previous key file readable by others is refused with the fix', async () => {
    const dir = freshDir();
    await createMasterKey(dir);
    await rotateMasterKeyFiles(dir);
    chmodSync(join(dir, 'master.key.old-1'), 0o644);
    await expect(readMasterKeys(dir)).rejects.toThrow(
      /master\.key\.old-1 has mode 0644, readable by others; fix it with: chmod 600/,
    );
  });

  it('retiring moves previous keys to retired/, where they are no longer loaded nor overwritten', async () => {
    const dir = freshDir();
    const first = await createMasterKey(dir);
    await rotateMasterKeyFiles(dir);
    expect(await retirePreviousMasterKeys(dir)).toBe(1);
    expect((await readMasterKeys(dir)).previous).toEqual([]);
    expect(
      keyIdOf(
        Buffer.from(
          readFileSync(join(dir, 'retired', 'master.key.old-1'), 'utf8').trim(),
          'base64',
        ),
      ),
    ).toBe(keyIdOf(first));
    await rotateMasterKeyFiles(dir);
    expect(existsSync(join(dir, 'master.key.old-2'))).toBe(true); // numbered after the retired one
    expect(await retirePreviousMasterKeys(dir)).toBe(1);
    expect(existsSync(join(dir, 'retired', 'master.key.old-1'))).toBe(true);
    expect(existsSync(join(dir, 'retired', 'master.key.old-2'))).toBe(true);
  });
});

describe('the CLI loads previous keys', () => {
  it('after a rotation, old secrets still read, new writes use the new key; retired, the old key reads nothing', async () => {
    const dir = freshDir();
    const cli = (args: string[]) => runCli([`--local=${dir}`, ...args], { cwd: workdir() });
    expect(cli(['put', 'old', '{"v":1}']).code).toBe(0);
    await rotateMasterKeyFiles(dir);
    expect(cli(['get', 'old']).stdout).toBe('{"v":1}\n');
    expect(cli(['put', 'new', '{"v":2}']).code).toBe(0);
    await retirePreviousMasterKeys(dir);
    expect(cli(['get', 'new']).stdout).toBe('{"v":2}\n'); // written under the current key
    expectOneLineError(
      cli(['get', 'old']),
      3,
      /wrapped by local:[0-9a-f]{16}, this keyring is local:/,
    );
  });
});
