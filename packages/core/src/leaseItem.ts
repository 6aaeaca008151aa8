/**
 * The lease of a secret (`refresh`, DESIGN.md "Coordinated refresh"): where it lives and the
 * commands that take, renew and release it. The attribute names live with the rest of the item's
 * schema (item/schema.ts, `ATTRIBUTE.leaseId`, `ATTRIBUTE.leaseMs`).
 *
 * The lease lives on the secret's own item, so that the holder's final write can be fenced by it
 * in one conditional write, without a transaction (DESIGN.md, "Multi-Region readiness"). Every
 * lease write is an UpdateItem that names the lease's attributes only: `put`, `patch` and
 * `delete` (UpdateItems too) never erase a lease, and no lease write changes the item's
 * `writeId` or history, so a lease never makes a write fail or wait.
 *
 * - `leaseId`: a random id that every lease write replaces and none ever removes (the record
 *   version number of the DynamoDB Lock Client). Each lease write is conditioned on the id it
 *   read: no ABA, and a copy of a lease write whose id moved on can never land.
 * - `leaseMs`: present while the lease is held; how long its holder may stay silent. A waiter
 *   takes over a lease whose id it has seen unchanged for that long on its own clock: no clock
 *   of another machine is trusted, and no TTL is needed.
 *
 * A refresh of an absent secret holds its lease on a tombstone (write protocol v3: `get`,
 * `getMany`, `exists`, `keys()` and `listNamespaces` treat it as absent, `purge` removes it
 * without counting it, the uninstall deletes it). Its TTL mark (`expiresAt`) only tidies: if the
 * table's TTL removed it while held, the holder's final write finds no lease and writes nothing.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  ATTRIBUTE,
  type Item,
  isLive,
  itemKey,
  type SecretAddress,
  tombstoneExpiry,
} from './item/index.ts';

/** The lease of an item as read. */
export interface LeaseState {
  /** The lease's current id; `undefined` when no lease was ever taken on this item. */
  readonly id: string | undefined;
  /** While held: how long its holder may stay silent; `undefined` when free. */
  readonly heldForMs: number | undefined;
}

export function leaseOf(item: Item | undefined): LeaseState {
  const id = item?.[ATTRIBUTE.leaseId]?.S;
  const heldForMs = Number(item?.[ATTRIBUTE.leaseMs]?.N);
  return {
    id,
    heldForMs: Number.isSafeInteger(heldForMs) && heldForMs > 0 ? heldForMs : undefined,
  };
}

const LEASE_NAMES = { '#leaseId': ATTRIBUTE.leaseId } as const;

/** The lease as read: its id, or no lease attribute at all. */
function leaseCondition(read: LeaseState): {
  expression: string;
  values: Record<string, AttributeValue>;
} {
  return read.id === undefined
    ? { expression: 'attribute_not_exists(#leaseId)', values: {} }
    : { expression: '#leaseId = :readLease', values: { ':readLease': { S: read.id } } };
}

/**
 * Takes the lease: a free one, or one held by a holder silent for its `leaseMs`, conditioned on
 * the lease id as read. Over a live secret it sets the lease's attributes only (and requires the
 * secret still live); over no secret (absent, a tombstone) it leaves a tombstone holding the
 * lease (and requires it still not live: a take must never mark a secret written meanwhile).
 */
export function takeLeaseInput(
  address: SecretAddress,
  read: { readonly item: Item | undefined; readonly lease: LeaseState },
  leaseId: string,
  leaseMs: number,
  now: number,
): UpdateItemCommandInput {
  const lease = leaseCondition(read.lease);
  const live = isLive(read.item);
  const names: Record<string, string> = {
    ...LEASE_NAMES,
    '#leaseMs': ATTRIBUTE.leaseMs,
    '#namespace': ATTRIBUTE.namespace,
    '#expiresAt': ATTRIBUTE.expiresAt,
  };
  const values: Record<string, AttributeValue> = {
    ...lease.values,
    ':lease': { S: leaseId },
    ':leaseMs': { N: String(leaseMs) },
  };
  let update = 'SET #leaseId = :lease, #leaseMs = :leaseMs';
  let shape: string;
  if (live) {
    shape = 'attribute_exists(#namespace) AND attribute_not_exists(#expiresAt)';
  } else {
    // The tombstone's mark is renewed: one about to expire must not vanish under the lease.
    update += ', #expiresAt = :expiresAt';
    values[':expiresAt'] = { N: String(tombstoneExpiry(now)) };
    shape = '(attribute_not_exists(#namespace) OR attribute_exists(#expiresAt))';
  }
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    UpdateExpression: update,
    ConditionExpression: `${shape} AND ${lease.expression}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Renews a held lease (the heartbeat), or releases it (`release`: nothing written, the next
 * caller need not wait for it to expire): a new id, conditioned on the id the holder holds.
 */
export function moveLeaseInput(
  address: SecretAddress,
  held: string,
  leaseId: string,
  release: boolean,
): UpdateItemCommandInput {
  return {
    TableName: address.tableName,
    Key: itemKey(address.namespace, address.key),
    UpdateExpression: release ? 'SET #leaseId = :lease REMOVE #leaseMs' : 'SET #leaseId = :lease',
    ConditionExpression: '#leaseId = :held',
    ExpressionAttributeNames: release
      ? { ...LEASE_NAMES, '#leaseMs': ATTRIBUTE.leaseMs }
      : { ...LEASE_NAMES },
    ExpressionAttributeValues: { ':lease': { S: leaseId }, ':held': { S: held } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}
