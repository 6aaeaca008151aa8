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

/** One line for stderr: the error's own message (store errors never hold secret values). */
export function describeError(error: unknown): string {
  if (error instanceof SecretsStoreError || error instanceof CliError) {
    return error.message;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
