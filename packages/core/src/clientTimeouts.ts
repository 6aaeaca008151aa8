/**
 * Finite, throwing timeouts on the clients the library builds (DESIGN.md, "Deadlines and
 * cancellation"). The SDK's own defaults let a call hang for ever against a server that accepts a
 * connection and never answers: no request timeout, and a `requestTimeout` without
 * `throwOnRequestTimeout` only logs a warning. A client passed as `client` keeps its settings.
 */

/** The timeouts the store's and the keyring's own clients get, in milliseconds. */
export const DEFAULT_TIMEOUTS = Object.freeze({
  /** Connecting (TCP and TLS) to the service. */
  connectionTimeout: 3_000,
  /** From sending a request to its response's headers, per attempt; it throws (TimeoutError). */
  requestTimeout: 5_000,
  /** A socket idle that long while a response is read is abandoned (TimeoutError). */
  socketTimeout: 5_000,
});

/** The configuration of a client the library builds: `config`, with the default timeouts. */
export function withDefaultTimeouts<Config extends { readonly requestHandler?: unknown }>(
  config: Config,
): Config {
  const handler = config.requestHandler;
  // A handler instance (or a provider of its options) is the user's own: left as it is.
  if (
    typeof handler === 'function' ||
    typeof (handler as { handle?: unknown })?.handle === 'function'
  ) {
    return config;
  }
  // `requestHandler` may be the Node handler's options: the user's win over the defaults.
  const options = typeof handler === 'object' && handler !== null ? handler : {};
  return {
    ...config,
    requestHandler: { ...DEFAULT_TIMEOUTS, throwOnRequestTimeout: true, ...options },
  };
}
