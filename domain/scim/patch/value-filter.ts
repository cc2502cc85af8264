// domain/scim/patch/value-filter.ts: evaluating a PATCH value filter (`emails[type eq "work"]`) on single elements.
import type { FilterNode } from '../filter/ast';
import { compileFilter } from '../filter/evaluate';
import { isJsonObject } from '../json';
import type { JsonObject, JsonValue } from '../json';
import { coerceSimple, findSubAttribute } from '../normalize-values';
import type { AttributeRef } from '../normalize-values';
import type { SchemaRegistry } from '../schemas/registry';
import type { ResourceTypeName } from '../schemas/types';

export type ElementMatcher = (element: JsonValue) => boolean;

/**
 * The filter engine judges whole resources, so each element is wrapped in a one-element resource and asked
 * `attr[filter]`: that reuses its caseExact rules and its "True"/"False" coercion (`roles[primary eq "True"]`, Entra).
 * Compiling here surfaces type errors in the filter (400 invalidFilter) even when nothing would match.
 */
export function elementMatcher(
  ref: AttributeRef,
  filter: FilterNode,
  ctx: { registry: SchemaRegistry; resourceType: ResourceTypeName },
): ElementMatcher {
  const name = ref.def.name;
  const path = ref.isExtension ? { uri: ref.schemaId, attr: name } : { attr: name };
  const predicate = compileFilter({ kind: 'valuePath', path, filter }, ctx);
  return (element) => {
    if (!isJsonObject(element)) return false;
    const attribute: JsonObject = { [name]: [element] };
    return predicate(ref.isExtension ? { [ref.schemaId]: attribute } : attribute);
  };
}

/**
 * For `add` through a filter that matches nothing: when the filter is only `sub eq value` terms joined by `and`
 * (`emails[type eq "work"].value`), the element it describes can be created. Otherwise undefined.
 */
export function elementFromEqualities(ref: AttributeRef, filter: FilterNode): JsonObject | undefined {
  const element: JsonObject = {};
  const stack: FilterNode[] = [filter];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.kind === 'logical' && node.op === 'and') {
      stack.push(node.left, node.right);
      continue;
    }
    if (node.kind !== 'compare' || node.op !== 'eq' || node.path.uri !== undefined || node.path.sub !== undefined) {
      return undefined;
    }
    const sub = findSubAttribute(ref.def, node.path.attr);
    if (!sub || sub.mutability === 'readOnly' || node.value === null) return undefined;
    const value = coerceSimple(sub, node.value, `${ref.def.name}.${sub.name}`);
    if (value === undefined || (element[sub.name] !== undefined && element[sub.name] !== value)) return undefined;
    element[sub.name] = value;
  }
  return element;
}

/** `value eq "a"`, or such terms joined by `or`: the member ids a filtered member remove names; else undefined. */
export function memberIdsOf(filter: FilterNode): string[] | undefined {
  const ids: string[] = [];
  const stack: FilterNode[] = [filter];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.kind === 'logical' && node.op === 'or') {
      stack.push(node.right, node.left);
      continue;
    }
    if (node.kind !== 'compare' || node.op !== 'eq' || typeof node.value !== 'string') return undefined;
    const { path } = node;
    if (path.uri !== undefined || path.sub !== undefined || path.attr.toLowerCase() !== 'value') return undefined;
    ids.push(node.value);
  }
  return ids;
}
