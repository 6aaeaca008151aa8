/**
 * The embedded default: a folder that holds a dynalite database and the master key of a
 * LocalKeyring. Nothing leaves the machine and no AWS account is involved.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalKeyring } from '@secrets-store/core';
import { storeError } from '../errors.ts';
import { createSecretsTable, localDynamoDBClient, startDynalite } from './dynalite.ts';
import { lockLocalStore } from './lock.ts';

export const DEFAULT_LOCAL_DIR = '.secrets-store';
export const LOCAL_TABLE = 'secrets';
export const KEY_FILE = 'master.key';
const DATABASE_DIR = 'db';

export interface LocalStore {
  readonly dir: string;
  readonly client: DynamoDBClient;
  readonly keyring: LocalKeyring;
  readonly tableName: string;
  close(): Promise<void>;
}

/**
 * The master key: 32 random bytes, base64 in `<dir>/master.key`, created with mode 0600 on
 * first use. A key file that others can read is refused: it would let them decrypt every secret.
 */
export async function loadOrCreateMasterKey(dir: string): Promise<Buffer> {
  const path = join(dir, KEY_FILE);
  try {
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    );
    const key = LocalKeyring.generateMasterKey();
    await handle.writeFile(`${key.toString('base64')}\n`);
    await handle.close();
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw storeError(
        `cannot create the key file ${path}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
  }
  let mode: number;
  let text: string;
  try {
    mode = (await stat(path)).mode;
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw storeError(`cannot read the key file ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  if ((mode & 0o077) !== 0) {
    const shown = (mode & 0o777).toString(8).padStart(4, '0');
    throw storeError(
      `the key file ${path} has mode ${shown}, readable by others; fix it with: chmod 600 ${path}`,
    );
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) {
    key.fill(0);
    throw storeError(`the key file ${path} is corrupt: it must hold 32 bytes in base64`);
  }
  return key;
}

let openDir: string | undefined;

/** The folder of the local store this process has open, if any. */
export function openLocalStoreDir(): string | undefined {
  return openDir;
}

/** Opens (or creates) the local store in `dir` for the lifetime of one command. */
export async function openLocalStore(dirOption: string): Promise<LocalStore> {
  const dir = resolve(dirOption);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw storeError(
      `cannot create the local store ${dir}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  const masterKey = await loadOrCreateMasterKey(dir);
  const keyring = new LocalKeyring({ masterKey });
  masterKey.fill(0);
  const unlock = await lockLocalStore(dir);
  openDir = dir;
  const release = async () => {
    await unlock();
    openDir = undefined;
  };
  let server: Awaited<ReturnType<typeof startDynalite>>;
  try {
    server = await startDynalite({ path: join(dir, DATABASE_DIR) });
  } catch (error) {
    await release();
    throw storeError(`cannot start the local store in ${dir}: ${(error as Error).message}`);
  }
  const client = localDynamoDBClient(server.endpoint);
  try {
    await createSecretsTable(client, LOCAL_TABLE);
  } catch (error) {
    client.destroy();
    await server.stop().catch(() => undefined);
    await release();
    throw storeError(`the local store in ${dir} is corrupt: ${(error as Error).name}`);
  }
  return {
    dir,
    client,
    keyring,
    tableName: LOCAL_TABLE,
    close: async () => {
      client.destroy();
      await server.stop();
      await release();
    },
  };
}
