/**
 * The namespaces of a table, for operator tools that act on all of them (`secrets-store rewrap
 * --all-namespaces`, the local `rotate-key`): a Scan of the partition key, every page.
 */
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { callDynamo, sendDynamo } from './dynamoCall.ts';
import { ConfigurationError } from './errors.ts';
import { type Item, namespaceOf, scanNamespacesInput } from './item/index.ts';

export interface ListNamespacesOptions {
  /** The DynamoDB client to scan with. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Every namespace that holds at least one item of `tableName`, sorted, each once. It reads the
 * whole table (a Scan, 1 MB a page), so it costs what a full read of the table costs.
 *
 * Throws {@link StorageError} when a Scan fails after the SDK's retries.
 *
 * @example
 * for (const namespace of await listNamespaces({ client, tableName: 'secrets' })) {
 *   await store.forNamespace(namespace).rewrap();
 * }
 */
export async function listNamespaces(options: ListNamespacesOptions): Promise<string[]> {
  const { client, tableName } = options;
  // A table name is checked here, before any call: an empty one would be a confusing AWS error.
  if (typeof tableName !== 'string' || tableName === '') {
    throw new ConfigurationError(
      `listNamespaces needs a table name, received ${JSON.stringify(tableName)}`,
    );
  }
  const namespaces = new Set<string>();
  let startKey: Item | undefined;
  let page = 0;
  do {
    page += 1;
    const response = await callDynamo(
      `the Scan of table ${tableName} (page ${page}) listing its namespaces`,
      () => sendDynamo(client, new ScanCommand(scanNamespacesInput(tableName, startKey))),
    );
    for (const item of response.Items ?? []) {
      const namespace = namespaceOf(item);
      if (namespace !== undefined) namespaces.add(namespace);
    }
    startKey = response.LastEvaluatedKey;
  } while (startKey !== undefined);
  return [...namespaces].sort();
}
