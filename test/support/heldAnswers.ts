/**
 * Holds the answer of a request after DynamoDB applied it: the table has the write (or the read
 * has seen the item), but the caller hears of it only when the test says. The MemoryTable's own
 * hooks hold a request before it applies (`pauseNext`) or drop its answer so the SDK re-sends
 * it (`loseResponseOfNext`); a value cache ordered by when promises settle fails exactly when an
 * applied request's answer is late, so this holds the answer itself, outside the SDK's retries
 * (a middleware at the client's outermost step: the store's own per-attempt accounting has seen
 * the success already).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { gate } from './gate.ts';

export interface HeldAnswer {
  /** Resolves when the request was applied and its answer is held. */
  readonly applied: Promise<void>;
  /** Lets the answer reach the caller. */
  release(): void;
}

interface Hold {
  readonly commandName: string;
  readonly predicate: ((input: Record<string, unknown>) => boolean) | undefined;
  readonly arrived: () => void;
  readonly released: Promise<void>;
}

const holdsOf = new WeakMap<DynamoDBClient, Hold[]>();

function holds(client: DynamoDBClient): Hold[] {
  let list = holdsOf.get(client);
  if (list) return list;
  const created: Hold[] = [];
  list = created;
  holdsOf.set(client, created);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const hold = created.find(
        (candidate) =>
          candidate.commandName === context.commandName && (candidate.predicate?.(input) ?? true),
      );
      if (hold) created.splice(created.indexOf(hold), 1);
      const output = await next(args);
      if (hold) {
        hold.arrived();
        await hold.released;
      }
      return output;
    },
    { step: 'initialize', priority: 'high', name: `heldAnswers-${randomUUID()}` },
  );
  return list;
}

/**
 * The answer of the next `commandName` (e.g. `GetItemCommand`) sent by `client` that matches
 * `predicate` is held after the table applied it, until `release()`.
 */
export function holdAnswerOfNext(
  client: DynamoDBClient,
  commandName: string,
  predicate?: (input: Record<string, unknown>) => boolean,
): HeldAnswer {
  const held = gate();
  holds(client).push({ commandName, predicate, arrived: held.arrive, released: held.opened });
  return { applied: held.reached, release: held.release };
}

/** Requests held and not yet matched: a test's schedule has run when this is 0. */
export function pendingHolds(client: DynamoDBClient): number {
  return holdsOf.get(client)?.length ?? 0;
}
