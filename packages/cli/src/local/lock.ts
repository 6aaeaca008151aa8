/**
 * One command at a time per local store: LevelDB cannot be opened by two processes. A second
 * command waits for the first (scripts may run several), and a lock left by a dead process is
 * taken over.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
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
  // The pid is written to a file of our own first and then linked as the lock: link is atomic
  // and fails if the lock exists, so a lock file is never seen empty (an empty one would look
  // like one left by a dead command, and be taken over while its owner runs).
  const mine = `${path}.${process.pid}`;
  for (;;) {
    try {
      await writeFile(mine, String(process.pid), { mode: 0o600 });
      await link(mine, path);
      await unlink(mine);
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      await unlink(mine).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError(
          `cannot lock the local store ${dir}: ${(error as NodeJS.ErrnoException).code}`,
        );
      }
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // Released between our link and this read: try again, and never unlink a lock unseen.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw storeError(
        `cannot read the lock of the local store ${dir}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    const owner = Number(text.trim());
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
