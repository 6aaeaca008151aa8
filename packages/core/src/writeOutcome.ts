/**
 * Write protocol v2's one decision: a write failed (its condition, or the network after the SDK's
 * retries). Did an earlier copy of it land? See DESIGN.md, "Write protocol v2", point 2.
 */

/** What a failed write means for the caller. */
export type WriteOutcome =
  /** An earlier copy of this very request landed (its response was lost): resolve, never re-apply. */
  | 'landed'
  /** It certainly did not land: retry from the current item, or report the failure. */
  | 'not-landed'
  /** The history cannot tell: throw OutcomeUnknownError, never guess. */
  | 'unknown';

export interface FailedWrite {
  /** The id this write carried. */
  readonly writeId: string;
  /** The `writeId` of the item it was conditioned on; `undefined` for "absent" (or no id). */
  readonly conditionedOn: string | undefined;
  /** The current item's history of write ids, newest first; `undefined` when there is no item. */
  readonly currentHistory: readonly string[] | undefined;
  /** Whether the failure answered the request's only copy (the SDK sent it once). */
  readonly onlyCopy: boolean;
}

export function outcomeOf(write: FailedWrite): WriteOutcome {
  const history = write.currentHistory ?? [];
  if (history.includes(write.writeId)) return 'landed';
  if (write.onlyCopy) return 'not-landed';
  // Had it landed, its id would sit right after the one it was conditioned on: every write adds
  // its id to the history it replaced, so a history that still holds that id holds every later one.
  if (write.conditionedOn !== undefined && history.includes(write.conditionedOn)) {
    return 'not-landed';
  }
  return 'unknown';
}
