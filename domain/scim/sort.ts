// domain/scim/sort.ts: the sortBy/sortOrder comparator of RFC 7644 §3.4.2.3.
import { parseAttributePath } from './attribute-path';
import type { FilterContext } from './filter/evaluate';
import { attributeValue } from './filter/values';
import type { JsonObject, JsonValue } from './json';
import { getMember, isJsonObject } from './json';
import type { ResolvedAttribute } from './schemas/registry';
import type { AttributeDef } from './schemas/types';

type SortKey = string | number | undefined;

/**
 * Orders resources by one attribute path. Strings honour caseExact, dateTimes compare as instants, multi-valued
 * attributes sort by their primary (else first) value, and missing values go last ascending, first descending.
 * An unknown attribute leaves every pair equal; ties are the caller's to break (e.g. by id) for stable paging.
 * A malformed sortBy is ScimError 400 invalidPath.
 */
export function compareResources(
  ctx: FilterContext,
  sortBy: string,
  order: 'ascending' | 'descending',
): (a: JsonObject, b: JsonObject) => number {
  const resolved = ctx.registry.resolve(ctx.resourceType, parseAttributePath(sortBy));
  const read = resolved ? sortKeyReader(resolved) : () => undefined;
  const keys = new WeakMap<JsonObject, { key: SortKey }>(); // each resource's key is computed once per sort
  const keyOf = (resource: JsonObject) => {
    let entry = keys.get(resource);
    if (!entry) keys.set(resource, (entry = { key: read(resource) }));
    return entry.key;
  };
  const sign = order === 'descending' ? -1 : 1;
  return (a, b) => sign * compareKeys(keyOf(a), keyOf(b));
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1; // only with inconsistent stored data
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeyReader(resolved: ResolvedAttribute): (resource: JsonObject) => SortKey {
  const { attribute, subAttribute } = resolved;
  const valueDef =
    subAttribute ??
    (attribute.type === 'complex' ? attribute.subAttributes?.find((s) => s.name === 'value') : attribute);
  if (!valueDef) return () => undefined; // a complex attribute without a value, like name, has no order
  const subName = attribute.type === 'complex' ? valueDef.name : undefined;
  return (resource) => toKey(pick(attributeValue(resource, resolved), subName), valueDef);
}

/** The value to sort by: the primary element's, else the first element's that has one. */
function pick(value: JsonValue | undefined, subName: string | undefined): JsonValue | undefined {
  const read = (element: JsonValue) =>
    subName === undefined ? element : isJsonObject(element) ? getMember(element, subName) : undefined;
  if (!Array.isArray(value)) return value === undefined || value === null ? undefined : read(value);
  const primary = value.find((el) => isJsonObject(el) && isTrue(getMember(el, 'primary')));
  const fromPrimary = primary === undefined ? undefined : read(primary);
  if (fromPrimary !== undefined && fromPrimary !== null) return fromPrimary;
  for (const element of value) {
    const candidate = read(element);
    if (candidate !== undefined && candidate !== null) return candidate;
  }
  return undefined;
}

function toKey(value: JsonValue | undefined, def: AttributeDef): SortKey {
  if (value === undefined || value === null || value === '') return undefined;
  switch (def.type) {
    case 'dateTime': {
      const instant = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(instant) ? undefined : instant;
    }
    case 'boolean':
      return isTrue(value) ? 1 : 0;
    case 'integer':
    case 'decimal': {
      const n = typeof value === 'number' ? value : Number(value);
      return typeof value === 'object' || !Number.isFinite(n) ? undefined : n;
    }
    default:
      if (typeof value !== 'string' && typeof value !== 'number') return undefined;
      return def.caseExact ? String(value) : String(value).toLowerCase();
  }
}

function isTrue(value: JsonValue | undefined): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}
