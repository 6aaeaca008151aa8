/**
 * `--verbose`: one line on stderr per store operation, from the `secrets-store:operation`
 * channel (what an operator's subscriber sees): the outcome, the time, and what it cost in
 * requests and capacity units. Key names appear, values never (the messages hold none).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { OPERATION_CHANNEL, type OperationMessage } from '@secrets-store/core';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `get "authToken": ok in 12.3 ms; DynamoDB 1 request (1 read unit, 0 write units); KMS 1 request` */
export function formatOperation(message: OperationMessage): string {
  const target =
    message.key !== undefined
      ? ` ${JSON.stringify(message.key)}`
      : message.keys !== undefined
        ? ` ${plural(message.keys.length, 'key')}`
        : '';
  const cache = message.valueCache === undefined ? '' : `, value cache ${message.valueCache}`;
  const attempts = message.attempts === 1 ? '' : `, ${plural(message.attempts, 'attempt')}`;
  const { requests, readUnits, writeUnits } = message.dynamodb;
  return (
    `${message.operation}${target}: ${message.outcome} in ${message.durationMs.toFixed(1)} ms${attempts}${cache}; ` +
    `DynamoDB ${plural(requests, 'request')} (${plural(readUnits, 'read unit')}, ${plural(writeUnits, 'write unit')}); ` +
    `KMS ${plural(message.kms.requests, 'request')}`
  );
}

/** Writes a line per operation to `stderr` until the returned function is called. */
export function reportOperations(stderr: NodeJS.WritableStream): () => void {
  const listener = (message: unknown) => {
    stderr.write(`secrets-store: ${formatOperation(message as OperationMessage)}\n`);
  };
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
  return () => {
    diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
  };
}
