#!/usr/bin/env node
/**
 * The published packages as a user gets them: packs @secrets-store/core, /infra and /cli (each
 * built by its own prepack), installs the tarballs into a fresh project outside the repository
 * with the registry's typescript, aws-sdk-client-mock, aws-cdk-lib and constructs, then runs
 * what the README's "Install", "Testing your handler" and "Using the construct from your own
 * CDK app" sections show (their files and commands are read from README.md, between
 * `<!-- consumer-test: ... -->` markers), and checks:
 *
 * - ESM import and `require` (Node's require of ESM) of both entry points;
 * - `tsc` strict with NodeNext (the README's tsconfig) and with `moduleResolution: bundler`;
 * - the tests of the README: the testing kit, and aws-sdk-client-mock intercepting the store's
 *   clients (one copy of the SDK);
 * - the plain-JS CDK app: the construct synthesises with the prebuilt cleanup Lambda and a grant;
 * - the CLI by `npx` on a local store.
 *
 *   node scripts/consumer-test.mjs        (npm run test:consumer; CI runs it after npm test)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packAll, ROOT } from './pack.mjs';

const started = Date.now();
const phases = [];
function phase(name, run) {
  const start = Date.now();
  console.log(`\n== ${name}`);
  const result = run();
  phases.push(`${name}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

function fail(message) {
  throw new Error(`consumer test: ${message}`);
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootPackage = readJson(join(ROOT, 'package.json'));
const corePackage = readJson(join(ROOT, 'packages/core/package.json'));
const infraPackage = readJson(join(ROOT, 'infra/package.json'));

/** The README's files and commands for this test, in order. */
function readmeSteps() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const marker = /<!-- consumer-test: (file (\S+)|run) -->\n```\w*\n([\s\S]*?)```/g;
  const steps = [...readme.matchAll(marker)].map((match) =>
    match[2] ? { file: match[2], content: match[3] } : { run: match[3].trim() },
  );
  if (steps.length === 0) fail('README.md has no consumer-test blocks');
  return steps;
}

const work = mkdtempSync(join(tmpdir(), 'secrets-store-consumer-'));
const project = join(work, 'project');
const keep = process.argv.includes('--keep');
try {
  const tarballs = phase('pack the three packages (each builds in its prepack)', () => {
    mkdirSync(join(work, 'tarballs'));
    return packAll(join(work, 'tarballs'), { build: true });
  });

  phase('install the tarballs into a fresh project', () => {
    mkdirSync(project);
    const dev = rootPackage.devDependencies;
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify(
        {
          name: 'secrets-store-consumer',
          private: true,
          type: 'module',
          dependencies: {
            '@secrets-store/core': `file:${tarballs['@secrets-store/core']}`,
            '@secrets-store/infra': `file:${tarballs['@secrets-store/infra']}`,
            '@aws-sdk/client-dynamodb': corePackage.dependencies['@aws-sdk/client-dynamodb'],
            '@aws-sdk/client-kms': corePackage.dependencies['@aws-sdk/client-kms'],
            'aws-cdk-lib': infraPackage.peerDependencies['aws-cdk-lib'],
            constructs: infraPackage.peerDependencies.constructs,
          },
          devDependencies: {
            '@secrets-store/cli': `file:${tarballs['@secrets-store/cli']}`,
            '@types/node': dev['@types/node'],
            'aws-sdk-client-mock': dev['aws-sdk-client-mock'],
            typescript: dev.typescript,
          },
        },
        null,
        2,
      )}\n`,
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: project,
      stdio: 'inherit',
    });
  });

  const steps = readmeSteps();
  for (const step of steps.filter((candidate) => candidate.file)) {
    mkdirSync(dirname(join(project, step.file)), { recursive: true });
    writeFileSync(join(project, step.file), step.content);
  }
  const run = (command) =>
    execFileSync('bash', ['-euo', 'pipefail', '-c', command], {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      // The README explains the SDK's Node-version warning once; here it is noise.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });

  phase('ESM import and require of both entry points', () => {
    const esm = run(`node --input-type=module -e "
      const core = await import('@secrets-store/core');
      const testing = await import('@secrets-store/core/testing');
      const store = testing.createTestStore();
      await store.put('k', { v: 1 });
      console.log(typeof core.storage, typeof core.SecretsStore, JSON.stringify(await store.get('k')));
    "`);
    if (esm.trim() !== 'object function {"v":1}') fail(`ESM import printed ${esm}`);
    const cjs = run(`node -e "
      const core = require('@secrets-store/core');
      const testing = require('@secrets-store/core/testing');
      console.log(typeof core.SecretsStore, typeof testing.createTestStore);
    " 2>/dev/null`);
    if (cjs.trim() !== 'function function') fail(`require printed ${cjs}`);
  });

  const commands = steps.filter((step) => step.run).map((step) => step.run);
  const [testCommands, cliCommands, cdkCommands] = [
    commands.find((command) => command.includes('node --test')),
    commands.find((command) => command.includes('npx secrets-store')),
    commands.find((command) => command.includes('cdk/app.mjs')),
  ];
  if (!testCommands || !cliCommands || !cdkCommands) fail('a README run block is missing');

  phase("the README's tests: tsc strict NodeNext, the testing kit, mocked clients", () => {
    process.stdout.write(run(testCommands));
  });

  phase('tsc with moduleResolution: bundler', () => {
    writeFileSync(
      join(project, 'tsconfig.bundler.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', noEmit: true },
      }),
    );
    run('npx tsc -p tsconfig.bundler.json');
  });

  phase('the plain-JS CDK app synthesises the construct with a grant', () => {
    run(cdkCommands);
    const template = readJson(join(project, 'cdk.out', 'MyApp.template.json'));
    const resources = Object.entries(template.Resources);
    const functions = resources.filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
    const cleanup = functions.find(([id]) => id.includes('CleanupFunction'));
    if (!cleanup) fail('no cleanup function in the template');
    if (cleanup[1].Properties.Handler !== 'index.handler')
      fail('cleanup handler is not index.handler');
    const assetHash = cleanup[1].Properties.Code.S3Key?.replace(/\.zip$/, '');
    const assetIndex = join(project, 'cdk.out', `asset.${assetHash}`, 'index.mjs');
    if (!existsSync(assetIndex))
      fail(`the cleanup bundle is not in the cloud assembly: ${assetIndex}`);
    const policies = JSON.stringify(
      resources.filter(
        ([id, resource]) =>
          resource.Type === 'AWS::IAM::Policy' && id.startsWith('HandlerServiceRole'),
      ),
    );
    for (const expected of [
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'dynamodb:LeadingKeys',
      'my-app:install-1',
    ]) {
      if (!policies.includes(expected)) fail(`the handler's grant lacks ${expected}`);
    }
    console.log(`cleanup function from asset ${assetHash}; handler granted on my-app:install-1`);
  });

  phase('the CLI by npx on a local store', () => {
    const output = run(cliCommands).trim().split('\n');
    const read = JSON.parse(output.at(-1));
    if (read.token !== 'abc' || read.siteId !== 123) fail(`the CLI read back ${output.at(-1)}`);
    console.log(output.join('\n'));
  });

  console.log(`\nconsumer test passed in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const line of phases) console.log(`  ${line}`);
} finally {
  if (keep) console.log(`project kept in ${project}`);
  else rmSync(work, { recursive: true, force: true });
}
