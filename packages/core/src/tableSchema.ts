/**
 * The table's own names, in one place: its key schema and its TTL attribute. Every writer of
 * items (item/), the testing kit's table, the CLI's local table and the CDK construct's table
 * use these; a second spelling of `pk` would be a table the store cannot read.
 */
export const TABLE_SCHEMA = {
  /** The partition key (string): the namespace. */
  partitionKey: 'pk',
  /** The sort key (string): the secret's key. */
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB's TTL may remove a tombstone (what `delete` leaves). */
  timeToLiveAttribute: 'expiresAt',
} as const;
