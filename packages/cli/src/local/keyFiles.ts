/**
 * The master keys of a local store, one 0600 file each, base64 of 32 bytes:
 *
 *   master.key            the current key: every write wraps its data key with it
 *   master.key.old-<N>    previous keys (N counts up): still decrypt, never write
 *   master.key.next       a key being made current by a rotation (ignored until it is)
 *   retired/master.key.old-<N>   previous keys no secret needs any more: kept, never loaded
 *
 * A rotation (`rotateMasterKeyFiles`, then a rewrap of every secret, then
 * `retirePreviousMasterKeys`) leaves the store usable at every step: a crash at any point
 * leaves a current key and every key a secret may still be wrapped by, and running it again
 * finishes it.
 *
 * A key file that others can read is refused: it would let them decrypt every secret.
 */
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalKeyring } from '@secrets-store/core';
import { storeError } from '../errors.ts';

export const KEY_FILE = 'master.key';
const NEXT_KEY_FILE = `${KEY_FILE}.next`;
const PREVIOUS_KEY_FILE = /^master\.key\.old-([1-9][0-9]*)$/;
export const RETIRED_DIR = 'retired';
const MASTER_KEY_BYTES = 32;

export interface MasterKeys {
  /** undefined when `master.key` does not exist. */
  readonly current: Buffer | undefined;
  /** Newest first. */
  readonly previous: readonly Buffer[];
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** One key file, checked: mode 0600 (or stricter), 32 bytes of base64. */
async function readKeyFile(path: string): Promise<Buffer> {
  let mode: number;
  let text: string;
  try {
    mode = (await stat(path)).mode;
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw storeError(`cannot read the key file ${path}: ${codeOf(error)}`);
  }
  if ((mode & 0o077) !== 0) {
    const shown = (mode & 0o777).toString(8).padStart(4, '0');
    throw storeError(
      `the key file ${path} has mode ${shown}, readable by others; fix it with: chmod 600 ${path}`,
    );
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES || key.toString('base64') !== text.trim()) {
    key.fill(0);
    throw storeError(`the key file ${path} is corrupt: it must hold 32 bytes in base64`);
  }
  return key;
}

/** The numbers N of the `master.key.old-<N>` files in `dir`, highest first. */
async function previousKeyNumbers(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw storeError(`cannot list the local store ${dir}: ${codeOf(error)}`);
  }
  return names
    .map((name) => PREVIOUS_KEY_FILE.exec(name)?.[1])
    .filter((number) => number !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
}

/** Reads the current and previous master keys of the store in `dir`; creates nothing. */
export async function readMasterKeys(dir: string): Promise<MasterKeys> {
  const currentPath = join(dir, KEY_FILE);
  let current: Buffer | undefined;
  try {
    await stat(currentPath);
    current = await readKeyFile(currentPath);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
  }
  const previous: Buffer[] = [];
  try {
    for (const number of await previousKeyNumbers(dir)) {
      previous.push(await readKeyFile(join(dir, `${KEY_FILE}.old-${number}`)));
    }
  } catch (error) {
    current?.fill(0);
    for (const key of previous) key.fill(0);
    throw error;
  }
  return { current, previous };
}

/** Writes a new random key to `path` with mode 0600; fails if the file exists. */
async function writeNewKeyFile(path: string): Promise<Buffer> {
  const key = LocalKeyring.generateMasterKey();
  try {
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    );
    try {
      await handle.writeFile(`${key.toString('base64')}\n`);
      await handle.sync(); // on disk before any data key is wrapped with it
    } finally {
      await handle.close();
    }
    return key;
  } catch (error) {
    key.fill(0);
    throw storeError(`cannot create the key file ${path}: ${codeOf(error)}`);
  }
}

/** Creates `master.key` for a store that has none (the caller checked it holds no secrets). */
export function createMasterKey(dir: string): Promise<Buffer> {
  return writeNewKeyFile(join(dir, KEY_FILE));
}

/**
 * First step of a rotation: a new key becomes current, the old one becomes `master.key.old-<N>`.
 * Each file operation is atomic (a hard link, then a rename over `master.key`), so a reader
 * always finds a current key and the old one. Resolves to the key files as they now are.
 */
export async function rotateMasterKeyFiles(dir: string): Promise<MasterKeys> {
  const currentPath = join(dir, KEY_FILE);
  const nextPath = join(dir, NEXT_KEY_FILE);
  // A `.next` left by a crash never became current, so nothing is wrapped with it.
  await unlink(nextPath).catch((error: unknown) => {
    if (codeOf(error) !== 'ENOENT') throw storeError(`cannot remove ${nextPath}: ${codeOf(error)}`);
  });
  const old = await readKeyFile(currentPath);
  old.fill(0);
  const next = await writeNewKeyFile(nextPath);
  next.fill(0);
  // Numbered after every previous key, retired ones included, so no backup is overwritten.
  const retiredNumbers = await previousKeyNumbers(join(dir, RETIRED_DIR)).catch(() => []);
  const number = Math.max(0, ...(await previousKeyNumbers(dir)), ...retiredNumbers) + 1;
  const previousPath = join(dir, `${KEY_FILE}.old-${number}`);
  try {
    await link(currentPath, previousPath);
    await rename(nextPath, currentPath);
  } catch (error) {
    throw storeError(`cannot rotate the key files of ${dir}: ${codeOf(error)}`);
  }
  return readMasterKeys(dir);
}

/**
 * Last step of a rotation, once every secret is wrapped by the current key: previous keys move
 * to `retired/` (kept as a backup, no longer loaded). Resolves to the number of keys retired.
 */
export async function retirePreviousMasterKeys(dir: string): Promise<number> {
  const numbers = await previousKeyNumbers(dir);
  if (numbers.length === 0) return 0;
  const retired = join(dir, RETIRED_DIR);
  try {
    await mkdir(retired, { mode: 0o700 }).catch((error: unknown) => {
      if (codeOf(error) !== 'EEXIST') throw error;
    });
    for (const number of numbers) {
      const name = `${KEY_FILE}.old-${number}`;
      await rename(join(dir, name), join(retired, name));
    }
  } catch (error) {
    throw storeError(`cannot retire the previous keys of ${dir}: ${codeOf(error)}`);
  }
  return numbers.length;
}
