/**
 * The key-file half of `rotate-key`: start a rotation (a new current key), or resume one that a
 * crash or a failed secret left unfinished, without making yet another key.
 */
import { LocalKeyring } from '@secrets-store/core';
import { storeError } from '../errors.ts';
import { KEY_FILE, readMasterKeys, rotateMasterKeyFiles } from './keyFiles.ts';

export interface RotationStart {
  /** Current key first in writes, every previous key still able to decrypt. */
  readonly keyring: LocalKeyring;
  /** True when an unfinished rotation was found and is being finished, with no new key. */
  readonly resumed: boolean;
}

/**
 * A previous key that differs from the current one means a rotation made a new key and did not
 * retire the old one: some secrets may still be wrapped by it, so this run finishes that rotation.
 * (A previous key equal to the current one is a rotation that crashed before its new key became
 * current: nothing is wrapped by a new key yet, so a fresh rotation starts.)
 */
export async function startOrResumeRotation(dir: string): Promise<RotationStart> {
  const found = await readMasterKeys(dir);
  const { current } = found;
  const unfinished =
    current !== undefined && found.previous.some((previous) => !previous.equals(current));
  current?.fill(0);
  for (const key of found.previous) key.fill(0);
  if (current === undefined) {
    throw storeError(`the local store in ${dir} has no key file ${KEY_FILE} to rotate`);
  }
  const keys = unfinished ? await readMasterKeys(dir) : await rotateMasterKeyFiles(dir);
  if (keys.current === undefined) {
    throw storeError(`the key file ${KEY_FILE} of ${dir} disappeared during the rotation`);
  }
  try {
    return {
      keyring: new LocalKeyring({ masterKey: keys.current, previousMasterKeys: keys.previous }),
      resumed: unfinished,
    };
  } finally {
    keys.current.fill(0);
    for (const key of keys.previous) key.fill(0);
  }
}
