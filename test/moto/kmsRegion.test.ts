/**
 * KmsKeyring takes the Region of a key ARN for the client it makes, when the caller gave none:
 * on moto, which keeps one KMS per Region, a key made in eu-central-1 is used by a store whose
 * process runs with AWS_REGION=us-east-1 (moto's default Region here). With the Region forced to
 * AWS_REGION the same key is not found: the control. The store's message counts moto's KMS
 * requests.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  KeyAccessError,
  KmsKeyring,
  OPERATION_CHANNEL,
  type OperationMessage,
  SecretsStore,
} from '@secrets-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient, tableName, uniqueNamespace } from '../support/integration.ts';
import { motoEndpoint } from './support/clients.ts';
import { MOTO_CREDENTIALS, MOTO_REGION } from './support/motoServer.ts';

const OTHER_REGION = 'eu-central-1';
const previousRegion = process.env.AWS_REGION;
let keyArn: string;
let aliasArn: string;

beforeAll(async () => {
  // The process's Region is not the key's.
  process.env.AWS_REGION = MOTO_REGION;
  const kms = new KMSClient({
    endpoint: motoEndpoint,
    region: OTHER_REGION,
    credentials: MOTO_CREDENTIALS,
  });
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'other Region' }));
  keyArn = KeyMetadata?.Arn as string;
  const alias = `alias/other-region-${Date.now()}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyArn }));
  aliasArn = keyArn.replace(/:key\/.*$/, `:${alias}`);
});

afterAll(() => {
  if (previousRegion === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = previousRegion;
});

function storeWith(keyring: KmsKeyring): SecretsStore {
  return new SecretsStore({ tableName, namespace: uniqueNamespace(), client: rawClient, keyring });
}

describe('the Region of a key ARN', () => {
  it('is the Region of the client KmsKeyring makes: put and get work from another Region', async () => {
    expect(keyArn).toContain(`:${OTHER_REGION}:`);
    const keyring = new KmsKeyring({
      keyId: keyArn,
      clientConfig: { endpoint: motoEndpoint, credentials: MOTO_CREDENTIALS },
    });
    const messages: OperationMessage[] = [];
    const listener = (message: unknown) => messages.push(message as OperationMessage);
    diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
    try {
      const writer = storeWith(keyring);
      await writer.put('token', { v: 1 });
      const reader = new SecretsStore({
        tableName,
        namespace: writer.namespace,
        client: rawClient,
        keyring: new KmsKeyring({
          keyId: keyArn,
          clientConfig: { endpoint: motoEndpoint, credentials: MOTO_CREDENTIALS },
        }),
      });
      expect(await reader.get('token')).toEqual({ v: 1 });
    } finally {
      diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
    }
    // moto's KMS: one GenerateDataKey for the put, one Decrypt for the cold get.
    expect(messages).toMatchObject([
      { operation: 'put', outcome: 'ok', kms: { requests: 1 }, dynamodb: { requests: 1 } },
      { operation: 'get', outcome: 'ok', kms: { requests: 1 }, dynamodb: { requests: 1 } },
    ]);
  });

  it('of an alias ARN too', async () => {
    const store = storeWith(
      new KmsKeyring({
        keyId: aliasArn,
        clientConfig: { endpoint: motoEndpoint, credentials: MOTO_CREDENTIALS },
      }),
    );
    await store.put('token', { v: 2 });
    expect(await store.get('token')).toEqual({ v: 2 });
  });

  it("control: a client in the process's Region does not find the key", async () => {
    const store = storeWith(
      new KmsKeyring({
        keyId: keyArn,
        clientConfig: {
          endpoint: motoEndpoint,
          credentials: MOTO_CREDENTIALS,
          region: MOTO_REGION,
        },
      }),
    );
    await expect(store.put('token', { v: 3 })).rejects.toThrow(KeyAccessError);
  });
});
