/**
 * How a public operation of the store meets its caller's signal (DESIGN.md, "Deadlines and
 * cancellation"): a read and a write, each told truly what an abort left behind.
 */
import { causedByAbort, raceAbort } from './abort.ts';
import { abortedError, type CallSite } from './dynamoCall.ts';
import { OutcomeUnknownError } from './errors.ts';

/**
 * A read with the caller's signal: one already aborted rejects before any call, and an abort
 * ends the wait at once (shared work goes on for its other callers), as a StorageError whose
 * cause is the signal's reason.
 */
export async function abortableRead<T>(
  site: CallSite,
  signal: AbortSignal | undefined,
  read: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw abortedError(site, signal.reason);
  try {
    return await raceAbort(read(), signal);
  } catch (error) {
    throw signal?.aborted ? abortedError(site, signal.reason) : error;
  }
}

/**
 * A write with the caller's signal. The write loop tells an abort from its copies' answers
 * (writeLoop.ts); what an abort ended before any copy was sent (a KMS call, a sleep) is a
 * StorageError: nothing of it was written. Any other error, and an OutcomeUnknownError, as is.
 */
export async function abortableWrite<T>(
  site: CallSite,
  signal: AbortSignal | undefined,
  write: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw abortedError(site, signal.reason, 'nothing of it was written');
  try {
    return await write();
  } catch (error) {
    const told =
      error instanceof OutcomeUnknownError ||
      (error instanceof Error && error.cause === signal?.reason);
    if (signal?.aborted && !told && causedByAbort(error, signal.reason)) {
      throw abortedError(site, signal.reason, 'nothing of it was written');
    }
    throw error;
  }
}
