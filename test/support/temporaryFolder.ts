/**
 * A temporary folder for one test file, in one place: made before the file's tests, removed
 * with everything in it after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Registers the folder's hooks; call the result, inside a test or hook, for its path. */
export function useTemporaryFolder(prefix: string): () => string {
  let folder: string | undefined;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    if (folder === undefined)
      throw new Error('the temporary folder exists only while the tests run');
    return folder;
  };
}
