/**
 * A stand-in for AWS KMS on loopback that speaks KMS's JSON protocol (`TrentService.*`), so the
 * real `KMSClient` (its serialisation, middleware and retries) runs end to end without AWS.
 * Data keys are wrapped with a LocalKeyring, whose AAD is the encryption context, so a wrong
 * context fails as InvalidCiphertextException, as in KMS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { DecryptionError, LocalKeyring } from '@secrets-store/core';

export const LOCAL_KMS_KEY_ARN =
  'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';

export interface KmsServer {
  readonly endpoint: string;
  /** Requests served, by operation. */
  readonly requests: Map<string, number>;
  /** Makes the next `count` requests of `operation` fail with `errorType`. */
  failNext(operation: string, errorType: string, count?: number, status?: number): void;
  client(): KMSClient;
  stop(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function reply(response: ServerResponse, status: number, payload: object): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(payload));
}

export async function startKmsServer(): Promise<KmsServer> {
  const keyring = new LocalKeyring({ masterKey: LocalKeyring.generateMasterKey() });
  const requests = new Map<string, number>();
  const failures: { operation: string; errorType: string; status: number }[] = [];

  const server = createServer(async (request, response) => {
    const operation = String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '');
    requests.set(operation, (requests.get(operation) ?? 0) + 1);
    const input = await body(request);
    const failure = failures.findIndex((entry) => entry.operation === operation);
    if (failure !== -1) {
      const [{ errorType, status }] = failures.splice(failure, 1) as [(typeof failures)[number]];
      return reply(response, status, { __type: errorType, message: `${errorType} (injected)` });
    }
    const context = input.EncryptionContext as { namespace: string; secret: string };
    if (input.KeyId !== LOCAL_KMS_KEY_ARN) {
      return reply(response, 400, { __type: 'NotFoundException', message: 'no such key' });
    }
    if (operation === 'GenerateDataKey') {
      const generated = await keyring.generateDataKey(context);
      reply(response, 200, {
        KeyId: LOCAL_KMS_KEY_ARN,
        Plaintext: generated.plaintext.toString('base64'),
        CiphertextBlob: Buffer.from(generated.wrapped).toString('base64'),
      });
      generated.plaintext.fill(0);
      return;
    }
    if (operation === 'Decrypt') {
      try {
        const blob = Buffer.from(String(input.CiphertextBlob), 'base64');
        const plaintext = await keyring.decryptDataKey(blob, keyring.keyId, context);
        reply(response, 200, {
          KeyId: LOCAL_KMS_KEY_ARN,
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
        plaintext.fill(0);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        reply(response, 400, {
          __type: 'InvalidCiphertextException',
          message: 'invalid ciphertext',
        });
      }
      return;
    }
    reply(response, 400, { __type: 'UnsupportedOperationException', message: operation });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    failNext: (operation, errorType, count = 1, status = 400) => {
      for (let index = 0; index < count; index++) failures.push({ operation, errorType, status });
    },
    client: () =>
      new KMSClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
