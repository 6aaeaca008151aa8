#!/usr/bin/env node
/**
 * `npm run test:moto`: the moto tier (vitest.moto.config.ts), when moto's server can run here.
 * Nothing installs moto (PyPI is out of reach): outside CI a missing moto is reported and the
 * tier skipped; with CI=true it fails.
 *
 *   node scripts/test-moto.mjs [vitest arguments...]
 */
import { spawn, spawnSync } from 'node:child_process';

const probe = spawnSync('python3', ['-c', 'import moto.server; print(moto.__version__)'], {
  encoding: 'utf8',
});
if (probe.error || probe.status !== 0) {
  const reason = probe.error
    ? `python3 cannot run (${probe.error.message})`
    : 'the Python package moto is not installed (python3 -m moto.server)';
  if (process.env.CI === 'true') {
    console.error(`moto tier: ${reason}; CI needs it.`);
    process.exit(1);
  }
  console.log(`moto tier SKIPPED: ${reason}.`);
  process.exit(0);
}
console.log(`moto tier: moto ${probe.stdout.trim()}`);
const child = spawn(
  'npx',
  ['vitest', 'run', '--config', 'vitest.moto.config.ts', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
