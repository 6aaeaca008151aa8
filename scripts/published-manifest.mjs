#!/usr/bin/env node
/**
 * What a published package holds that the repository's copy does not, and back:
 *
 *   node ../../scripts/published-manifest.mjs prepare   (the package's prepack, after its build)
 *   node ../../scripts/published-manifest.mjs restore   (its postpack)
 *
 * `prepare` copies the repository's LICENSE into the package folder (npm packs README* and
 * LICENSE* of the package folder whatever `files` says; the package's own README.md is in git)
 * and rewrites package.json without the `source` export condition: in the repository it points
 * vitest, tsc, tsx and esbuild at `src/*.ts`, which is not shipped, so a published `source`
 * would break every project that resolves a `source` condition of its own. A subpath that only
 * has `source` (core's `./internal`, for the cleanup handler's bundle) is dropped entirely: it is
 * no published entry, hence no semver promise. `restore` puts package.json back and removes the
 * copied LICENSE. `scripts/pack.mjs` calls both around `npm pack --ignore-scripts`.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const BACKUP = 'package.json.repository';

/** `exports` without the `source` condition; subpaths left without a target are dropped. */
export function publishedExports(exports) {
  if (typeof exports !== 'object' || exports === null) return exports;
  const result = {};
  for (const [key, target] of Object.entries(exports)) {
    if (key === 'source') continue;
    const published = publishedExports(target);
    if (typeof published === 'object' && published !== null && Object.keys(published).length === 0)
      continue;
    result[key] = published;
  }
  return result;
}

export function prepare(folder) {
  const manifestPath = join(folder, 'package.json');
  const backupPath = join(folder, BACKUP);
  // A previous pack that failed before its postpack left the backup: that is the real manifest.
  if (existsSync(backupPath)) renameSync(backupPath, manifestPath);
  const text = readFileSync(manifestPath, 'utf8');
  const manifest = JSON.parse(text);
  writeFileSync(backupPath, text);
  if (manifest.exports !== undefined) manifest.exports = publishedExports(manifest.exports);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(ROOT, 'LICENSE'), join(folder, 'LICENSE'));
}

export function restore(folder) {
  const backupPath = join(folder, BACKUP);
  if (existsSync(backupPath)) renameSync(backupPath, join(folder, 'package.json'));
  rmSync(join(folder, 'LICENSE'), { force: true });
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [command] = process.argv.slice(2);
  if (command === 'prepare') prepare(process.cwd());
  else if (command === 'restore') restore(process.cwd());
  else {
    console.error('usage: published-manifest.mjs prepare|restore (in a package folder)');
    process.exit(2);
  }
}
