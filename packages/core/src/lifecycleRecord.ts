/**
 * The lifecycle record: one reserved item per namespace (sort key {@link LIFECYCLE_RECORD_KEY},
 * which no user key can equal) holding the EventBridge `time` and `id` of the last
 * `AppInstalled` and the last `AppUninstalled` the uninstall pipeline applied.
 *
 * SQS delivers those events at least once and in any order, so each time only moves forward:
 * it is set by an `UpdateItem` conditioned on the stored time being absent or older. A late or
 * repeated event fails the condition and leaves the record as it was. This module is the one
 * home of the record's key, attributes and commands; the cleanup handler only calls it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { sendDynamo, storageError } from './dynamoCall.ts';
import { ATTRIBUTE, type Item, itemKey } from './item/index.ts';
import { LIFECYCLE_RECORD_KEY } from './keys.ts';

/** The record's attributes (besides the item key). */
export const LIFECYCLE_ATTRIBUTE = {
  installedAt: 'installedAt',
  installEventId: 'installEventId',
  uninstalledAt: 'uninstalledAt',
  uninstallEventId: 'uninstallEventId',
} as const;

export type LifecycleTransition = 'install' | 'uninstall';

/** The two fields of an EventBridge event the pipeline decides from. */
export interface LifecycleEvent {
  /** EventBridge's `id`. */
  readonly id: string;
  /** EventBridge's `time`, as epoch ms (whole seconds: EventBridge truncates). */
  readonly time: number;
}

/** What the record holds; a field is absent until the first event of its kind is applied. */
export interface LifecycleRecord {
  readonly installedAt?: number;
  readonly installEventId?: string;
  readonly uninstalledAt?: number;
  readonly uninstallEventId?: string;
}

const FIELDS = {
  install: { at: LIFECYCLE_ATTRIBUTE.installedAt, id: LIFECYCLE_ATTRIBUTE.installEventId },
  uninstall: { at: LIFECYCLE_ATTRIBUTE.uninstalledAt, id: LIFECYCLE_ATTRIBUTE.uninstallEventId },
} as const;

/** Moves the time of `transition` forward to the event's, never back (and not to an equal time). */
export function advanceLifecycleInput(
  tableName: string,
  namespace: string,
  transition: LifecycleTransition,
  event: LifecycleEvent,
): UpdateItemCommandInput {
  const fields = FIELDS[transition];
  return {
    TableName: tableName,
    Key: itemKey(namespace, LIFECYCLE_RECORD_KEY),
    UpdateExpression: 'SET #at = :time, #id = :id',
    ConditionExpression: 'attribute_not_exists(#at) OR #at < :time',
    ExpressionAttributeNames: { '#at': fields.at, '#id': fields.id },
    ExpressionAttributeValues: { ':time': { N: String(event.time) }, ':id': { S: event.id } },
    ReturnValues: 'ALL_NEW',
  };
}

/** Reads the record with `Query`, the action the cleanup role already has for listing keys. */
export function readLifecycleInput(tableName: string, namespace: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: '#namespace = :namespace AND #key = :record',
    ExpressionAttributeNames: { '#namespace': ATTRIBUTE.namespace, '#key': ATTRIBUTE.key },
    ExpressionAttributeValues: {
      ':namespace': { S: namespace },
      ':record': { S: LIFECYCLE_RECORD_KEY },
    },
    ConsistentRead: true,
  };
}

/** The record as stored; its fields carry the names of their attributes. */
export function parseLifecycleRecord(item: Item | undefined): LifecycleRecord {
  const time = (name: string) => {
    const value = item?.[name]?.N;
    return value === undefined ? {} : { [name]: Number(value) };
  };
  const id = (name: string) => {
    const value = item?.[name]?.S;
    return value === undefined ? {} : { [name]: value };
  };
  return {
    ...time(LIFECYCLE_ATTRIBUTE.installedAt),
    ...id(LIFECYCLE_ATTRIBUTE.installEventId),
    ...time(LIFECYCLE_ATTRIBUTE.uninstalledAt),
    ...id(LIFECYCLE_ATTRIBUTE.uninstallEventId),
  };
}

export interface AdvanceResult {
  /** False when the record already held this time or a later one (a late or repeated event). */
  readonly advanced: boolean;
  /** The record after the write (or as found, when the condition failed). */
  readonly record: LifecycleRecord;
}

/**
 * Applies an install or uninstall event to the namespace's lifecycle record.
 * Throws {@link StorageError} when DynamoDB fails after the SDK's retries.
 */
export async function advanceLifecycle(
  client: DynamoDBClient,
  tableName: string,
  namespace: string,
  transition: LifecycleTransition,
  event: LifecycleEvent,
): Promise<AdvanceResult> {
  try {
    const response = await sendDynamo(
      client,
      new UpdateItemCommand(advanceLifecycleInput(tableName, namespace, transition, event)),
    );
    return { advanced: true, record: parseLifecycleRecord(response.Attributes) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw storageError(lifecycleCall('UpdateItem', namespace), error);
    }
  }
  return { advanced: false, record: await readLifecycle(client, tableName, namespace) };
}

/** The namespace's lifecycle record, `{}` when no event was ever applied. */
export async function readLifecycle(
  client: DynamoDBClient,
  tableName: string,
  namespace: string,
): Promise<LifecycleRecord> {
  try {
    const response = await sendDynamo(
      client,
      new QueryCommand(readLifecycleInput(tableName, namespace)),
    );
    return parseLifecycleRecord(response.Items?.[0]);
  } catch (error) {
    throw storageError(lifecycleCall('Query', namespace), error);
  }
}

/** How an error names a call on the lifecycle record. */
function lifecycleCall(operation: string, namespace: string): string {
  return `the ${operation} of the lifecycle record of namespace ${namespace}`;
}
