/**
 * The embedded default: a folder that holds a dynalite database and the master keys of a
 * LocalKeyring (see keyFiles.ts). Nothing leaves the machine and no AWS account is involved.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalKeyring, listNamespaces } from '@secrets-store/core';
import { storeError } from '../errors.ts';
import { createSecretsTable, localDynamoDBClient, startDynalite } from './dynalite.ts';
import { createMasterKey, KEY_FILE, type MasterKeys, readMasterKeys } from './keyFiles.ts';
import { lockLocalStore } from './lock.ts';

export const DEFAULT_LOCAL_DIR = '.secrets-store';
export const LOCAL_TABLE = 'secrets';
const DATABASE_DIR = 'db';

/** `read`: get, list, exists; they never create a store, a database or a key. */
export type LocalStoreAccess = 'read' | 'write';

export interface LocalStore {
  readonly dir: string;
  readonly client: DynamoDBClient;
  readonly keyring: LocalKeyring;
  readonly tableName: string;
  close(): Promise<void>;
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

let openDir: string | undefined;

/** The folder of the local store this process has open, if any. */
export function openLocalStoreDir(): string | undefined {
  return openDir;
}

/**
 * A `.gitignore` of `*` in a folder the CLI makes a store in: the folder is often inside the
 * user's git repository (`--local ./.secrets-store`), and `git add .` must not commit the master
 * key. Written only in a folder the CLI made or found empty, never over a file of the user's.
 */
async function ignoreInGit(dir: string): Promise<void> {
  await writeFile(
    join(dir, '.gitignore'),
    '# The local secrets store: its master key and database stay out of git.\n*\n',
    { flag: 'wx', mode: 0o600 },
  ).catch((error: unknown) => {
    if (codeOf(error) !== 'EEXIST')
      throw storeError(`cannot write ${join(dir, '.gitignore')}: ${codeOf(error)}`);
  });
}

/**
 * Makes the store's folder unless it exists, with its `.gitignore`. Only the last level: Node's recursive mkdir spins
 * for minutes on paths such as /proc/nope, and a missing parent is more likely a typo. An
 * existing folder (made earlier, or a moment ago by another command) takes the EEXIST path.
 */
async function ensureStoreFolder(dir: string): Promise<void> {
  const isFolder = (path: string) =>
    stat(path).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') {
      if (await isFolder(dir)) {
        if ((await readdir(dir)).length === 0) await ignoreInGit(dir);
        return;
      }
      throw storeError(`cannot use ${dir} as the local store: it is not a folder`);
    }
    if (code === 'ENOENT' && !(await isFolder(dirname(dir)))) {
      throw storeError(
        `cannot create the local store ${dir}: its parent folder ${dirname(dir)} does not exist`,
      );
    }
    throw storeError(`cannot create the local store ${dir}: ${code}`);
  }
  await ignoreInGit(dir);
}

/**
 * Whether the table holds a secret: then a lost key file must not be replaced. Tombstones (what
 * deletes leave for a day) hold no value and do not count.
 */
async function holdsItems(client: DynamoDBClient): Promise<boolean> {
  return (await listNamespaces({ client, tableName: LOCAL_TABLE })).length > 0;
}

/**
 * The keyring of the store: its current key and previous keys. A missing `master.key` is made
 * only for a write to a store that holds nothing; a store with secrets and no key is refused,
 * since a new key would lose them for good.
 */
async function openKeyring(
  dir: string,
  client: DynamoDBClient,
  access: LocalStoreAccess,
): Promise<LocalKeyring> {
  const keys: MasterKeys = await readMasterKeys(dir);
  let current = keys.current;
  if (current === undefined) {
    if (await holdsItems(client)) {
      for (const key of keys.previous) key.fill(0);
      throw storeError(
        `the local store in ${dir} holds secrets but its key file ${join(dir, KEY_FILE)} is missing: restore it from a backup (the secrets cannot be read without it), or move ${dir} away to start an empty store`,
      );
    }
    // An empty store read without a key: a key that lives only in memory, since reads wrap nothing.
    current = access === 'read' ? LocalKeyring.generateMasterKey() : await createMasterKey(dir);
  }
  const keyring = new LocalKeyring({ masterKey: current, previousMasterKeys: keys.previous });
  current.fill(0);
  for (const key of keys.previous) key.fill(0);
  return keyring;
}

/**
 * Opens the local store in `dir` for the lifetime of one command; a write creates it (folder,
 * database, key) on first use, a read of a folder without one fails.
 */
export async function openLocalStore(
  dirOption: string,
  access: LocalStoreAccess = 'write',
): Promise<LocalStore> {
  const dir = resolve(dirOption);
  const databaseDir = join(dir, DATABASE_DIR);
  if (access === 'read') {
    const notFolder = await stat(dir).then(
      (stats) => !stats.isDirectory(),
      () => false,
    );
    if (notFolder) throw storeError(`cannot use ${dir} as the local store: it is not a folder`);
    const exists = await stat(databaseDir).then(
      () => true,
      () => false,
    );
    if (!exists) throw storeError(`there is no local store in ${dir} yet: a put creates one`);
  } else {
    await ensureStoreFolder(dir);
  }
  const unlock = await lockLocalStore(dir);
  openDir = dir;
  const release = async () => {
    await unlock();
    openDir = undefined;
  };
  let server: Awaited<ReturnType<typeof startDynalite>>;
  try {
    server = await startDynalite({ path: databaseDir });
  } catch (error) {
    await release();
    throw storeError(`cannot start the local store in ${dir}: ${(error as Error).message}`);
  }
  const client = localDynamoDBClient(server.endpoint);
  const shutDown = async () => {
    client.destroy();
    await server.stop().catch(() => undefined);
    await release();
  };
  try {
    await createSecretsTable(client, LOCAL_TABLE);
  } catch (error) {
    await shutDown();
    throw storeError(`the local store in ${dir} is corrupt: ${(error as Error).name}`);
  }
  let keyring: LocalKeyring;
  try {
    keyring = await openKeyring(dir, client, access);
  } catch (error) {
    await shutDown();
    throw error;
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
