/**
 * The meter's arithmetic (observability/operationMeter.ts): ConsumedCapacity as DynamoDB returns
 * it (an object, or a list for batch commands; `CapacityUnits` alone with TOTAL, read and write
 * units apart for transactions), and the documented charge of a conditional write that failed.
 */
import { describe, expect, it } from 'vitest';
import { itemBytes, OperationMeter } from '../../packages/core/src/observability/operationMeter.ts';

describe('OperationMeter', () => {
  it('counts CapacityUnits as read units for reads and write units for writes', () => {
    const meter = OperationMeter.start();
    meter.consumed('GetItemCommand', { CapacityUnits: 1 });
    meter.consumed('QueryCommand', { CapacityUnits: 2.5 });
    meter.consumed('BatchGetItemCommand', [{ CapacityUnits: 3 }, { CapacityUnits: 1 }]);
    meter.consumed('UpdateItemCommand', { CapacityUnits: 6 });
    meter.consumed('BatchWriteItemCommand', [{ CapacityUnits: 7 }]);
    expect([meter.readUnits, meter.writeUnits]).toEqual([7.5, 13]);
  });

  it('takes read and write units apart when DynamoDB gives them (transactions)', () => {
    const meter = OperationMeter.start();
    meter.consumed('TransactWriteItemsCommand', [
      { CapacityUnits: 6, ReadCapacityUnits: 2, WriteCapacityUnits: 4 },
    ]);
    expect([meter.readUnits, meter.writeUnits]).toEqual([2, 4]);
  });

  it('a failed conditional write: the existing item in 1 KB units, or 1 without one', () => {
    const meter = OperationMeter.start();
    meter.refusedByCondition(undefined);
    expect(meter.writeUnits).toBe(1);
    // 2 + 2,500 bytes: 3 units
    meter.refusedByCondition({ pk: { S: 'x'.repeat(2500) } });
    expect(meter.writeUnits).toBe(4);
  });

  it('counts nothing once closed: a copy still in flight belongs to no operation', () => {
    const meter = OperationMeter.start();
    meter.request('dynamodb');
    meter.close();
    meter.request('dynamodb');
    meter.request('kms');
    meter.consumed('GetItemCommand', { CapacityUnits: 1 });
    meter.retried();
    expect([meter.dynamodbRequests, meter.kmsRequests, meter.readUnits, meter.retries]).toEqual([
      1, 0, 0, 0,
    ]);
  });
});

describe('itemBytes', () => {
  it('adds attribute names and values as DynamoDB sizes them', () => {
    expect(
      itemBytes({
        pk: { S: 'ns' }, // 2 + 2
        ciphertext: { B: new Uint8Array(100) }, // 10 + 100
        ok: { BOOL: true }, // 2 + 1
        ids: { L: [{ S: 'ab' }, { S: 'cd' }] }, // 3 + (3 + (1 + 2) * 2)
        é: { S: 'é' }, // 2 + 2 (UTF-8)
      }),
    ).toBe(4 + 110 + 3 + 12 + 4);
  });
});
