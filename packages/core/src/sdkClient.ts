/**
 * One style for AWS SDK client options across the packages (as Powertools' persistence layers):
 * `client`, an SDK client of your own (to share one, or to point it at a mock or an endpoint),
 * or `clientConfig`, the configuration of the client the library makes for you. Never both.
 */
import { ConfigurationError } from './errors.ts';

/** The options a class that talks to one AWS service takes. */
export interface ClientOptions<Client, Config> {
  /** An SDK client to use as it is. @default one made with `clientConfig` */
  readonly client?: Client;
  /** The configuration of the client made when `client` is not given. @default `{}` (the SDK's defaults) */
  readonly clientConfig?: Config;
}

/** Whether `value` looks like an AWS SDK v3 client: an object with `send` and a `config`. */
function isSdkClient(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function' &&
    typeof (value as { config?: unknown }).config === 'object'
  );
}

/**
 * The client to use: `options.client` checked, or one made from `options.clientConfig`.
 * `owner` names the class in messages (`SecretsStore`); `clientName` the option (`client`).
 */
export function resolveClient<Client, Config>(
  owner: string,
  options: ClientOptions<Client, Config> | undefined,
  make: (config: Config) => Client,
): Client {
  const client = options?.client;
  // Precondition: one source of client, or the ignored one would surprise whoever passed it.
  if (client !== undefined && options?.clientConfig !== undefined) {
    throw new ConfigurationError(
      `${owner} takes client or clientConfig, not both: pass the configuration to your client`,
    );
  }
  if (client !== undefined) {
    if (!isSdkClient(client)) {
      throw new ConfigurationError(
        `${owner}'s client must be an AWS SDK v3 client (with send), received ${client === null ? 'null' : typeof client}`,
      );
    }
    return client;
  }
  return make((options?.clientConfig ?? {}) as Config);
}
