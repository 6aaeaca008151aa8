/**
 * A write count outside the range a put can increment (DynamoDB numbers hold 38 digits from
 * 1E-130 to 9.99E125 in magnitude; `+ 1` past that is a ValidationException) is corrupt: the
 * next put replaces it with one more request (its UpdateItem's condition fails, and moto returns
 * the item with the failure, as DynamoDB does), and a patch in its one write. On moto's
 * DynamoDB, a second implementation of the arithmetic besides the kit's MemoryTable. Not here:
 * a 38-digit fraction whose `+ 1` needs a 39th digit (moto's arithmetic takes it where DynamoDB
 * and the MemoryTable refuse it; writeProtocol.test.ts covers it on the MemoryTable).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { countRequests, itemsOf, newStore, rawClient, tableName } from '../support/integration.ts';

async function damageVersion(namespace: string, version: Record<string, unknown>): Promise<void> {
  const [item] = await itemsOf(namespace);
  await rawClient.send(
    new PutItemCommand({ TableName: tableName, Item: { ...item, version } as never }),
  );
}

async function versionOf(namespace: string) {
  const [item] = await itemsOf(namespace);
  return item?.version;
}

describe('a count out of range on moto', () => {
  it.each([
    ['9.99E125', { N: '9.99E125' }],
    ['1E38', { N: '1E38' }],
    ['1E-130', { N: '1E-130' }],
    ['-9.99E125', { N: '-9.99E125' }],
    ['a string', { S: 'seven' }],
  ])('a version of %s: the next put replaces it with one more request', async (_, version) => {
    const store = newStore();
    const requests = countRequests(rawClient);
    await store.put('k', { a: 1 });
    await damageVersion(store.namespace, version);
    requests.reset();
    await store.put('k', { a: 2 });
    // The put, then the whole write conditioned on the item as read that repairs the count.
    expect([requests.of('UpdateItemCommand'), requests.of('GetItemCommand')]).toEqual([2, 0]);
    expect(await versionOf(store.namespace)).toEqual({ N: '1' });
    expect(await store.get('k')).toEqual({ a: 2 });
    await store.put('k', { a: 3 });
    expect(await versionOf(store.namespace)).toEqual({ N: '2' });
  });

  it('a version of 9.99E125: a patch replaces it in its one write', async () => {
    const store = newStore();
    await store.put('k', { a: 1 });
    await damageVersion(store.namespace, { N: '9.99E125' });
    await store.patch('k', { b: 2 });
    expect(await versionOf(store.namespace)).toEqual({ N: '1' });
    expect(await store.get('k')).toEqual({ a: 1, b: 2 });
  });
});
