/**
 * Forced schedules for stores that each have their own SDK client (separate Lambda containers)
 * on a real DynamoDB API: middleware on each client holds its first read's answer or its first
 * write, so that the race a test names is the one that runs, on any machine, however busy.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand']);

/** How a client's first write was answered: applied, or refused (a lost race). */
export type FirstWrite = 'applied' | 'refused';

export interface ClientSchedule {
  /**
   * Holds the answer of the client's first GetItem until every client of the schedule has had
   * its own: all of them then start from the same item.
   */
  attach(client: DynamoDBClient, options?: { readonly firstWriteAfter?: Promise<unknown> }): void;
  /** The answers of each client's first write, in the order the clients were attached. */
  firstWrites(): (FirstWrite | undefined)[];
  /** Resolves when every client has had its first read's answer (before they get it). */
  readonly everyoneRead: Promise<void>;
}

export function clientSchedule(clients: number): ClientSchedule {
  let arrived = 0;
  let open: () => void = () => {};
  const everyoneRead = new Promise<void>((resolve) => {
    open = resolve;
  });
  const firstWrites: (FirstWrite | undefined)[] = [];
  return {
    attach(client, options = {}) {
      const index = firstWrites.push(undefined) - 1;
      let read = false;
      let wrote = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const command = context.commandName ?? '';
          if (command === 'GetItemCommand' && !read) {
            read = true;
            const output = await next(args);
            arrived += 1;
            if (arrived === clients) open();
            await everyoneRead;
            return output;
          }
          if (WRITES.has(command) && !wrote) {
            wrote = true;
            await options.firstWriteAfter;
            try {
              const output = await next(args);
              firstWrites[index] = 'applied';
              return output;
            } catch (error) {
              firstWrites[index] = 'refused';
              throw error;
            }
          }
          return next(args);
        },
        { step: 'initialize', name: `clientSchedule-${randomUUID()}` },
      );
    },
    firstWrites: () => [...firstWrites],
    everyoneRead,
  };
}
