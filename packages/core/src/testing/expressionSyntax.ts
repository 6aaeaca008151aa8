/**
 * The syntax trees of DynamoDB's expressions (condition, key condition, filter, projection,
 * update), with `#names` and `:values` already resolved against the request's maps.
 */
import type { WireValue } from './attributeValues.ts';

/** One step of a document path: an attribute or map key, or a list index. */
export type PathElement = { readonly name: string } | { readonly index: number };
export type Path = readonly PathElement[];

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Operand =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'value'; readonly value: WireValue }
  | { readonly kind: 'size'; readonly path: Path }
  // Only in update expressions:
  | { readonly kind: 'if_not_exists'; readonly path: Path; readonly fallback: Operand }
  | { readonly kind: 'list_append'; readonly left: Operand; readonly right: Operand }
  | {
      readonly kind: 'arithmetic';
      readonly operator: '+' | '-';
      readonly left: Operand;
      readonly right: Operand;
    };

export type ConditionFunction =
  | 'attribute_exists'
  | 'attribute_not_exists'
  | 'attribute_type'
  | 'begins_with'
  | 'contains';

export type Condition =
  | {
      readonly kind: 'compare';
      readonly comparator: Comparator;
      readonly left: Operand;
      readonly right: Operand;
    }
  | {
      readonly kind: 'between';
      readonly operand: Operand;
      readonly low: Operand;
      readonly high: Operand;
    }
  | { readonly kind: 'in'; readonly operand: Operand; readonly list: readonly Operand[] }
  | {
      readonly kind: 'function';
      readonly name: ConditionFunction;
      readonly args: readonly Operand[];
    }
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly condition: Condition };

export interface UpdateActions {
  readonly set: readonly { readonly path: Path; readonly value: Operand }[];
  readonly remove: readonly Path[];
  readonly add: readonly { readonly path: Path; readonly value: WireValue }[];
  readonly delete: readonly { readonly path: Path; readonly value: WireValue }[];
}

/** `a.b[2]`, as DynamoDB prints paths in its messages. */
export function formatPath(path: Path): string {
  return path
    .map((element, position) =>
      'index' in element
        ? `[${element.index}]`
        : position === 0
          ? element.name
          : `.${element.name}`,
    )
    .join('');
}

/**
 * Whether two paths of one update clash as DynamoDB sees it: one is the other or lies inside it
 * (`a` and `a.b`), or they treat one attribute as both a map and a list (`a.b` and `a[0]`).
 */
export function pathsOverlap(a: Path, b: Path): boolean {
  const shorter = Math.min(a.length, b.length);
  for (let position = 0; position < shorter; position++) {
    const x = a[position] as PathElement;
    const y = b[position] as PathElement;
    if ('index' in x !== 'index' in y) return true;
    if (
      'index' in x
        ? x.index !== (y as { index: number }).index
        : x.name !== (y as { name: string }).name
    ) {
      return false;
    }
  }
  return true;
}
