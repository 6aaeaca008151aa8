/**
 * What the read-modify-writes share (patch batches, rewrap, refresh's fenced write, put's
 * repair): the item they start from, the record they write, the write conditioned on the item
 * as read, and the backoff after a lost race. Each write goes through the write loop
 * (writeLoop.ts).
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { sleepUnlessAborted } from './abort.ts';
import type { ContentionBackoff } from './backoff.ts';
import type { DataKeyHolder } from './dataKeyHolder.ts';
import { ConcurrentUpdateError } from './errors.ts';
import {
  ATTRIBUTE,
  fromItem,
  type Item,
  isLive,
  type LeaseFence,
  replacedItem,
  replaceSecretInput,
  type SecretRecord,
  type WriteState,
  writeStateOf,
} from './item/index.ts';
import type { OpenedSecret, SecretName, SecretSealer } from './secretSealer.ts';
import type { TableState } from './tableState.ts';
import type { ValueHash } from './values.ts';
import { addressOf, afterCondition, newWriteId, type Write } from './writeLoop.ts';

/** The item a read-modify-write starts from. */
export interface Base {
  /** The item as read, what the write is conditioned on; `undefined` when there was none. */
  readonly read: WriteState | undefined;
  /** Its secret, decrypted; `undefined` when absent or a tombstone. */
  readonly opened: OpenedSecret | undefined;
}

/**
 * Told of what the read-modify-writes do (the value cache): that a batch of `key` begins, then
 * the state and value it left when its write landed, that it failed (its outcome may be
 * unknown: forget the key), or that it ended without writing.
 */
export interface WriteListener {
  started(key: string): {
    landed(state: TableState, value: ValueHash): void;
    failed(): void;
    ended(): void;
  };
}

/** The base of a write over `item`: decrypted (its data key held by `keys`) when live. */
export async function baseOf(
  sealer: SecretSealer,
  site: Write['site'],
  item: Item | undefined,
  keys: DataKeyHolder,
): Promise<Base> {
  if (!item) return { read: undefined, opened: undefined };
  // A tombstone is no secret, but a write over it is conditioned on it, and carries on its history.
  if (!isLive(item)) return { read: writeStateOf(item), opened: undefined };
  const opened = await sealer.open(nameOf(site), fromItem(item, site.key));
  keys.hold(opened.dataKey);
  return { read: opened.stored, opened };
}

/** Hands the base's data key over from `keys` to whoever keeps the base. */
export function handOverBase(base: Base, keys: DataKeyHolder): Base {
  if (base.opened) keys.handOver(base.opened.dataKey);
  return base;
}

/** A write conditioned on the item as read (patch, rewrap, put's repair; refresh with `fence`). */
export function conditionedWrite(
  site: Write['site'],
  record: SecretRecord,
  read: WriteState | undefined,
  fence?: LeaseFence,
): Write & { readonly item: Item } {
  const address = addressOf(site);
  const input = replaceSecretInput(address, record, read, fence);
  const inFlight = afterCondition(read);
  return {
    site,
    writeId: record.writeId,
    request: () => new UpdateItemCommand(input),
    // A fenced copy can land only while the lease id it holds is current: ids never repeat.
    whileInFlight: fence
      ? (current) =>
          current?.[ATTRIBUTE.leaseId]?.S === fence.held ? inFlight(current) : 'not-landed'
      : inFlight,
    conditioned: true,
    item: replacedItem(address, record, read),
  };
}

/** The record of a new write of `sealed`: now, under a new write id. */
export function newRecord(sealed: Omit<SecretRecord, 'updatedAt' | 'writeId'>): SecretRecord {
  return { ...sealed, updatedAt: Date.now(), writeId: newWriteId() };
}

/** Sleeps before the next attempt of a write that lost a race, or gives up. */
export async function backOff(
  contention: ContentionBackoff,
  site: Write['site'],
  attempt: number,
  roundTripMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const delay = contention.next(attempt, roundTripMs);
  if (delay === undefined) {
    throw new ConcurrentUpdateError(
      site.operation,
      site.key,
      site.namespace,
      attempt,
      Math.round(contention.elapsedMs),
    );
  }
  await sleepUnlessAborted(delay, signal);
}

/** The name a secret is sealed under, from the site of its write. */
export function nameOf(site: Write['site']): SecretName {
  return { namespace: site.namespace, key: site.key };
}
