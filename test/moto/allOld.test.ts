/**
 * The failed-condition path of the write protocol on a server that returns the item with the
 * failure (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), as DynamoDB does and dynalite does
 * not: moto. Single writer, forced schedules: the subject's write is held at the SDK until a
 * rival (another container: its own store and client) has written, then let go. The integration
 * suite's writeProtocol.test.ts runs on moto too (the moto tier): there its `allOld` proxies pass
 * moto's own item through, and the plain ones remove it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SecretsStore } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { localDynamoDBClient } from '../support/dynamodb.ts';
import { gate } from '../support/gate.ts';
import {
  countRequests,
  endpoint,
  keyring,
  rawClient,
  tableName,
  uniqueNamespace,
} from '../support/integration.ts';

interface Log {
  ids?: string[];
}

/** Holds the next write of `client` until `release` is called; `reached` resolves when it waits. */
function holdNextWrite(client: DynamoDBClient) {
  const write = gate();
  let held = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!held && ['PutItemCommand', 'UpdateItemCommand'].includes(context.commandName ?? '')) {
        held = true;
        write.arrive();
        await write.opened;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdNextWrite' },
  );
  return { reached: write.reached, release: write.release };
}

describe('ALL_OLD on moto', () => {
  it('a failed conditional PutItem returns the item as it is', async () => {
    const key = { pk: { S: uniqueNamespace('raw') }, sk: { S: 'k' } };
    await rawClient.send(
      new PutItemCommand({ TableName: tableName, Item: { ...key, writeId: { S: 'w1' } } }),
    );
    const error = await rawClient
      .send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key, writeId: { S: 'w2' } },
          ConditionExpression: 'writeId = :read',
          ExpressionAttributeValues: { ':read': { S: 'w0' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error.Item).toEqual({ ...key, writeId: { S: 'w1' } });
  });

  it('a patch that loses its condition to a rival is applied once, after the rival', async () => {
    const namespace = uniqueNamespace('all-old');
    const client = localDynamoDBClient(endpoint);
    const subject = new SecretsStore({ tableName, namespace, keyring, client });
    const rival = new SecretsStore({ tableName, namespace, keyring, client: rawClient });
    await rival.put('log', { ids: [] });
    const requests = countRequests(client);
    const hold = holdNextWrite(client);
    let runs = 0;
    const patch = subject.patch<Log>('log', (value) => {
      runs++;
      return { ids: [...(value.ids ?? []), 'subject'] };
    });
    await hold.reached; // the subject read the item and is about to write
    await rival.patch<Log>('log', (value) => ({ ids: [...(value.ids ?? []), 'rival'] }));
    hold.release();
    await expect(patch).resolves.toEqual({ ids: ['rival'] });
    expect(runs).toBe(2);
    expect(requests.of('UpdateItemCommand')).toBe(2);
    expect(await rival.get<Log>('log')).toEqual({ ids: ['rival', 'subject'] });
  });

  it('a create that loses to a rival create is applied once, after the rival', async () => {
    const namespace = uniqueNamespace('all-old-create');
    const client = localDynamoDBClient(endpoint);
    const subject = new SecretsStore({ tableName, namespace, keyring, client });
    const rival = new SecretsStore({ tableName, namespace, keyring, client: rawClient });
    const requests = countRequests(client);
    const hold = holdNextWrite(client);
    const patch = subject.patch<Log>('log', (value) => ({
      ids: [...(value.ids ?? []), 'subject'],
    }));
    await hold.reached;
    await rival.patch<Log>('log', (value) => ({ ids: [...(value.ids ?? []), 'rival'] }));
    hold.release();
    await expect(patch).resolves.toEqual({ ids: ['rival'] });
    expect(requests.of('UpdateItemCommand')).toBe(2);
    expect(await rival.get<Log>('log')).toEqual({ ids: ['rival', 'subject'] });
  });
});
