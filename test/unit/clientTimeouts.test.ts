/**
 * Finite, throwing timeouts on the clients the library builds (issue 22, point 2): the SDK's
 * defaults have no request timeout, and a `requestTimeout` without `throwOnRequestTimeout` only
 * logs. Read from the client each store or keyring really sends with (its `send` is stopped
 * before any request), and from the Node handler's own resolved configuration.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsKeyring, LocalKeyring, SecretsStore } from '@secrets-store/core';
import { MemoryTable } from '@secrets-store/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/test';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The client `act` sends with, and the timeouts its Node handler resolved. */
async function sentWith(
  clientClass: typeof DynamoDBClient | typeof KMSClient,
  act: () => Promise<unknown>,
): Promise<{ client: { config: { requestHandler: unknown } }; timeouts: object }> {
  let client: { config: { requestHandler: unknown } } | undefined;
  vi.spyOn(clientClass.prototype, 'send').mockImplementation(function (this: never) {
    client = this;
    return Promise.reject(new Error('stopped before sending'));
  });
  await act().catch(() => undefined);
  if (!client) throw new Error('nothing was sent');
  const handler = client.config.requestHandler as { configProvider?: Promise<object> };
  const resolved = (await handler.configProvider) as Record<string, unknown> | undefined;
  const timeouts = resolved
    ? {
        connectionTimeout: resolved.connectionTimeout,
        requestTimeout: resolved.requestTimeout,
        socketTimeout: resolved.socketTimeout,
        throwOnRequestTimeout: resolved.throwOnRequestTimeout,
      }
    : {};
  return { client, timeouts };
}

const DEFAULTS = {
  connectionTimeout: 3000,
  requestTimeout: 5000,
  socketTimeout: 5000,
  throwOnRequestTimeout: true,
};

function store(clientConfig?: object, client?: DynamoDBClient): SecretsStore {
  return new SecretsStore({
    tableName: 'secrets',
    namespace: 'app:1',
    keyring: new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() }),
    ...(client ? { client } : { clientConfig: { region, credentials, ...clientConfig } }),
  });
}

describe("the store's own DynamoDB client", () => {
  it('gets finite timeouts that throw', async () => {
    const { timeouts } = await sentWith(DynamoDBClient, () => store().get('k'));
    expect(timeouts).toEqual(DEFAULTS);
  });

  it('clientConfig.requestHandler options change what they name; the rest stay', async () => {
    const { timeouts } = await sentWith(DynamoDBClient, () =>
      store({ requestHandler: { requestTimeout: 1500, throwOnRequestTimeout: false } }).get('k'),
    );
    expect(timeouts).toEqual({ ...DEFAULTS, requestTimeout: 1500, throwOnRequestTimeout: false });
  });

  it('a handler instance in clientConfig is used as it is', async () => {
    const handler = new MemoryTable().requestHandler();
    const { client } = await sentWith(DynamoDBClient, () =>
      store({ requestHandler: handler }).get('k'),
    );
    expect(client.config.requestHandler).toBe(handler);
  });

  it("a user's own client keeps its settings", async () => {
    const own = new DynamoDBClient({ region, credentials });
    const { client, timeouts } = await sentWith(DynamoDBClient, () => store({}, own).get('k'));
    expect(client).toBe(own);
    expect(timeouts).toEqual({
      connectionTimeout: undefined,
      requestTimeout: undefined,
      socketTimeout: undefined,
      throwOnRequestTimeout: undefined,
    });
  });
});

describe("the KMS keyring's own client", () => {
  const context = { namespace: 'app:1', secret: 'k' };

  it('gets finite timeouts that throw', async () => {
    const keyring = new KmsKeyring({ keyId, clientConfig: { region, credentials } });
    const { timeouts } = await sentWith(KMSClient, () => keyring.generateDataKey(context));
    expect(timeouts).toEqual(DEFAULTS);
  });

  it('clientConfig.requestHandler options change what they name', async () => {
    const keyring = new KmsKeyring({
      keyId,
      clientConfig: { region, credentials, requestHandler: { connectionTimeout: 1000 } },
    });
    const { timeouts } = await sentWith(KMSClient, () => keyring.generateDataKey(context));
    expect(timeouts).toEqual({ ...DEFAULTS, connectionTimeout: 1000 });
  });
});
