/**
 * How the store talks to DynamoDB. Every command core sends goes through {@link sendDynamo}, the
 * one place where a command meets the client's `send` (what every request carries, or is
 * counted by, belongs there). {@link callDynamo} turns a call's failure into a
 * {@link StorageError} that names the AWS error (and, for network failures, the system code:
 * `ECONNREFUSED`, see awsErrors.ts); {@link storageError} is the one place such an error is
 * built, so every one carries the SDK error without its raw response (`safeCause`). Writes go
 * through the write loop (writeLoop.ts), which
 * also accounts for every copy the SDK sent (copyAnswers.ts).
 */
import type {
  DynamoDBClient,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-dynamodb';
import { reasonName } from './abort.ts';
import { describeAwsError, safeCause } from './awsErrors.ts';
import { StorageError } from './errors.ts';
import { activeMeter, meterCommand } from './observability/operationMeter.ts';
import { withUserAgent } from './observability/userAgent.ts';

/** How one command is sent; grows with what a send needs to know. */
export interface SendOptions {
  /** Aborts the request (the SDK's `abortSignal`). */
  readonly signal?: AbortSignal | undefined;
}

/** Any command of an AWS SDK v3 client: what its middleware resolves to tells its output. */
export interface SdkCommand<Output> {
  resolveMiddleware(
    ...args: never[]
  ): (...handlerArgs: never[]) => Promise<{ readonly output: Output }>;
}

/** The output type of an SDK command. */
export type OutputOf<Command> = Command extends SdkCommand<infer Output> ? Output : never;

/** A DynamoDB command (`new GetItemCommand(...)`). */
type DynamoCommand = { readonly input: ServiceInputTypes } & SdkCommand<ServiceOutputTypes>;

/** Sends one DynamoDB command: the only `client.send` of the store's DynamoDB commands. */
export function sendDynamo<Command extends DynamoCommand>(
  client: DynamoDBClient,
  command: Command,
  call?: SendOptions,
): Promise<OutputOf<Command>> {
  return sendCommand(client, command, 'dynamodb', call);
}

/**
 * What every command of the library goes through on its way to a client's `send` (DynamoDB
 * here, KMS in kmsCall.ts): the user agent, the meter of the operation when someone observes it,
 * and the caller's signal.
 */
export function sendCommand<Command extends { readonly input: object } & SdkCommand<unknown>>(
  client: { send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown> },
  command: Command,
  service: 'dynamodb' | 'kms',
  call?: SendOptions,
): Promise<OutputOf<Command>> {
  withUserAgent(command as Command & { readonly middlewareStack: unknown });
  const meter = activeMeter();
  if (meter)
    meterCommand(command as Command & { readonly middlewareStack: unknown }, service, meter);
  const sent =
    call?.signal === undefined
      ? client.send(command as never)
      : client.send(command as never, { abortSignal: call.signal });
  return sent as Promise<OutputOf<Command>>;
}

/** What the store is doing, for error messages: `put of "k" in namespace n (table t)`. */
export interface CallSite {
  readonly operation: string;
  readonly key?: string;
  readonly namespace: string;
  readonly tableName: string;
}

/** `the put of "k" in namespace n`: how messages name an operation. */
export function describeSite(site: CallSite): string {
  const target = site.key === undefined ? '' : ` of ${JSON.stringify(site.key)}`;
  return `the ${site.operation}${target} in namespace ${site.namespace}`;
}

/**
 * What failed: a store operation's site, or for the store's other callers (a purge, the
 * lifecycle record, a Scan) its own words (`the purge's Query in namespace n`).
 */
export type FailedCall = CallSite | string;

/**
 * The StorageError of a DynamoDB call that failed: its cause is a copy of the SDK error without
 * the raw HTTP response (safeCause), which for a failed deserialisation holds the body.
 */
export function storageError(site: FailedCall, error: unknown): StorageError {
  const what = typeof site === 'string' ? site : `${describeSite(site)} (table ${site.tableName})`;
  return new StorageError(`DynamoDB failed ${what}: ${describeAwsError(error)}`, {
    cause: safeCause(error),
  });
}

/**
 * The StorageError of a DynamoDB answer that left work undone with no error to wrap (keys still
 * unprocessed after every retry): `detail` says what it left.
 */
export function unprocessedError(detail: string): StorageError {
  return new StorageError(`DynamoDB ${detail}`);
}

/**
 * The error of an operation its caller aborted (the signal's reason is its cause): a read, or a
 * write of which nothing can land (`detail` says so).
 */
export function abortedError(site: CallSite, reason: unknown, detail?: string): StorageError {
  return new StorageError(
    `${describeSite(site)} (table ${site.tableName}) was aborted (${reasonName(reason)})${detail === undefined ? '' : `: ${detail}`}`,
    { cause: reason },
  );
}

/** Runs one DynamoDB call; any failure becomes a StorageError. */
export async function callDynamo<Output>(
  site: FailedCall,
  call: () => Promise<Output>,
): Promise<Output> {
  try {
    return await call();
  } catch (error) {
    throw storageError(site, error);
  }
}
