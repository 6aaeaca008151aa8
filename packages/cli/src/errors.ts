import {
  InvalidKeyError,
  InvalidValueError,
  SecretsStoreError,
  ValueTooLargeError,
} from '@secrets-store/core';

/** The documented exit codes. */
export const EXIT = {
  ok: 0,
  /** `exists` found nothing. */
  notFound: 1,
  /** Bad arguments or bad input: unknown command, missing key, invalid JSON, invalid value. */
  usage: 2,
  /** The store failed: AWS or the local store, decryption, a key file. */
  store: 3,
} as const;

/** An error the CLI reports as one line and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const storeError = (message: string) => new CliError(message, EXIT.store);

/** Input the user can fix is a usage error; everything else from the store is a store error. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (
    error instanceof InvalidKeyError ||
    error instanceof InvalidValueError ||
    error instanceof ValueTooLargeError
  ) {
    return EXIT.usage;
  }
  return EXIT.store;
}

/**
 * The reason of a network failure, from the cause chain: the system error code and Node's own
 * message for it (`connect ECONNREFUSED 127.0.0.1:9`), which names only the code and the
 * address, never data.
 */
export function networkReason(error: unknown): { code: string; text: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) {
      // An AggregateError (one attempt per address) has no message of its own.
      const first = current instanceof AggregateError ? current.errors[0] : undefined;
      const message = current.message || (first instanceof Error ? first.message : '');
      const text = message.includes(code) ? message : `${code}${message ? ` (${message})` : ''}`;
      return { code, text };
    }
    current = current.cause;
  }
  return undefined;
}

/**
 * One line for stderr: the error's own message (store errors never hold secret values), with
 * the reason of a network failure when the message does not give it yet.
 */
export function describeError(error: unknown): string {
  let message: string;
  if (error instanceof SecretsStoreError || error instanceof CliError) message = error.message;
  else if (error instanceof Error) message = `${error.name}: ${error.message}`;
  else message = String(error);
  const reason = networkReason(error);
  if (reason !== undefined && !message.includes(reason.text)) {
    // Core may name the bare code already (`: Error (ECONNREFUSED)`): complete it, not repeat it.
    const bare = `(${reason.code})`;
    message = message.endsWith(bare)
      ? `${message.slice(0, -bare.length)}(${reason.text})`
      : `${message} (${reason.text})`;
  }
  return `${message.replace(/\s*\n\s*/g, ' ')}${configurationHint(message)}`;
}

/** What to do about an SDK client that could not send its request (core names the SDK's words). */
function configurationHint(message: string): string {
  if (message.endsWith('Region is missing')) return '; set AWS_REGION or pass --region';
  if (message.endsWith('Could not load credentials from any providers')) {
    return '; configure AWS credentials (AWS_PROFILE, aws configure sso, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  }
  return '';
}
