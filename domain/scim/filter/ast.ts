// domain/scim/filter/ast.ts: the syntax tree of an RFC 7644 §3.4.2.2 filter, as written by the client.

/** `[uri ":"] attr ["." sub]` exactly as written; resolve it with SchemaRegistry.resolve for canonical names. */
export interface AttrPath {
  uri?: string;
  attr: string;
  sub?: string;
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export type CompareValue = string | number | boolean | null;

export type FilterNode =
  | { kind: 'logical'; op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; filter: FilterNode }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'compare'; op: CompareOp; path: AttrPath; value: CompareValue }
  // emails[type eq "work" and value co "@x"]: the inner filter's paths name sub-attributes of one element.
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode };

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** Renders a path back to filter syntax (for error messages and logs). */
export function formatAttrPath(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}
