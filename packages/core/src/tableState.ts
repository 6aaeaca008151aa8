/**
 * The table's order of a secret's states, as the value cache (valueCache.ts) follows it: which
 * state of the item a value belongs to ({@link TableState}), and how two observations of a key
 * stand to each other, by the write history or else by real time.
 */
import { historyOf, type Item, type WriteState } from './item/index.ts';

/**
 * Which state of a secret's item a value belongs to: the id of the write that made the item
 * (`undefined`: no item, or one no write of this library made) and the write history as far as
 * it is known, newest first (a put's acknowledgement knows only its own id).
 */
export type TableState = Pick<WriteState, 'writeId' | 'history'>;

/** The state of no item at all: it cannot be ordered by history against anything. */
export const NO_ITEM: TableState = { writeId: undefined, history: [] };

/** The state of an item as read (`undefined`: none). */
export function tableStateOf(item: Item | undefined): TableState {
  if (!item) return NO_ITEM;
  const history = historyOf(item);
  return { writeId: history[0], history };
}

/** The state a write left whose request did not return the item: its own id only. */
export function blindWriteState(writeId: string): TableState {
  return { writeId, history: [writeId] };
}

/** One observation of a key's state by this process: when its request went out, when it came back. */
export interface Observation {
  readonly state: TableState;
  /** The cache's clock when the request was sent (for a write: when the operation began). */
  readonly sent: number;
  /** The cache's clock when the table's answer arrived. */
  readonly answered: number;
  /** `Date.now()` when the table's answer arrived: `maxAgeMs` counts from here. */
  readonly answeredAt: number;
  /** A strongly consistent read or a write: one sent later sees at least this state. */
  readonly ordered: boolean;
}

export type Order = 'newer' | 'same' | 'older' | 'unknown';

/** How `candidate` stands to `known` in the table's order. */
export function order(known: Observation, candidate: Observation): Order {
  const { writeId } = known.state;
  if (writeId !== undefined) {
    if (candidate.state.writeId === writeId) return 'same';
    if (candidate.state.history.includes(writeId)) return 'newer';
  }
  if (
    candidate.state.writeId !== undefined &&
    known.state.history.includes(candidate.state.writeId)
  ) {
    return 'older';
  }
  // The histories cannot tell; real time can, when one request went out after the other's answer.
  if (candidate.ordered && candidate.sent > known.answered) return 'newer';
  if (known.ordered && known.sent > candidate.answered) return 'older';
  return 'unknown';
}
