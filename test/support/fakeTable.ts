/**
 * A one-table DynamoDB behind aws-sdk-client-mock for unit tests: it understands exactly the
 * expressions the store sends (and throws on any other), so that tests can count calls and
 * script races while integration tests cover a real implementation.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

export interface FakeTable {
  readonly dynamodb: ReturnType<typeof mockClient>;
  readonly client: DynamoDBClient;
  readonly items: Map<string, Item>;
  /** Runs before each conditional PutItem is evaluated, e.g. to let a rival write first. */
  beforePut?: (input: { Item?: Item }) => void;
  /** Whether a failed condition returns the current item (as DynamoDB does for ALL_OLD). */
  returnAllOld: boolean;
}

const id = (key: Item | undefined) => `${key?.pk?.S}\u0001${key?.sk?.S}`;

function resolveName(name: string, names: Record<string, string> | undefined): string {
  return name.startsWith('#') ? (names?.[name] ?? name) : name;
}

export function fakeTable(): FakeTable {
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const dynamodb = mockClient(client);
  const table: FakeTable = { dynamodb, client, items: new Map(), returnAllOld: true };

  dynamodb.on(GetItemCommand).callsFake((input) => {
    const item = table.items.get(id(input.Key));
    if (!item) return {};
    if (input.ProjectionExpression) {
      const fields = input.ProjectionExpression.split(',').map((field: string) => field.trim());
      return { Item: Object.fromEntries(fields.map((field: string) => [field, item[field]])) };
    }
    return { Item: structuredClone(item) };
  });

  dynamodb.on(UpdateItemCommand).callsFake((input) => {
    const match = /^SET (.+) ADD (#\w+) (:\w+)$/.exec(input.UpdateExpression ?? '');
    if (!match?.[1] || !match[2] || !match[3])
      throw new Error(`unsupported update: ${input.UpdateExpression}`);
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    const item: Item = { ...(table.items.get(id(input.Key)) ?? {}), ...input.Key };
    for (const assignment of match[1].split(',')) {
      const [name, value] = assignment.split('=').map((part: string) => part.trim());
      item[resolveName(name as string, names)] = values[value as string];
    }
    const counter = resolveName(match[2], names);
    item[counter] = { N: String(Number(item[counter]?.N ?? 0) + Number(values[match[3]].N)) };
    table.items.set(id(input.Key), item);
    return {};
  });

  dynamodb.on(PutItemCommand).callsFake((input) => {
    table.beforePut?.(input);
    const current = table.items.get(id(input.Item));
    const condition = input.ConditionExpression;
    let holds: boolean;
    if (condition === 'attribute_not_exists(pk)') holds = current === undefined;
    else if (condition === '#version = :expectedVersion') {
      holds = current?.version?.N === input.ExpressionAttributeValues[':expectedVersion'].N;
    } else throw new Error(`unsupported condition: ${condition}`);
    if (!holds) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(table.returnAllOld && current && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
          ? { Item: structuredClone(current) }
          : {}),
      });
    }
    table.items.set(id(input.Item), structuredClone(input.Item));
    return {};
  });

  dynamodb.on(DeleteItemCommand).callsFake((input) => {
    table.items.delete(id(input.Key));
    return {};
  });

  dynamodb.on(QueryCommand).callsFake((input) => {
    const namespace = input.ExpressionAttributeValues[':namespace'].S;
    const keys = [...table.items.values()]
      .filter((item) => item.pk?.S === namespace)
      .map((item) => item.sk?.S as string)
      .sort();
    const start = input.ExclusiveStartKey?.sk?.S;
    const page = keys.filter((key) => start === undefined || key > start).slice(0, 2);
    const last = page.at(-1);
    return {
      Items: page.map((key) => ({ sk: { S: key } })),
      ...(page.length === 2 && last !== keys.at(-1)
        ? { LastEvaluatedKey: { pk: { S: namespace }, sk: { S: last } } }
        : {}),
    };
  });

  return table;
}
