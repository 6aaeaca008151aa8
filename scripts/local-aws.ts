/**
 * A local "AWS" on one loopback endpoint, for the documentation's code blocks in the consumer
 * test: dynalite answers DynamoDB and the repository's KMS stand-in answers KMS, behind one
 * router that sends each request by its `X-Amz-Target` (`DynamoDB_20120810.*`, `TrentService.*`).
 * One endpoint for both is what `AWS_ENDPOINT_URL` gives a user's process: the blocks run with
 * that variable and the `SECRETS_STORE_*` variables exactly as a Lambda function would, with the
 * real SDK clients and no test double in the store.
 *
 *   tsx --conditions=source scripts/local-aws.ts
 *
 * Prints one JSON line `{ endpoint, keyId, tableName }` when ready; stops when stdin closes (its
 * parent ended) or on SIGTERM.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSecretsTable,
  localDynamoDBClient,
  startDynalite,
} from '../test/support/dynamodb.ts';
import { LOCAL_KMS_KEY_ARN, startKmsServer } from '../test/support/kmsServer.ts';

const TABLE_NAME = 'secrets';

const dynamodb = await startDynalite();
const kms = await startKmsServer();
const client = localDynamoDBClient(dynamodb.endpoint);
await createSecretsTable(client, TABLE_NAME);
client.destroy();

const router = createServer((incoming, outgoing) => {
  const target = String(incoming.headers['x-amz-target'] ?? '');
  const upstream = target.startsWith('TrentService.') ? kms.endpoint : dynamodb.endpoint;
  const forwarded = request(
    `${upstream}${incoming.url ?? '/'}`,
    { method: incoming.method, headers: incoming.headers },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => outgoing.destroy());
  incoming.pipe(forwarded);
});
await new Promise<void>((resolve) => router.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(router.address() as AddressInfo).port}`;

async function stop(): Promise<void> {
  router.close();
  await Promise.allSettled([dynamodb.stop(), kms.stop()]);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

process.stdout.write(
  `${JSON.stringify({ endpoint, keyId: LOCAL_KMS_KEY_ARN, tableName: TABLE_NAME })}\n`,
);
