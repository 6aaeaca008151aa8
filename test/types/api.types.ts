/**
 * Compile-time tests of the public generics: `npm test` runs `tsc --noEmit` over this file, and
 * each `@ts-expect-error` fails the build if the line it guards ever compiles.
 */
import type { SecretsStore, ValueHash } from '@secrets-store/core';

declare const store: SecretsStore;

// Interfaces work as type arguments, as in the OCP documentation.
interface Token {
  value: string;
  expiration: number;
}
interface TokenRateLimit {
  counter: number;
  hour: number;
  token: string;
  scopes?: string[];
  nested?: { region: string; retries: number[] };
}
interface WithDate {
  when: Date;
}

export async function typed(): Promise<void> {
  const token = await store.get<Token>('token');
  const expiration: number = token.expiration;
  void expiration;
  const untyped: ValueHash = await store.get('anything');
  void untyped;
  const fresh: Token = await store.get<Token>('token', { fields: ['value'], forceFetch: true });
  void fresh;
  const picked: Token = await store.get<Token>('token', ['value']);
  void picked;
  const many: Map<string, Token> = await store.getMany<Token>(new Set(['a', 'b']), {
    fields: ['value'],
  });
  void many;
  const manyUntyped: Map<string, ValueHash> = await store.getMany(['a']);
  void manyUntyped;
  // @ts-expect-error forceFetch is a boolean
  await store.get('token', { forceFetch: 'yes' });

  // Every operation takes { signal } (DESIGN.md, "Deadlines and cancellation").
  const signal = AbortSignal.timeout(2_000);
  await store.get<Token>('token', { fields: ['value'], signal });
  await store.getMany<Token>(['a'], { signal });
  const there: boolean = await store.exists('token', { signal });
  void there;
  for await (const key of store.keys({ signal })) void key;
  await store.put<Token>('token', { value: 'x', expiration: 1 }, { signal });
  await store.patch<TokenRateLimit>('rate', { counter: 1 }, { signal });
  await store.patch<TokenRateLimit>('rate', (value) => value, { signal });
  await store.delete('token', { signal });
  await store.delete('token', { fields: ['value'], signal });
  await store.delete('token', ['value']);
  const purged: number = await store.purge({ signal });
  void purged;
  await store.rewrap({ signal, concurrency: 2 });
  // @ts-expect-error a signal is an AbortSignal
  await store.get('token', { signal: 'soon' });
  // @ts-expect-error put's third argument is its options
  await store.put('token', { value: 'x' }, signal);

  await store.put<Token>('token', { value: 'x', expiration: 1 });
  await store.put('inferred', { a: 1, b: ['x', null, { c: true }] });
  await store.patch<TokenRateLimit>('rate', { counter: 1 });
  await store.patch<TokenRateLimit>('rate', (value) => {
    value.counter += 1;
    return value;
  });
  const previous: TokenRateLimit = await store.patch<TokenRateLimit>('rate', (value) => ({
    ...value,
    hour: 1,
  }));
  void previous;

  // @ts-expect-error a field of the wrong type
  await store.put<Token>('token', { value: 'x', expiration: 'soon' });
  // @ts-expect-error functions are not storable
  await store.put('fn', { callback: () => 1 });
  // @ts-expect-error a Date is not storable
  await store.put('date', { when: new Date() });
  const withDate: WithDate = { when: new Date() };
  // @ts-expect-error an interface with a Date field is not storable
  await store.put('date', withDate);
  // @ts-expect-error bigint is not storable
  await store.put('big', { n: 1n });
  // @ts-expect-error a secret is a hash, not an array
  await store.put('list', [1, 2]);
  // @ts-expect-error the updater must return the value type
  await store.patch<TokenRateLimit>('rate', (value) => value.counter);
  // @ts-expect-error an unknown field in a typed partial
  await store.patch<TokenRateLimit>('rate', { unknown: 1 });

  const refreshed: Token = await store.refresh<Token>('token', {
    needsRefresh: (value) => value.expiration < Date.now(),
    refresh: async (value, { signal }) => {
      const aborted: boolean = signal.aborted;
      void aborted;
      return { ...value, value: 'new', expiration: Date.now() + 3_600_000 };
    },
    leaseMs: 10_000,
    waitMs: 30_000,
    signal: AbortSignal.timeout(1000),
  });
  void refreshed;
  // @ts-expect-error refresh needs needsRefresh
  await store.refresh<Token>('token', { refresh: (value) => value });
  // @ts-expect-error refresh resolves to the value type
  await store.refresh<Token>('token', { needsRefresh: () => true, refresh: () => 'token' });
}
