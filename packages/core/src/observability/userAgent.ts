/**
 * `secrets-store/<version>` on every request the store sends, as Powertools'
 * `addUserAgentMiddleware` does, so that AWS-side metrics and support cases can see which library
 * sent a request. Added to each command (never to a user's client, whose other commands stay as
 * the user made them), as an entry of the SDK's own `context.userAgent`: the SDK's user agent
 * middleware escapes it and appends it to the `user-agent` header.
 */
import type { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.ts';

/** A command of an AWS SDK v3 client, as far as its middleware goes. */
export interface CommandWithMiddleware {
  readonly middlewareStack: unknown;
}

/**
 * The middleware stack of a command. Every SDK v3 client shares smithy's stack; only its type
 * parameters differ, so DynamoDB's spelling serves KMS's commands too.
 */
export type CommandStack = GetItemCommand['middlewareStack'];

const USER_AGENT_ENTRY: [string, string] = [LIBRARY_NAME, LIBRARY_VERSION];

/** `secrets-store/0.1.0`: what the header carries. */
export const USER_AGENT = `${LIBRARY_NAME}/${LIBRARY_VERSION}`;

/** Adds the user agent entry to `command` (at most once, however often it is sent). */
export function withUserAgent(command: CommandWithMiddleware): void {
  (command.middlewareStack as CommandStack).add(
    (next, context) => (args) => {
      const agent = context as { userAgent?: [string, string][] };
      const entries = agent.userAgent ?? [];
      if (!entries.includes(USER_AGENT_ENTRY)) agent.userAgent = [...entries, USER_AGENT_ENTRY];
      return next(args);
    },
    { step: 'initialize', name: 'secretsStoreUserAgent', override: true },
  );
}
