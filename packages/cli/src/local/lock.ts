/**
 * One command at a time per local store: LevelDB cannot be opened by two processes. A second
 * command waits for the first (scripts may run several), and a lock left by a dead process is
 * taken over.
 */
import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { storeError } from '../errors.ts';

const LOCK_FILE = 'cli.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir`, waiting up to `timeoutMs`; resolves to its release. */
export async function lockLocalStore(
  dir: string,
  timeoutMs = 15_000,
): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        0o600,
      );
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError(
          `cannot lock the local store ${dir}: ${(error as NodeJS.ErrnoException).code}`,
        );
      }
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      await unlink(path).catch(() => undefined); // left by a command that died
      continue;
    }
    if (Date.now() >= giveUpAt) {
      throw storeError(`the local store ${dir} is in use by another command (pid ${owner})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
