/**
 * Counts the requests an AWS SDK client sends, by command, with a middleware: what an operator
 * would see in CloudTrail or the DynamoDB metrics. Used by the integration tests and the benchmarks.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';

export interface RequestCounter {
  /** Requests of every command. */
  total(): number;
  /** Requests of one command, e.g. `GetItemCommand`. */
  of(commandName: string): number;
  reset(): void;
}

export function countRequests(client: DynamoDBClient | KMSClient): RequestCounter {
  const counts = new Map<string, number>();
  // Both clients share the smithy middleware stack; only its type parameters differ.
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: `countRequests-${randomUUID()}` },
  );
  return {
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    of: (name) => counts.get(name) ?? 0,
    reset: () => counts.clear(),
  };
}
