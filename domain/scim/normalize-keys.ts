// domain/scim/normalize-keys.ts: what a key of a resource body, or of a path-less PATCH value, refers to.
import { parsePatchPath } from './attribute-path';
import { ScimError } from './errors';
import { findSubAttribute } from './normalize-values';
import type { AttributeRef } from './normalize-values';
import type { SchemaRegistry } from './schemas/registry';
import type { AttributeDef, ResourceTypeName } from './schemas/types';

export type BodyKey =
  /** A schema URN holding that schema's attributes: `"urn:…:enterprise:2.0:User": {…}`. */
  | { kind: 'schema'; schemaId: string; isExtension: boolean }
  | { kind: 'attribute'; ref: AttributeRef; sub?: AttributeDef }
  | { kind: 'unknown' };

const UNKNOWN: BodyKey = { kind: 'unknown' };

/**
 * Keys are attribute names in any case (RFC 7643 §2.1, Microsoft's collection sends "Primary"), schema URNs in any
 * case, or attribute paths: "name.givenName" and "urn:…:enterprise:2.0:User:employeeNumber" (Entra's path-less
 * replace, entra-08-no-path-replace-dotted-keys.json; the same URN-prefixed form is accepted on POST/PUT).
 * `withinSchema` classifies the keys inside a schema URN's object. Anything else is unknown, for the caller to ignore.
 */
export function classifyKey(
  key: string,
  registry: SchemaRegistry,
  type: ResourceTypeName,
  withinSchema?: string,
): BodyKey {
  // IdPs send the same few keys in every request: classify each once per registry.
  // A key no schema could name is classified each time, never kept: clients choose keys up to the body's size.
  if (key.length > MAX_CACHED_KEY_LENGTH) return classify(key, registry, type, withinSchema);
  let byKey = classified.get(registry);
  if (!byKey) classified.set(registry, (byKey = new Map()));
  const cacheKey = `${type}\u0000${withinSchema ?? ''}\u0000${key}`;
  let found = byKey.get(cacheKey);
  if (!found) {
    found = classify(key, registry, type, withinSchema);
    if (byKey.size >= MAX_CLASSIFIED) byKey.clear(); // bounded: clients choose the keys
    byKey.set(cacheKey, found);
  }
  return found;
}

const classified = new WeakMap<SchemaRegistry, Map<string, BodyKey>>();
const MAX_CLASSIFIED = 4096;
/** Longer than any attribute path a schema defines (an extension URN is about 60 characters, plus its attribute). */
const MAX_CACHED_KEY_LENGTH = 512;

function classify(key: string, registry: SchemaRegistry, type: ResourceTypeName, withinSchema?: string): BodyKey {
  if (withinSchema === undefined) {
    const schema = registry.schemasFor(type).find((s) => s.id.toLowerCase() === key.toLowerCase());
    if (schema)
      return { kind: 'schema', schemaId: schema.id, isExtension: schema.id !== registry.schemasFor(type)[0]?.id };
  }
  let parsed;
  try {
    parsed = parsePatchPath(key);
  } catch (err) {
    if (err instanceof ScimError) return UNKNOWN;
    throw err;
  }
  if (parsed.valueFilter || (withinSchema !== undefined && parsed.path.uri !== undefined)) return UNKNOWN;
  const uri = withinSchema ?? parsed.path.uri;
  const resolved = registry.resolve(
    type,
    uri === undefined ? { attr: parsed.path.attr } : { uri, attr: parsed.path.attr },
  );
  if (!resolved) return UNKNOWN;
  const ref: AttributeRef = { schemaId: resolved.schemaId, isExtension: resolved.isExtension, def: resolved.attribute };
  if (parsed.path.sub === undefined) return { kind: 'attribute', ref };
  const sub = findSubAttribute(ref.def, parsed.path.sub);
  return sub ? { kind: 'attribute', ref, sub } : UNKNOWN;
}

/** How an attribute is named in error details: extension attributes carry their URN. */
export function attributeLabel(ref: AttributeRef, sub?: AttributeDef): string {
  const base = ref.isExtension ? `${ref.schemaId}:${ref.def.name}` : ref.def.name;
  return sub ? `${base}.${sub.name}` : base;
}
