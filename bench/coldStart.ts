/**
 * Cold-start weight: a minimal Lambda handler that reads a secret, bundled by esbuild (minified,
 * ESM, Node 22) with the AWS SDK external (as on Lambda, whose runtime provides it) and bundled,
 * and the time a fresh Node process takes to import it; beside it the same handler built on the
 * AWS Encryption SDK (KMS keyring) and the DynamoDB document client.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median, type Row } from './support.ts';

const BUILD_DIR = join(import.meta.dirname, '.build');
const IMPORTS = 7;

const HANDLERS = {
  'this project (storage.secrets)': `
    import { storage } from '@secrets-store/core';
    export const handler = async (event) => storage.secrets.get(event.key);
  `,
  'Encryption SDK + lib-dynamodb': `
    import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
    import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
    import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
    const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new KmsKeyringNode({ generatorKeyId: process.env.SECRETS_STORE_KEY_ID });
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    export const handler = async (event) => {
      const { Item } = await documents.send(new GetCommand({
        TableName: process.env.SECRETS_STORE_TABLE,
        Key: { pk: process.env.SECRETS_STORE_NAMESPACE, sk: event.key },
      }));
      if (!Item) return {};
      const { plaintext } = await decrypt(keyring, Item.ciphertext);
      return JSON.parse(plaintext.toString('utf8'));
    };
  `,
} as const;

function importMilliseconds(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      SECRETS_STORE_TABLE: 'secrets',
      SECRETS_STORE_KEY_ID:
        'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000',
      SECRETS_STORE_NAMESPACE: 'bench:1',
    },
  });
  if (result.status !== 0) {
    throw new Error(`importing ${file} failed: ${result.stderr.split('\n').slice(-12).join('\n')}`);
  }
  return Number(result.stdout.trim());
}

export async function coldStartBenchmark(): Promise<Row[]> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const rows: Row[] = [];
  for (const [name, source] of Object.entries(HANDLERS)) {
    const slug = name.startsWith('this') ? 'project' : 'peer';
    const entry = join(BUILD_DIR, `${slug}-handler.mjs`);
    writeFileSync(entry, source);
    for (const sdk of ['external', 'bundled'] as const) {
      const outfile = join(BUILD_DIR, `${slug}-${sdk}.mjs`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        conditions: ['source'],
        external: sdk === 'external' ? ['@aws-sdk/*'] : [],
        banner: {
          js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
        },
        logLevel: 'error',
      });
      const imports = Array.from({ length: IMPORTS }, () => importMilliseconds(outfile));
      rows.push({
        handler: name,
        'AWS SDK': sdk,
        'bundle KB (minified)': statSync(outfile).size / 1024,
        'import ms (median)': median(imports),
      });
    }
  }
  return rows;
}
