import type { StorableHash, ValueHash } from '../packages/core/src/values.ts';

declare function put<T extends object = ValueHash>(
  key: string,
  value: T & StorableHash<T>,
): Promise<true>;
declare function get<T extends object = ValueHash>(key: string): Promise<T>;
interface Token {
  value: string;
  expiration: number;
  nested?: { a: number[] };
}
interface Bad {
  value: string;
  when: Date;
}
const t: Token = { value: 'x', expiration: 1 };
put('a', t);
put<Token>('a', { value: 'x', expiration: 2 });
put('a', { a: 1, b: [1, 'x', null, { c: true }] });
// @ts-expect-error function
put('a', { f: () => 1 });
// @ts-expect-error Date
put('a', { d: new Date() });
const b: Bad = { value: 'x', when: new Date() };
// @ts-expect-error Bad
put('a', b);
// @ts-expect-error bigint
put('a', { n: 1n });
// @ts-expect-error array at top
put('a', [1, 2]);
const g = get<Token>('a');
g.then((x) => x.expiration.toFixed());
const v: ValueHash = { a: 1 };
put('a', v);
