#!/usr/bin/env node
/**
 * publint (package.json, exports, files) and Are the Types Wrong (types under Node ESM,
 * require(esm) and bundlers) on the tarballs of the published packages, as `npm pack` makes
 * them from what `npm run prepare` built. attw checks the packages with entry points (core,
 * infra; the CLI has a bin only) with the ESM-only profile: CommonJS callers use Node's
 * require(esm), which attw's node10 and CJS checks do not model.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, ROOT } from './pack.mjs';

const destination = mkdtempSync(join(tmpdir(), 'secrets-store-lint-'));
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
try {
  const tarballs = packAll(destination, { build: false });
  for (const [name, tarball] of Object.entries(tarballs)) {
    console.log(`publint ${name}`);
    execFileSync(bin('publint'), ['run', tarball, '--strict'], { stdio: 'inherit' });
    if (name !== '@secrets-store/cli') {
      console.log(`attw ${name}`);
      execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], {
        stdio: 'inherit',
      });
    }
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}
