/**
 * The refresh tests' upstream (an OAuth endpoint, say) as a promise the test settles, so that
 * a rival can act while the holder is inside its refresh callback.
 */
import { deferred } from '../gate.ts';

interface Token {
  token?: string;
}

/** An upstream the test controls: each call waits for `answer`, and is counted. */
export function upstream() {
  const answer = deferred<{ token: string; refreshToken: string }>();
  const entered = deferred<AbortSignal>();
  let calls = 0;
  return {
    answer,
    entered: entered.promise,
    get calls() {
      return calls;
    },
    options: (extra: Record<string, unknown> = {}) => ({
      needsRefresh: (value: Token) => value.token !== 'new',
      refresh: async <T extends Token>(value: T, { signal }: { signal: AbortSignal }) => {
        calls += 1;
        entered.resolve(signal);
        return { ...value, ...(await answer.promise) };
      },
      ...extra,
    }),
  };
}
