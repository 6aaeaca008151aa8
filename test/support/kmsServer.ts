/**
 * Why a home-made KMS still: the moto tier checks KmsKeyring against moto's KMS (encryption
 * context, ReEncrypt, aliases: test/moto/kmsKeyring.test.ts), but moto does not do two things as
 * KMS does (it decrypts with a disabled key, and answers a Decrypt pinned to the wrong key with
 * AccessDeniedException instead of IncorrectKeyException), and the unit, security and CLI tiers
 * run where moto is not installed. This stand-in serves those.
 *
 * A stand-in for AWS KMS on loopback that speaks KMS's JSON protocol (`TrentService.*`), so the
 * real `KMSClient` (its serialisation, middleware and retries) runs end to end without AWS.
 *
 * It holds three keys: two as KMS would after a move to a new key, and one a store may not know. Data keys are wrapped with a
 * LocalKeyring per key, whose AAD is the encryption context, so a wrong context fails as
 * InvalidCiphertextException; the blob records its key (as KMS ciphertexts do), so a pinned
 * KeyId / SourceKeyId of another key fails as IncorrectKeyException. ReEncrypt checks the source
 * key and context and wraps under the destination key and context, and returns no plaintext.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { DecryptionError, type EncryptionContext, LocalKeyring } from '@secrets-store/core';

export const LOCAL_KMS_KEY_ARN =
  'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
/** A second key of the stand-in: the key a store moves to, or from. */
export const LOCAL_KMS_SECOND_KEY_ARN =
  'arn:aws:kms:us-east-1:000000000000:key/11111111-1111-4111-8111-111111111111';
/** A third key: one that a store's keyring may not list at all (a secret it cannot move). */
export const LOCAL_KMS_THIRD_KEY_ARN =
  'arn:aws:kms:us-east-1:000000000000:key/22222222-2222-4222-8222-222222222222';

/** `failNext` with this error type closes the connection without an answer (ECONNRESET). */
export const DROP_CONNECTION = 'DROP_CONNECTION';

export interface KmsServer {
  readonly endpoint: string;
  /** Requests served, by operation. */
  readonly requests: Map<string, number>;
  /**
   * Every request's operation, JSON input (it holds no plaintext) and user-agent header, in
   * order.
   */
  readonly received: { operation: string; input: Record<string, unknown>; userAgent: string }[];
  /**
   * Makes the next `count` requests of `operation` fail with `errorType` (an AWS error name, or
   * DROP_CONNECTION).
   */
  failNext(operation: string, errorType: string, count?: number, status?: number): void;
  /** Disables a key: every use of it fails with DisabledException, as in KMS. */
  disableKey(keyArn: string): void;
  client(): KMSClient;
  stop(): Promise<void>;
}

class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
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
  const keyArns = [LOCAL_KMS_KEY_ARN, LOCAL_KMS_SECOND_KEY_ARN, LOCAL_KMS_THIRD_KEY_ARN];
  const masterKeys = keyArns.map(() => LocalKeyring.generateMasterKey());
  const keyrings = masterKeys.map((masterKey) => new LocalKeyring({ masterKey }));
  const disabled = new Set<string>();
  const requests = new Map<string, number>();
  const received: KmsServer['received'] = [];
  const failures: { operation: string; errorType: string; status: number }[] = [];

  /** The index of a usable key named by `keyId`. */
  const usableKey = (keyId: unknown): number => {
    const index = keyArns.indexOf(String(keyId));
    if (index === -1) throw new KmsFault('NotFoundException', `key ${String(keyId)} not found`);
    if (disabled.has(keyArns[index] as string)) {
      throw new KmsFault('DisabledException', `${String(keyId)} is disabled`);
    }
    return index;
  };

  /** The key that wrapped a blob; `pinned` (KeyId / SourceKeyId), when given, must name it. */
  const sourceKey = (blob: Buffer, pinned: unknown): number => {
    const index = blob[0] ?? -1;
    if (!keyrings[index]) throw new KmsFault('InvalidCiphertextException', 'invalid ciphertext');
    if (pinned !== undefined && usableKey(pinned) !== index) {
      throw new KmsFault('IncorrectKeyException', 'the ciphertext was wrapped by another key');
    }
    return usableKey(keyArns[index]);
  };

  /** A failed authentication (tampered blob, another context) is InvalidCiphertextException. */
  const authenticated = async <T>(unwrap: () => Promise<T>): Promise<T> => {
    try {
      return await unwrap();
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      throw new KmsFault('InvalidCiphertextException', 'invalid ciphertext');
    }
  };

  const handle = async (operation: string, input: Record<string, unknown>) => {
    const context = input.EncryptionContext as EncryptionContext;
    if (operation === 'GenerateDataKey') {
      const index = usableKey(input.KeyId);
      const generated = await (keyrings[index] as LocalKeyring).generateDataKey(context);
      const answer = {
        KeyId: keyArns[index],
        Plaintext: generated.plaintext.toString('base64'),
        CiphertextBlob: Buffer.concat([Buffer.of(index), generated.wrapped]).toString('base64'),
      };
      generated.plaintext.fill(0);
      return answer;
    }
    if (operation === 'Decrypt') {
      const blob = Buffer.from(String(input.CiphertextBlob), 'base64');
      const index = sourceKey(blob, input.KeyId);
      const keyring = keyrings[index] as LocalKeyring;
      const plaintext = await authenticated(() =>
        keyring.decryptDataKey(blob.subarray(1), keyring.keyId, context),
      );
      const answer = {
        KeyId: keyArns[index],
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
      plaintext.fill(0);
      return answer;
    }
    if (operation === 'ReEncrypt') {
      const blob = Buffer.from(String(input.CiphertextBlob), 'base64');
      const source = sourceKey(blob, input.SourceKeyId);
      const destination = usableKey(input.DestinationKeyId);
      const sourceContext = input.SourceEncryptionContext as EncryptionContext;
      const destinationContext = input.DestinationEncryptionContext as EncryptionContext;
      const pair = new LocalKeyring({
        masterKey: masterKeys[destination] as Buffer,
        previousMasterKeys: [masterKeys[source] as Buffer],
      });
      const moved = await authenticated(() =>
        pair.rewrapDataKey(
          blob.subarray(1),
          (keyrings[source] as LocalKeyring).keyId,
          sourceContext,
        ),
      );
      if (JSON.stringify(sourceContext) !== JSON.stringify(destinationContext)) {
        // KMS allows a new context; the store never asks for one, so the stand-in refuses it.
        throw new KmsFault('ValidationException', 'the stand-in re-encrypts in the same context');
      }
      return {
        CiphertextBlob: Buffer.concat([Buffer.of(destination), moved.wrapped]).toString('base64'),
        SourceKeyId: keyArns[source],
        KeyId: keyArns[destination],
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    }
    throw new KmsFault('UnsupportedOperationException', operation);
  };

  const server = createServer(async (request, response) => {
    const operation = String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '');
    requests.set(operation, (requests.get(operation) ?? 0) + 1);
    const input = await body(request);
    received.push({ operation, input, userAgent: String(request.headers['user-agent'] ?? '') });
    const failure = failures.findIndex((entry) => entry.operation === operation);
    if (failure !== -1) {
      const [{ errorType, status }] = failures.splice(failure, 1) as [(typeof failures)[number]];
      if (errorType === DROP_CONNECTION) return void request.socket.destroy();
      return reply(response, status, { __type: errorType, message: `${errorType} (injected)` });
    }
    try {
      reply(response, 200, await handle(operation, input));
    } catch (error) {
      if (!(error instanceof KmsFault)) throw error;
      reply(response, 400, { __type: error.type, message: error.message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    received,
    failNext: (operation, errorType, count = 1, status = 400) => {
      for (let index = 0; index < count; index++) failures.push({ operation, errorType, status });
    },
    disableKey: (keyArn) => {
      disabled.add(keyArn);
    },
    client: () =>
      new KMSClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
