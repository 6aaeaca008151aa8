/**
 * `secrets-store/<version>` on every request the store sends, seen on the wire: a recording
 * proxy in front of the DynamoDB of this tier and the KMS stand-in on loopback record each
 * request's user-agent header. On the store's own clients and on a user's client alike; the
 * user's own commands on that client stay as the user sent them (per-command middleware).
 */
import { readFileSync } from 'node:fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsKeyring, SecretsStore, USER_AGENT } from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { endpoint, tableName, uniqueNamespace } from '../support/integration.ts';
import { type KmsServer, LOCAL_KMS_KEY_ARN, startKmsServer } from '../support/kmsServer.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recordingProxy.ts';

const packageVersion = (
  JSON.parse(
    readFileSync(new URL('../../packages/core/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

let proxy: RecordingProxy;
let kms: KmsServer;

beforeAll(async () => {
  proxy = await startRecordingProxy(endpoint);
  kms = await startKmsServer();
});

afterAll(async () => {
  await proxy?.stop();
  await kms?.stop();
});

/** What {@link everyOperation} sends to DynamoDB, in order. */
const EVERY_OPERATION_SENDS = [
  ...['UpdateItem', 'GetItem', 'BatchGetItem', 'GetItem'], // put, get, getMany, exists
  ...['GetItem', 'UpdateItem', 'GetItem', 'UpdateItem'], // patch, delete of a field
  ...['Query', 'Query', 'GetItem'], // keys, rewrap (already current: no write)
  ...['UpdateItem', 'Query', 'BatchWriteItem'], // delete, purge
];

/** Every operation, once; `reader` (cold caches) gets what `store` put, so KMS decrypts. */
async function everyOperation(store: SecretsStore, reader: SecretsStore): Promise<void> {
  await store.put('a', { v: 1 });
  await reader.get('a');
  await store.getMany(['a', 'b']);
  await store.exists('a');
  await store.patch('a', { w: 1 });
  await store.delete('a', ['w']);
  for await (const key of store.keys()) expect(key).toBe('a');
  await store.rewrap();
  await store.delete('a');
  await store.purge();
}

/** Every operation's requests reached DynamoDB and KMS, each naming the store in its user agent. */
function expectEveryOperationWithUserAgent(): void {
  expect(proxy.received.map((request) => request.operation)).toEqual(EVERY_OPERATION_SENDS);
  expect(kms.received.map((request) => request.operation)).toEqual(['GenerateDataKey', 'Decrypt']);
  for (const request of [...proxy.received, ...kms.received]) {
    expect(request.userAgent.split(' ')).toContain(USER_AGENT);
  }
}

describe('the user agent suffix', () => {
  it('is secrets-store/<the package version>', () => {
    expect(USER_AGENT).toBe(`secrets-store/${packageVersion}`);
  });

  it("is on every request of the store's own clients (made from clientConfig), DynamoDB and KMS", async () => {
    proxy.received.length = 0;
    kms.received.length = 0;
    const namespace = uniqueNamespace();
    const ownClients = () =>
      new SecretsStore({
        tableName,
        namespace,
        clientConfig: {
          endpoint: proxy.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        },
        keyring: new KmsKeyring({
          keyId: LOCAL_KMS_KEY_ARN,
          clientConfig: {
            endpoint: kms.endpoint,
            region: 'us-east-1',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          },
        }),
      });
    await everyOperation(ownClients(), ownClients());
    expectEveryOperationWithUserAgent();
  });

  it("is on the store's requests through a user's clients, and not on the user's own commands", async () => {
    const dynamodb = localDynamoDBClient(proxy.endpoint);
    const kmsClient = new KMSClient({
      endpoint: kms.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const namespace = uniqueNamespace();
    const usersClients = () =>
      new SecretsStore({
        tableName,
        namespace,
        client: dynamodb,
        keyring: new KmsKeyring({ keyId: LOCAL_KMS_KEY_ARN, client: kmsClient }),
      });
    proxy.received.length = 0;
    kms.received.length = 0;
    await everyOperation(usersClients(), usersClients());
    expectEveryOperationWithUserAgent();
    proxy.received.length = 0;
    await dynamodb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
    );
    expect(proxy.received).toHaveLength(1);
    expect(proxy.received[0]?.userAgent).toMatch(/aws-sdk-js/);
    expect(proxy.received[0]?.userAgent).not.toContain('secrets-store');
  });
});
