import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecretsTable,
  localDynamoDBClient,
  type RunningDynamoDB,
  startDynalite,
} from '../support/dynamodb.ts';
import { type KmsServer, LOCAL_KMS_KEY_ARN, startKmsServer } from '../support/kmsServer.ts';
import { type CliResult, runCliAgainst } from './runCli.ts';

const TABLE = 'secrets-aws-mode';
let dynamodb: RunningDynamoDB;
let kms: KmsServer;

beforeAll(async () => {
  dynamodb = await startDynalite();
  kms = await startKmsServer();
  const client = localDynamoDBClient(dynamodb.endpoint);
  await createSecretsTable(client, TABLE);
  client.destroy();
});

afterAll(async () => {
  await kms.stop();
  await dynamodb.stop();
});

/** Runs the CLI against the stand-ins of this file. */
function cli(args: string[], environment: Record<string, string> = {}): Promise<CliResult> {
  return runCliAgainst({ dynamodb: dynamodb.endpoint, kms: kms.endpoint }, args, environment);
}

/** The SECRETS_STORE_* variables that point the CLI at this file's table and key, on `namespace`. */
function storeEnvironment(namespace: string): Record<string, string> {
  return {
    SECRETS_STORE_TABLE: TABLE,
    SECRETS_STORE_KEY_ID: LOCAL_KMS_KEY_ARN,
    SECRETS_STORE_NAMESPACE: namespace,
  };
}

describe('the AWS target', () => {
  it('put, get, exists and list with --table, --key-id and --namespace, through KMS', async () => {
    const target = ['--table', TABLE, '--key-id', LOCAL_KMS_KEY_ARN, '--namespace', 'app:cli'];
    const generated = kms.requests.get('GenerateDataKey') ?? 0;
    expect(await cli([...target, 'put', 'authToken', '{"token":"abc","siteId":1}'])).toMatchObject({
      code: 0,
      stdout: 'true\n',
    });
    expect(kms.requests.get('GenerateDataKey')).toBe(generated + 1);
    const decrypted = kms.requests.get('Decrypt') ?? 0;
    expect((await cli([...target, 'get', 'authToken'])).stdout).toBe(
      '{"token":"abc","siteId":1}\n',
    );
    expect(kms.requests.get('Decrypt')).toBe(decrypted + 1);
    expect((await cli([...target, 'exists', 'authToken'])).code).toBe(0);
    expect((await cli([...target, 'list'])).stdout).toBe('["authToken"]\n');
  });

  it('takes its defaults from the SECRETS_STORE_* variables', async () => {
    const environment = storeEnvironment('app:env');
    expect((await cli(['put', 'k', '{"v":1}'], environment)).code).toBe(0);
    expect((await cli(['get', 'k'], environment)).stdout).toBe('{"v":1}\n');
  });

  it('a key the KMS does not know is a one-line store error', async () => {
    const result = await cli([
      '--table',
      TABLE,
      '--key-id',
      `${LOCAL_KMS_KEY_ARN}x`,
      '--namespace',
      'app:cli',
      'put',
      'k',
      '{}',
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/KMS GenerateDataKey .* failed with NotFoundException/);
  });
});

describe('the demo with SECRETS_STORE_* set', () => {
  it('runs against "AWS" (the stand-ins), counts KMS calls, and leaves the namespace empty', async () => {
    const environment = storeEnvironment('demo:aws-mode');
    const result = await cli(['demo'], environment);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`store:     AWS: table ${TABLE}, KMS key ${LOCAL_KMS_KEY_ARN}`);
    expect(result.stdout).toMatch(/-> counter 50 \(all 50 in \d+ ms\)\n/);
    expect(result.stdout).toMatch(/\n\s+put\s+1\s+1\s+1\s/);
    expect((await cli(['list'], environment)).stdout).toBe('[]\n');
  });

  it('refuses a namespace that is not empty, since it deletes everything in it', async () => {
    const environment = storeEnvironment('demo:not-empty');
    expect((await cli(['put', 'precious', '{"keep":true}'], environment)).code).toBe(0);
    const result = await cli(['demo'], environment);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/namespace demo:not-empty is not empty/);
    expect((await cli(['get', 'precious'], environment)).stdout).toBe('{"keep":true}\n');
  });
});
