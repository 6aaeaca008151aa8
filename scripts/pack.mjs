/**
 * `npm pack` of the three published packages into a folder: what a user would install.
 * With `build: true` each package's own `prepack` builds it first and writes the published
 * manifest (as `npm publish` does), and its `postpack` restores the repository's; without, the
 * tarballs hold what `npm run prepare` built, with the same published manifest, LICENSE and README.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { prepare, restore } from './published-manifest.mjs';

export const ROOT = new URL('..', import.meta.url).pathname;

/** Workspace folder of each published package. */
export const PUBLISHED = {
  '@secrets-store/core': 'packages/core',
  '@secrets-store/cli': 'packages/cli',
  '@secrets-store/infra': 'infra',
};

/** @returns the absolute path of each package's tarball, by package name */
export function packAll(destination, { build }) {
  const tarballs = {};
  for (const [name, folder] of Object.entries(PUBLISHED)) {
    const cwd = join(ROOT, folder);
    if (!build) prepare(cwd);
    let output;
    try {
      output = execFileSync(
        'npm',
        [
          'pack',
          '--json',
          '--pack-destination',
          destination,
          ...(build ? [] : ['--ignore-scripts']),
        ],
        { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
    } finally {
      if (!build) restore(cwd);
    }
    // npm prints the prepack scripts' output before the JSON when they run.
    const [{ filename }] = JSON.parse(output.slice(output.indexOf('[\n')));
    tarballs[name] = join(destination, filename);
  }
  return tarballs;
}
