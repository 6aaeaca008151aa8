/**
 * `npm pack` of the three published packages into a folder: what a user would install.
 * With `build: true` each package's own `prepack` builds it first (as `npm publish` does);
 * without, the tarballs hold what `npm run prepare` built.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

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
    const output = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', destination, ...(build ? [] : ['--ignore-scripts'])],
      { cwd: join(ROOT, folder), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // npm prints the prepack scripts' output before the JSON when they run.
    const [{ filename }] = JSON.parse(output.slice(output.indexOf('[\n')));
    tarballs[name] = join(destination, filename);
  }
  return tarballs;
}
