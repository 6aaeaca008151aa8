/**
 * How KmsKeyring talks to KMS: every command goes through {@link sendKms}, the one place where a
 * KMS command meets the client's `send` (what every request carries, or is counted by, belongs
 * there). Errors are mapped by the caller (kmsErrors.ts), which knows the operation.
 */
import type { KMSClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-kms';
import { type OutputOf, type SdkCommand, type SendOptions, sendCommand } from '../dynamoCall.ts';

/** A KMS command (`new DecryptCommand(...)`). */
type KmsCommand = { readonly input: ServiceInputTypes } & SdkCommand<ServiceOutputTypes>;

/** Sends one KMS command: the only `client.send` of the keyring's KMS commands. */
export function sendKms<Command extends KmsCommand>(
  client: KMSClient,
  command: Command,
  call?: SendOptions,
): Promise<OutputOf<Command>> {
  return sendCommand(client, command, 'kms', call);
}
