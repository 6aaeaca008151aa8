#!/usr/bin/env node
/**
 * The published packages as a user gets them: packs @secrets-store/core, /infra and /cli (each
 * built by its own prepack), installs the tarballs into a fresh project outside the repository
 * with the registry's typescript, aws-sdk-client-mock, aws-cdk-lib and constructs, then runs the
 * code blocks of every documentation page (README.md, docs/*.md, SECURITY.md, CONTRIBUTING.md,
 * the package READMEs: discovered, not listed; scripts/doc-blocks.mjs says what each kind of
 * block gets), and checks:
 *
 * - every ts block type-checked together (strict, NodeNext); every program, handler and command
 *   run against a local AWS on one endpoint (scripts/local-aws.ts: dynalite and the KMS stand-in
 *   behind AWS_ENDPOINT_URL, with a Lambda function's SECRETS_STORE_* variables);
 * - ESM import and `require` (Node's require of ESM) of both entry points; `tsc` with
 *   `moduleResolution: bundler` on the testing page's project;
 * - the plain-JS CDK app of docs/deploy.md: the construct synthesises with the prebuilt cleanup
 *   Lambda and a grant;
 * - what a user outside the repository tripped over: README and LICENSE in every tarball; a
 *   `--conditions=source` import (no `source` condition published); the exact export lists (no
 *   repository-only names, no `@secrets-store/core/internal`); the local store's key ignored by
 *   git; the SDK's words without a region and without credentials, from the library and the CLI;
 *   the testing kit beside a user's `mockClient(DynamoDBClient)`; the ConfigurationError that
 *   points a test at the testing kit; `forNamespace` without `SECRETS_STORE_NAMESPACE`.
 *
 *   node scripts/consumer-test.mjs          (npm run test:consumer; CI runs it after npm test)
 *   node scripts/consumer-test.mjs --list   (only what each page's blocks get; packs nothing)
 *   node scripts/consumer-test.mjs --keep   (keeps the project for a look)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { documentationBlocks } from './doc-blocks.mjs';
import { PUBLISHED, packAll, ROOT } from './pack.mjs';

const started = Date.now();
const phases = [];
async function phase(name, run) {
  const start = Date.now();
  console.log(`\n== ${name}`);
  const result = await run();
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

/** Every page's blocks, classified; a block that says nothing about itself stops the test here. */
const pages = documentationBlocks(ROOT, Object.values(PUBLISHED));
const count = (kind) =>
  pages.reduce((sum, { blocks }) => sum + blocks.filter((block) => block.kind === kind).length, 0);
if (process.argv.includes('--list')) {
  for (const { page, blocks } of pages) {
    const described = blocks.map((block) =>
      block.reason
        ? `${block.kind}@${block.line} (${block.reason})`
        : `${block.kind}@${block.line}`,
    );
    console.log(`${page}: ${described.join(', ') || 'no code blocks'}`);
  }
  process.exit(0);
}

/** Where the README's install commands put the tarballs; `run` blocks get this test's folder. */
const README_TARBALLS = '/tmp/secrets-store-tarballs';
/** npm in `run` blocks: the cache first (the main install filled it), no audit or funding notes. */
const QUIET_NPM = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

let localAwsProcess;
/**
 * Starts scripts/local-aws.ts (dynalite and the KMS stand-in behind one endpoint) from the
 * repository, where its TypeScript and dynalite live: the user's project only sees its endpoint.
 */
function startLocalAws() {
  localAwsProcess = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    ['--conditions=source', join(ROOT, 'scripts/local-aws.ts')],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    localAwsProcess.once('exit', (code) => reject(new Error(`local-aws.ts exited with ${code}`)));
    localAwsProcess.stdout.on('data', (chunk) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline === -1) return;
      const ready = JSON.parse(output.slice(0, newline));
      console.log(`DynamoDB and KMS at ${ready.endpoint}, table ${ready.tableName}`);
      resolve(ready);
    });
  });
}

const work = mkdtempSync(join(tmpdir(), 'secrets-store-consumer-'));
const project = join(work, 'project');
const keep = process.argv.includes('--keep');
try {
  const tarballs = await phase('pack the three packages (each builds in its prepack)', () => {
    mkdirSync(join(work, 'tarballs'));
    return packAll(join(work, 'tarballs'), { build: true });
  });

  await phase('install the tarballs into a fresh project', () => {
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

  const run = (command, env = process.env, cwd = project) =>
    execFileSync('bash', ['-euo', 'pipefail', '-c', command], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      // The README explains the SDK's Node-version warning once; here it is noise.
      env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
  /** Runs `command` expecting it to fail: its exit code and stderr. */
  const runFailing = (command, env = process.env) => {
    try {
      execFileSync('bash', ['-euo', 'pipefail', '-c', command], {
        cwd: project,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
    } catch (error) {
      return { status: error.status, stderr: String(error.stderr ?? '') };
    }
    fail(`${command} succeeded`);
  };
  const expectEqual = (what, actual, expected) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      fail(`${what}: expected ${inspect(expected)}, got ${inspect(actual)}`);
  };
  /** No AWS configuration at all: no region, no credentials, no config files, no IMDS. */
  const noAws = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  Object.assign(noAws, {
    AWS_CONFIG_FILE: join(work, 'no-aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const name of ['SECRETS_STORE_TABLE', 'SECRETS_STORE_KEY_ID', 'SECRETS_STORE_NAMESPACE'])
    delete noAws[name];

  await phase('ESM import and require of both entry points', () => {
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

  await phase('README and LICENSE in every tarball', () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = run(`tar -tzf ${JSON.stringify(tarball)}`).split('\n');
      for (const file of ['package/README.md', 'package/LICENSE', 'package/package.json']) {
        if (!files.includes(file)) fail(`${name}'s tarball has no ${file.slice(8)}`);
      }
      const license = readFileSync(join(project, 'node_modules', name, 'LICENSE'), 'utf8');
      if (!license.includes('Apache License') || !license.includes('Version 2.0'))
        fail(`${name}'s LICENSE is not the Apache License 2.0`);
    }
    console.log('README.md and LICENSE (Apache-2.0) in core, infra and cli');
  });

  await phase('published exports: no source condition, explicit lists, no internal entry', () => {
    for (const name of ['@secrets-store/core', '@secrets-store/infra']) {
      const manifest = readJson(join(project, 'node_modules', name, 'package.json'));
      if (JSON.stringify(manifest.exports).includes('source'))
        fail(`${name} publishes a source condition: ${JSON.stringify(manifest.exports)}`);
    }
    // A project of the user's that resolves a `source` condition of its own.
    const withSource = run(`node --conditions=source --input-type=module -e "
      const core = await import('@secrets-store/core');
      const testing = await import('@secrets-store/core/testing');
      const infra = await import('@secrets-store/infra');
      console.log(typeof core.SecretsStore, typeof testing.createTestStore, typeof infra.SecretsStoreBackend);
    "`);
    expectEqual('the --conditions=source import', withSource.trim(), 'function function function');
    const keys = JSON.parse(
      run(`node --input-type=module -e "
        const list = async (name) => Object.keys(await import(name)).sort();
        console.log(JSON.stringify({
          core: await list('@secrets-store/core'),
          testing: await list('@secrets-store/core/testing'),
          infra: await list('@secrets-store/infra'),
        }));
      "`),
    );
    expectEqual('the exports of @secrets-store/core', keys.core, [
      'ConcurrentUpdateError',
      'ConfigurationError',
      'DEFAULT_EVENT_SOURCE',
      'DEFAULT_TIMEOUTS',
      'DataKeyCache',
      'DecryptionError',
      'ENVIRONMENT_VARIABLES',
      'INSTALLED_EVENT',
      'InvalidKeyError',
      'InvalidValueError',
      'KeyAccessError',
      'KeyServiceError',
      'KmsKeyring',
      'LeaseLostError',
      'LocalKeyring',
      'MAX_KEY_BYTES',
      'MAX_NAMESPACE_LENGTH',
      'OPERATION_CHANNEL',
      'OutcomeUnknownError',
      'PurgeIncompleteError',
      'RefreshTimeoutError',
      'SecretsStore',
      'SecretsStoreError',
      'StorageError',
      'TABLE_SCHEMA',
      'UNINSTALLED_EVENT',
      'USER_AGENT',
      'ValueCache',
      'ValueTooLargeError',
      'checkNamespace',
      'environmentOf',
      'listNamespaces',
      'operationMetrics',
      'previousKeyIdsFrom',
      'purgeNamespace',
      'recordOperationMetrics',
      'resetSecretsStore',
      'secretsStoreFromEnvironment',
      'setSecretsStore',
      'storage',
      'withDefaultTimeouts',
    ]);
    expectEqual('the exports of @secrets-store/core/testing', keys.testing, [
      'MemoryTable',
      'TestSecretsStore',
      'createTestStore',
    ]);
    expectEqual('the exports of @secrets-store/infra', keys.infra, [
      'INSTALLED_EVENT',
      'SecretsStoreBackend',
      'UNINSTALLED_EVENT',
    ]);
    const internal = runFailing(
      `node --input-type=module -e "await import('@secrets-store/core/internal')"`,
    );
    if (!internal.stderr.includes('ERR_PACKAGE_PATH_NOT_EXPORTED'))
      fail(`@secrets-store/core/internal: ${internal.stderr}`);
    const declarations = readFileSync(
      join(project, 'node_modules/@secrets-store/core/dist/storage.d.ts'),
      'utf8',
    );
    if (
      !declarations.includes('setSecretsStore(createTestStore())') ||
      declarations.includes('.store)')
    )
      fail("setSecretsStore's JSDoc example is not setSecretsStore(createTestStore())");
    console.log(
      `core ${keys.core.length} names, testing ${keys.testing.length}, infra ${keys.infra.length}; core/internal not exported`,
    );
  });

  await phase(
    'the testing kit beside a mockClient(DynamoDBClient); storage.secrets without its variables',
    () => {
      writeFileSync(
        join(project, 'kit-beside-mock.mjs'),
        `import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ConfigurationError, storage } from '@secrets-store/core';
import { createTestStore } from '@secrets-store/core/testing';
import { mockClient } from 'aws-sdk-client-mock';

const userMock = mockClient(DynamoDBClient); // a shared setup file of the user's
const secrets = createTestStore({ namespace: 'my-app:install-1' });
await secrets.put('authToken', { token: 'abc' });
const read = await secrets.get('authToken');
const kit = { read, items: secrets.table.items().length, mockCalls: userMock.calls().length };

let forgotten;
try {
  storage.secrets.get('authToken');
} catch (error) {
  forgotten = { name: error.name, isConfigurationError: error instanceof ConfigurationError, message: error.message };
}

// A function serving many installations: no SECRETS_STORE_NAMESPACE, forNamespace per call.
process.env.AWS_REGION = 'eu-west-1';
process.env.SECRETS_STORE_TABLE = 'secrets';
process.env.SECRETS_STORE_KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/test';
userMock.on(GetItemCommand).resolves({});
const tenant = storage.secrets.forNamespace('my-app:install-7');
const exists = await tenant.exists('authToken');
const key = userMock.commandCalls(GetItemCommand)[0]?.args[0].input.Key;
let plain;
try {
  await storage.secrets.get('authToken');
} catch (error) {
  plain = error.message;
}
console.log(JSON.stringify({ kit, forgotten, tenant: { namespace: tenant.namespace, exists, key }, plain }));
`,
      );
      const result = JSON.parse(run('node kit-beside-mock.mjs', noAws));
      expectEqual('the kit beside mockClient', result.kit, {
        read: { token: 'abc' },
        items: 1,
        mockCalls: 0,
      });
      expectEqual('storage.secrets in a test without setSecretsStore', result.forgotten, {
        name: 'ConfigurationError',
        isConfigurationError: true,
        message:
          "storage.secrets needs the environment variables SECRETS_STORE_TABLE, SECRETS_STORE_KEY_ID; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')",
      });
      expectEqual('forNamespace without SECRETS_STORE_NAMESPACE', result.tenant, {
        namespace: 'my-app:install-7',
        exists: false,
        key: { pk: { S: 'my-app:install-7' }, sk: { S: 'authToken' } },
      });
      expectEqual(
        'plain storage.secrets without SECRETS_STORE_NAMESPACE',
        result.plain,
        "storage.secrets needs the environment variable SECRETS_STORE_NAMESPACE, or use storage.secrets.forNamespace(namespace) in a function that serves many installations; in a test, call setSecretsStore(createTestStore()) first (createTestStore from '@secrets-store/core/testing')",
      );
      console.log(
        'the kit answered beside the mock (0 mock calls); a forgotten setSecretsStore and a missing namespace named; forNamespace served',
      );
    },
  );

  await phase("the SDK's words without a region and without credentials", () => {
    writeFileSync(
      join(project, 'no-aws.mjs'),
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsKeyring, SecretsStore } from '@secrets-store/core';

const region = process.argv[2];
const store = new SecretsStore({
  tableName: 'secrets',
  namespace: 'my-app:1',
  keyring: new KmsKeyring({ keyId: 'arn:aws:kms:eu-west-1:111122223333:key/test', clientConfig: region ? { region } : {} }),
  clientConfig: region ? { region } : {},
});
const outcome = async (call) => call.then(() => 'resolved', (error) => \`\${error.name}: \${error.message}\`);
console.log(JSON.stringify({ get: await outcome(store.get('authToken')), put: await outcome(store.put('authToken', { token: 'canary-value' })) }));
`,
    );
    // The keyring's own client takes the Region of the key ARN: KMS gets as far as credentials.
    expectEqual('without a region', JSON.parse(run('node no-aws.mjs', noAws)), {
      get: 'StorageError: DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): Error: Region is missing',
      put: 'KeyServiceError: KMS GenerateDataKey for secret "authToken" in namespace my-app:1 failed with CredentialsProviderError: Could not load credentials from any providers: the request was not sent',
    });
    expectEqual('without credentials', JSON.parse(run('node no-aws.mjs eu-west-1', noAws)), {
      get: 'StorageError: DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): CredentialsProviderError: Could not load credentials from any providers',
      put: 'KeyServiceError: KMS GenerateDataKey for secret "authToken" in namespace my-app:1 failed with CredentialsProviderError: Could not load credentials from any providers: the request was not sent',
    });
    const aws =
      '--table secrets --key-id arn:aws:kms:eu-west-1:111122223333:key/test --namespace my-app:1';
    expectEqual(
      'the CLI without a region',
      runFailing(`npx secrets-store ${aws} get authToken`, noAws),
      {
        status: 3,
        stderr:
          'secrets-store: DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): Error: Region is missing; set AWS_REGION or pass --region\n',
      },
    );
    expectEqual(
      'the CLI without credentials',
      runFailing(`npx secrets-store ${aws} --region eu-west-1 get authToken`, noAws),
      {
        status: 3,
        stderr:
          'secrets-store: DynamoDB failed the get of "authToken" in namespace my-app:1 (table secrets): CredentialsProviderError: Could not load credentials from any providers; configure AWS credentials (AWS_PROFILE, aws configure sso, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n',
      },
    );
    console.log(
      'library and CLI name "Region is missing" and "Could not load credentials from any providers"',
    );
  });

  const localAws = await phase(
    'a local AWS on one endpoint: dynalite and the KMS stand-in (scripts/local-aws.ts)',
    () => startLocalAws(),
  );
  /** What a Lambda function's process sees, pointed at the local AWS by AWS_ENDPOINT_URL. */
  const awsEnv = {
    ...noAws,
    AWS_ENDPOINT_URL: localAws.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const lambdaEnv = (namespace) => ({
    ...awsEnv,
    SECRETS_STORE_TABLE: localAws.tableName,
    SECRETS_STORE_KEY_ID: localAws.keyId,
    SECRETS_STORE_NAMESPACE: namespace,
  });

  const typeChecked = [];
  await phase(
    `the documentation: ${pages.length} pages, ${count('program')} programs, ${count('handler')} handlers, ${count('run')} commands, ${count('file')} files, ${count('typecheck')} type-checked only, ${count('skip')} shown only`,
    () => {
      for (const { page, folder, blocks } of pages) {
        for (const block of blocks) {
          const where = `${page}:${block.line}`;
          if (block.kind === 'json') {
            try {
              JSON.parse(block.content);
            } catch (error) {
              fail(`${where}: the json block does not parse: ${error.message}`);
            }
            continue;
          }
          // Files are written when the page reaches them (below); these are compiled first.
          if (!['program', 'handler', 'typecheck'].includes(block.kind)) continue;
          const isTs = block.typescript !== false;
          block.source = join(folder, `${block.kind}-${block.line}.${isTs ? 'ts' : 'mjs'}`);
          mkdirSync(dirname(join(project, block.source)), { recursive: true });
          // `export {}` keeps a ts program a module, so that two pages' names never meet.
          writeFileSync(
            join(project, block.source),
            `${block.content}${isTs ? 'export {};\n' : ''}`,
          );
          if (isTs) typeChecked.push(block.source);
        }
      }
      for (const { page, blocks } of pages) {
        const kinds = blocks.map((block) => block.kind).filter((kind) => kind !== 'none');
        console.log(`${page}: ${kinds.join(', ') || 'no code blocks'}`);
      }
    },
  );

  await phase(`tsc strict NodeNext on the ${typeChecked.length} ts blocks of every page`, () => {
    writeFileSync(
      join(project, 'tsconfig.docs.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: ['node'],
            rootDir: '.',
            outDir: 'build-docs',
            skipLibCheck: true,
          },
          files: typeChecked,
        },
        null,
        2,
      )}\n`,
    );
    run('npx tsc -p tsconfig.docs.json');
  });

  /** The compiled (ts) or written (js) module of a block. */
  const moduleOf = (block) =>
    join(project, block.typescript === false ? '' : 'build-docs', block.source).replace(
      /\.ts$/,
      '.js',
    );
  /**
   * A page as a reader follows it: files written when reached, and `run` blocks as one shell
   * session (the next block starts where the last one `cd`-ed to), with the tarballs this test
   * packed standing where the README's install commands put them.
   */
  for (const { page, folder, blocks } of pages) {
    const steps = blocks.filter((block) =>
      ['program', 'handler', 'run', 'file'].includes(block.kind),
    );
    if (steps.length === 0) continue;
    await phase(`${page}: ${steps.length} blocks`, () => {
      const cwd = join(project, folder);
      mkdirSync(cwd, { recursive: true });
      const session = join(cwd, '.consumer-test-cwd');
      writeFileSync(session, cwd);
      const namespace = `docs:${folder.slice('pages/'.length)}`;
      const node = (...args) =>
        execFileSync('node', args, {
          cwd,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...lambdaEnv(namespace),
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        });
      for (const block of steps) {
        if (block.kind === 'file') {
          // Where the reader is: the folder the last command left the session in.
          const path = join(readFileSync(session, 'utf8').trim(), block.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, block.content);
          continue;
        }
        console.log(`-- ${page}:${block.line} (${block.kind})`);
        let output;
        if (block.kind === 'run') {
          const commands = block.content.replaceAll(
            README_TARBALLS,
            dirname(tarballs['@secrets-store/core']),
          );
          const script = `cd "$(cat ${JSON.stringify(session)})"\n${commands}\npwd > ${JSON.stringify(session)}`;
          output = run(script, { ...awsEnv, ...QUIET_NPM }, cwd);
        } else if (block.kind === 'program') output = node(moduleOf(block));
        else {
          // One process: the invocations share the module, as in a warm Lambda container.
          const call = `const { handler } = await import(${JSON.stringify(moduleOf(block))});
            for (const event of ${JSON.stringify(block.events)})
              console.log(JSON.stringify(await handler(event)));`;
          output = node('--input-type=module', '-e', call);
        }
        if (output.trim() !== '') console.log(output.trimEnd().replace(/^/gm, '   '));
      }
    });
  }

  /** Where the session of `page` (or of the page whose `run` block has `needle`) ended. */
  const sessionEnd = ({ page, needle }) => {
    const found = pages.find(
      (candidate) =>
        candidate.page === page ||
        candidate.blocks.some((block) => block.kind === 'run' && block.content.includes(needle)),
    );
    if (!found) fail(`no page runs ${needle}`);
    return readFileSync(join(project, found.folder, '.consumer-test-cwd'), 'utf8').trim();
  };

  await phase('tsc with moduleResolution: bundler, on the testing page', () => {
    const cwd = sessionEnd({ needle: 'node --test' });
    writeFileSync(
      join(cwd, 'tsconfig.bundler.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', noEmit: true },
      }),
    );
    run('npx tsc -p tsconfig.bundler.json', process.env, cwd);
  });

  await phase('the plain-JS CDK app synthesised the construct with a grant', () => {
    const cwd = sessionEnd({ needle: 'cdk/app.mjs' });
    const template = readJson(join(cwd, 'cdk.out', 'MyApp.template.json'));
    const resources = Object.entries(template.Resources);
    const functions = resources.filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
    const cleanup = functions.find(([id]) => id.includes('CleanupFunction'));
    if (!cleanup) fail('no cleanup function in the template');
    if (cleanup[1].Properties.Handler !== 'index.handler')
      fail('cleanup handler is not index.handler');
    const assetHash = cleanup[1].Properties.Code.S3Key?.replace(/\.zip$/, '');
    const assetIndex = join(cwd, 'cdk.out', `asset.${assetHash}`, 'index.mjs');
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

  await phase(
    "the README's local store: ignored by git; --raw, --version, --local on a file",
    () => {
      const cwd = sessionEnd({ page: 'README.md' });
      run('git init -q', process.env, cwd);
      // The README's commands made ./.secrets-store: git add . must not take its key.
      expectEqual(
        'git check-ignore of the master key',
        run('git check-ignore .secrets-store/master.key', process.env, cwd),
        '.secrets-store/master.key\n',
      );
      expectEqual(
        'get --raw',
        run(
          'npx secrets-store --local ./.secrets-store get authToken --fields token --raw',
          process.env,
          cwd,
        ),
        'abc',
      );
      const cliVersion = readJson(join(ROOT, 'packages/cli/package.json')).version;
      expectEqual('secrets-store --version', run('npx secrets-store --version'), `${cliVersion}\n`);
      expectEqual(
        '--local on a file',
        runFailing('npx secrets-store --local ./package.json list'),
        {
          status: 3,
          stderr: `secrets-store: cannot use ${project}/package.json as the local store: it is not a folder\n`,
        },
      );
      console.log('master key ignored by git; --raw, --version, --local on a file');
    },
  );

  console.log(`\nconsumer test passed in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const line of phases) console.log(`  ${line}`);
} finally {
  // Closing its stdin stops the local AWS (and kill, should it not be listening).
  localAwsProcess?.stdin.end();
  localAwsProcess?.kill();
  if (keep) console.log(`project kept in ${project}`);
  else rmSync(work, { recursive: true, force: true });
}
