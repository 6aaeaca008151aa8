/**
 * The one write loop of the store (write protocol v3, DESIGN.md): put, patch batches, field
 * deletes, delete, rewrap and refresh's writes (secretWriter.ts, refresh.ts) all go through
 * {@link land}, which sends a write, accounts for every copy of it (copyAnswers.ts) and decides
 * from what the copies answered and what the item's history shows:
 *
 * - a copy answered 2xx, or the write's own id is in the item's history: it **landed**;
 * - every copy was refused (4xx): it **never lands**: a failed condition is a lost race (the
 *   caller retries from the item that won), any other refusal a {@link StorageError};
 * - some copy may still land and the item still satisfies the write's condition: the **same
 *   request is sent again** (same `writeId`: whichever copy lands first wins, every other fails
 *   its condition), a few times at most;
 * - some copy may still land but the item has moved past the write's condition for good: it
 *   never lands when the history shows what came right after the id it was conditioned on (not
 *   this write), and is **unknown** ({@link OutcomeUnknownError}) when the history does not
 *   reach back that far.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { raceAbort, reasonName } from './abort.ts';
import { describeAwsError } from './awsErrors.ts';
import { backOff, MAX_RESENDS, RESEND_BACKOFF } from './backoff.ts';
import { CopyLog, sdkFailure, type WriteCommand } from './copyAnswers.ts';
import {
  abortedError,
  type CallSite,
  callDynamo,
  describeSite,
  sendDynamo,
  storageError,
} from './dynamoCall.ts';
import { OutcomeUnknownError } from './errors.ts';
import {
  ATTRIBUTE,
  getSecretInput,
  HISTORY_LENGTH,
  historyOf,
  type Item,
  type SecretAddress,
  type WriteState,
} from './item/index.ts';

/**
 * How many sends of a conditional write may be refused (throttled) before StorageError: as
 * many as the SDK's own default attempts. Each re-send follows a read that shows the write's
 * base still current: a throttled write whose base moved is a lost race, never re-sent stale.
 */
export const MAX_REFUSED_SENDS = 3;

/** How a write ended: it landed, or it certainly never lands because its condition failed. */
export type Landing =
  | { readonly landed: true }
  /** `current`: the item that won, when DynamoDB returned it (ALL_OLD) or the store read it. */
  | { readonly landed: false; readonly current: Item | undefined };

const LANDED: Landing = { landed: true };

/**
 * What to do while a copy of the write may still land and its id is not (yet) in the item's
 * history: send the write's request again, send another request with the same id instead (a
 * delete over an item that is not live), or stop: it never lands, or no one can tell.
 */
export type InFlightStep =
  | 'resend'
  | 'not-landed'
  | 'unknown'
  | { readonly instead: () => WriteCommand };

/** One write of a secret: its request, its id, and how to decide while a copy is in flight. */
export interface Write {
  readonly site: CallSite & { readonly key: string };
  readonly writeId: string;
  /**
   * Whether `current` shows that a copy of this write landed. @default its `writeId` is in the
   * item's history (a lease write, which leaves the history alone, says its own way)
   */
  readonly landedIn?: (current: Item) => boolean;
  readonly request: () => WriteCommand;
  readonly whileInFlight: (current: Item | undefined) => InFlightStep;
  /**
   * Conditioned on the item it read: its throttled copies are the store's to re-send, after a
   * read shows that item still current (`whileInFlight` says 'resend').
   */
  readonly conditioned?: boolean;
  /** The caller's: when it aborts, the write stops and is told from its copies' answers. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends a write until it is decided; see the module's comment. When the write's signal aborts,
 * it stops at once and is told from its copies' answers: {@link StorageError} when none can
 * land, {@link OutcomeUnknownError} when one may (a copy in flight, or one in doubt).
 */
export async function land(client: DynamoDBClient, write: Write): Promise<Landing> {
  const copies = new CopyLog();
  const { signal } = write;
  const stopIfAborted = () => {
    if (!signal?.aborted) return;
    throw copies.someMayLand
      ? unknownAfterAbort(write.site, signal.reason)
      : abortedError(write.site, signal.reason, 'no copy of it was applied, and none will be');
  };
  /** Waits for `work`, or stops at once when the signal aborts. */
  const unlessAborted = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await raceAbort(work, signal);
    } catch (error) {
      stopIfAborted();
      throw error;
    }
  };
  let request = write.request;
  let refused = 0;
  let resends = 0;
  for (;;) {
    stopIfAborted();
    let failure: unknown;
    try {
      await unlessAborted(copies.send(client, request(), write.conditioned === true, signal));
      return LANDED;
    } catch (error) {
      // Aborted: `unlessAborted` threw what the copies tell.
      if (signal?.aborted) throw error;
      failure = sdkFailure(error);
    }
    const returned =
      failure instanceof ConditionalCheckFailedException ? (failure.Item as Item) : undefined;
    if (!copies.someMayLand) {
      // Every copy, of every send, was refused: nothing of this write is or will be applied.
      if (failure instanceof ConditionalCheckFailedException) {
        return { landed: false, current: returned };
      }
      if (!write.conditioned || ++refused >= MAX_REFUSED_SENDS) {
        throw storageError(write.site, failure);
      }
      // Throttled: after a backoff, send it again only if its base is still current; a base
      // that moved meanwhile makes it a lost race (its copies, all refused, can never land).
      await unlessAborted(backOff(refused, RESEND_BACKOFF, signal));
      const current = await unlessAborted(readItem(client, write.site, signal));
      if (write.whileInFlight(current) !== 'resend') return { landed: false, current };
      request = write.request;
      continue;
    }
    let current = returned;
    if (!current) {
      try {
        current = await unlessAborted(readItem(client, write.site, signal));
      } catch (error) {
        if (signal?.aborted) throw error;
        throw unknown(write.site, 'the read that would tell failed too', failure);
      }
    }
    if (current && (write.landedIn?.(current) ?? historyOf(current).includes(write.writeId))) {
      return LANDED;
    }
    const step = write.whileInFlight(current);
    if (step === 'not-landed') return { landed: false, current };
    if (step === 'unknown') {
      throw unknown(
        write.site,
        `the secret's history of its last ${HISTORY_LENGTH} writes no longer reaches back to the write it was based on`,
        failure,
      );
    }
    if (resends >= MAX_RESENDS) {
      throw unknown(
        write.site,
        `it was sent ${resends + 1} times and a copy may still land`,
        failure,
      );
    }
    request = step === 'resend' ? write.request : step.instead;
    resends += 1;
    await unlessAborted(backOff(resends, RESEND_BACKOFF, signal));
  }
}

/** A write aborted by its caller while a copy of it may still land. */
export function unknownAfterAbort(site: CallSite, reason: unknown): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `${describeSite(site)} may or may not have landed: it was aborted (${reasonName(reason)}) while a copy of it may still land; read the secret to see where it stands`,
    { cause: reason },
  );
}

function unknown(site: CallSite, why: string, cause: unknown): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `${describeSite(site)} may or may not have landed: a copy of it may have reached DynamoDB (${describeAwsError(cause)}) and ${why}; read the secret to see where it stands`,
    { cause: storageError(site, cause) },
  );
}

/** A write id (or lease id): 128 random bits that never repeat for a key. */
export function newWriteId(): string {
  return randomBytes(16).toString('base64url');
}

/** The item a write of `site` is sent to. */
export function addressOf(site: Write['site']): SecretAddress {
  return { tableName: site.tableName, namespace: site.namespace, key: site.key };
}

/** The item as it is now (strongly consistent): what decides a write whose copy may land. */
export async function readItem(
  client: DynamoDBClient,
  site: Write['site'],
  signal?: AbortSignal,
): Promise<Item | undefined> {
  const response = await callDynamo(site, () =>
    sendDynamo(client, new GetItemCommand(getSecretInput(addressOf(site), true)), { signal }),
  );
  return response.Item;
}

/**
 * The decision of a write conditioned on the item as read (`read`), while a copy of it may
 * still land and its id is not in `current`'s history.
 */
export function afterCondition(
  read: WriteState | undefined,
): (current: Item | undefined) => InFlightStep {
  return (current) => {
    if (conditionHolds(read, current)) return 'resend';
    const history = current ? historyOf(current) : [];
    if (!read) {
      // A create. Every write since the item came to be is in a history that is not full.
      return current && history.length < HISTORY_LENGTH ? 'not-landed' : 'unknown';
    }
    // Had it landed, its id would sit right after the one it was conditioned on: a history that
    // still holds that id (behind a newer one) holds every write since.
    return read.writeId !== undefined && history.indexOf(read.writeId) >= 1
      ? 'not-landed'
      : 'unknown';
  };
}

/** Whether a write conditioned on `read` could still land on `current`. */
function conditionHolds(read: WriteState | undefined, current: Item | undefined): boolean {
  if (!read) return current === undefined;
  if (!current) return false;
  const attribute = current[ATTRIBUTE.writeId];
  if (read.writeIdAttribute === undefined) return attribute === undefined;
  return attribute !== undefined && sameAttribute(attribute, read.writeIdAttribute);
}

function sameAttribute(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
