/**
 * The local store's lock: one command at a time; a lock of a live command is respected, one
 * left by a dead command is taken over; the lock file always holds its owner's pid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockLocalStore } from '../../packages/cli/src/local/lock.ts';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';

const workdir = useTemporaryFolder('secrets-store-lock-');
describe('lockLocalStore', () => {
  it('writes its pid into cli.lock, leaves no other file, and removes the lock on release', async () => {
    const dir = mkdtempSync(join(workdir(), 'own-'));
    const release = await lockLocalStore(dir);
    expect(readFileSync(join(dir, 'cli.lock'), 'utf8')).toBe(String(process.pid));
    expect(readdirSync(dir)).toEqual(['cli.lock']);
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('respects the lock of a live command: gives up naming its pid', async () => {
    const dir = mkdtempSync(join(workdir(), 'live-'));
    writeFileSync(join(dir, 'cli.lock'), String(process.pid)); // this process: alive
    await expect(lockLocalStore(dir, 0)).rejects.toThrow(
      new RegExp(`in use by another command \\(pid ${process.pid}\\)`),
    );
    expect(readFileSync(join(dir, 'cli.lock'), 'utf8')).toBe(String(process.pid));
  });

  it('takes over a lock left by a command that died', async () => {
    const dir = mkdtempSync(join(workdir(), 'dead-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(dir, 'cli.lock'), dead.stdout); // that process has exited
    const release = await lockLocalStore(dir, 0);
    expect(readFileSync(join(dir, 'cli.lock'), 'utf8')).toBe(String(process.pid));
    await release();
    expect(existsSync(join(dir, 'cli.lock'))).toBe(false);
  });
});
