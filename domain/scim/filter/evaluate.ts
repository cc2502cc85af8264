// domain/scim/filter/evaluate.ts: RFC 7644 §3.4.2.2 filter semantics over stored resources, compiled once per filter.
import { ScimError } from '../errors';
import type { JsonObject, JsonValue } from '../json';
import { getMember, isJsonObject } from '../json';
import type { SchemaRegistry } from '../schemas/registry';
import type { AttributeDef, ResourceTypeName } from '../schemas/types';
import type { AttrPath, FilterNode } from './ast';
import { formatAttrPath } from './ast';
import { valueTest } from './compare';
import { attributeValue, elementsOf, isPresent, subValues } from './values';

export interface FilterContext {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
}

export type FilterPredicate = (resource: JsonObject) => boolean;

/** Where a path points: the definition its values are compared as, and how to read those values. */
interface Target {
  def: AttributeDef;
  values: (obj: JsonObject) => JsonValue[];
}

/** Resolves paths either against the resource type's schemas or against one complex attribute's elements. */
interface Scope {
  target(path: AttrPath, forPresence: boolean): Target | undefined;
  elements?(path: AttrPath): { def: AttributeDef; read: (obj: JsonObject) => JsonValue[] } | undefined;
}

const NEVER: FilterPredicate = () => false;
interface Compiled {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
  predicate: FilterPredicate;
}
const compiled = new WeakMap<FilterNode, Compiled[]>(); // almost always one entry: one request, one context

export function matchesFilter(resource: JsonObject, filter: FilterNode, ctx: FilterContext): boolean {
  return compileFilter(filter, ctx)(resource);
}

/**
 * Resolves every path and literal once (cached per filter node), so a list scan pays only for value tests.
 * Type errors (gt on a boolean, a bad date literal) throw ScimError invalidFilter here, whatever the data.
 */
export function compileFilter(filter: FilterNode, ctx: FilterContext): FilterPredicate {
  const { registry, resourceType } = ctx;
  let entries = compiled.get(filter);
  if (!entries) compiled.set(filter, (entries = []));
  for (const entry of entries)
    if (entry.registry === registry && entry.resourceType === resourceType) return entry.predicate;
  const predicate = compile(filter, resourceScope(ctx));
  entries.push({ registry, resourceType, predicate });
  return predicate;
}

function compile(node: FilterNode, scope: Scope): FilterPredicate {
  switch (node.kind) {
    case 'logical': {
      // Flattened iteratively: a long `a and b and c…` chain is a deep left-leaning tree.
      const parts = operands(node, node.op).map((part) => compile(part, scope));
      return node.op === 'and' ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = compile(node.filter, scope);
      return (r) => !inner(r);
    }
    case 'present': {
      const target = scope.target(node.path, true);
      return target ? (r) => target.values(r).some(isPresent) : NEVER;
    }
    case 'compare':
      return compileCompare(node, scope);
    case 'valuePath': {
      const parent = scope.elements?.(node.path);
      if (!parent) return NEVER;
      const inner = compile(node.filter, elementScope(parent.def));
      // A simple multi-valued attribute's elements are scalars; the element scope sees them as { value }.
      const wrap = parent.def.type !== 'complex';
      return (r) => parent.read(r).some((el) => (wrap ? inner({ value: el }) : isJsonObject(el) && inner(el)));
    }
  }
}

function compileCompare(node: Extract<FilterNode, { kind: 'compare' }>, scope: Scope): FilterPredicate {
  const { op, value } = node;
  const target = scope.target(node.path, value === null);
  if (!target) return NEVER;
  if (value === null) {
    // `eq null` asks for absence and `ne null` for presence; nothing orders against null.
    if (op === 'eq') return (r) => !target.values(r).some(isPresent);
    if (op === 'ne') return (r) => target.values(r).some(isPresent);
    throw new ScimError(400, 'invalidFilter', `'${formatAttrPath(node.path)}' ${op} null: only eq and ne accept null`);
  }
  const test = valueTest(target.def, op === 'ne' ? 'eq' : op, value, formatAttrPath(node.path));
  // Multi-valued: a match if any value matches (§3.4.2.2); `ne` is "no value equals", so absent values match it.
  if (op === 'ne') return (r) => !target.values(r).some(test);
  return (r) => target.values(r).some(test);
}

/**
 * Unknown attributes compile to "no match" rather than invalidFilter (§3.4.2.2 allows either): IdPs probe with
 * attributes a server may not know, and an empty ListResponse is what they handle best (DIALECTS.md rule 7).
 */
function resourceScope({ registry, resourceType }: FilterContext): Scope {
  const resolve = (path: AttrPath) => registry.resolve(resourceType, path);
  return {
    target(path, forPresence) {
      const resolved = resolve(path);
      if (!resolved) return undefined;
      const { attribute, subAttribute } = resolved;
      const read = (r: JsonObject) => attributeValue(r, resolved);
      if (subAttribute) return { def: subAttribute, values: (r) => subValues(read(r), subAttribute.name) };
      if (attribute.type !== 'complex' || forPresence) return { def: attribute, values: (r) => elementsOf(read(r)) };
      // `emails co "@x"` compares each email's value (§3.4.2.2); manager (singular) gets the same courtesy.
      const valueDef = attribute.subAttributes?.find((s) => s.name === 'value');
      if (!valueDef) return { def: attribute, values: () => [] }; // valueTest rejects comparing a complex value
      return { def: valueDef, values: (r) => subValues(read(r), valueDef.name) };
    },
    elements(path) {
      const resolved = path.sub === undefined ? resolve(path) : undefined;
      return resolved && { def: resolved.attribute, read: (r) => elementsOf(attributeValue(r, resolved)) };
    },
  };
}

/** Inside `attr[…]`, paths name sub-attributes of one element (or `value`, for simple multi-valued attributes). */
function elementScope(parent: AttributeDef): Scope {
  const subs = parent.subAttributes ?? [{ ...parent, name: 'value', multiValued: false }];
  return {
    target(path) {
      if (path.uri !== undefined || path.sub !== undefined) return undefined;
      const lower = path.attr.toLowerCase();
      const def = subs.find((s) => s.name.toLowerCase() === lower);
      return def && { def, values: (el) => elementsOf(getMember(el, def.name)) };
    },
  };
}

function operands(node: FilterNode, op: 'and' | 'or'): FilterNode[] {
  const out: FilterNode[] = [];
  const stack = [node];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (next.kind === 'logical' && next.op === op) stack.push(next.right, next.left);
    else out.push(next);
  }
  return out;
}
