// domain/scim/filter/values.ts: reading an attribute's values out of a stored resource, tolerant of key case.
import type { JsonObject, JsonValue } from '../json';
import { getMember, isJsonObject } from '../json';
import type { ResolvedAttribute } from '../schemas/registry';

/** The attribute's raw value: top level for core attributes, inside the extension block for extension ones. */
export function attributeValue(resource: JsonObject, resolved: ResolvedAttribute): JsonValue | undefined {
  const container = resolved.isExtension ? getMember(resource, resolved.schemaId) : resource;
  return isJsonObject(container) ? getMember(container, resolved.attribute.name) : undefined;
}

/** The elements of a value: a multi-valued attribute's array, or the single value itself. */
export function elementsOf(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The `subName` values of each complex element (e.g. every emails[].type), flattened, without nulls. */
export function subValues(value: JsonValue | undefined, subName: string): JsonValue[] {
  const out: JsonValue[] = [];
  for (const element of elementsOf(value)) {
    if (!isJsonObject(element)) continue;
    for (const sub of elementsOf(getMember(element, subName))) out.push(sub);
  }
  return out;
}

/**
 * RFC 7644 §3.4.2.2 "pr": the attribute has a non-empty value, or a complex value with a non-empty sub-value.
 * Empty strings and empty arrays count as absent, as RFC 7643 §2.5 treats them as unassigned.
 */
export function isPresent(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.some(isPresent);
  if (typeof value === 'object') return Object.values(value).some(isPresent);
  return true;
}
