// domain/scim/normalize-doc.ts: reading and writing attributes of a resource document by resolved definition.
import { findKey, getMember, isJsonObject } from './json';
import type { JsonObject, JsonValue } from './json';
import type { AttributeRef } from './normalize-values';
import type { SchemaRegistry } from './schemas/registry';
import type { ResourceTypeName } from './schemas/types';

/** Core attributes sit at the top level, extension attributes under their URN key (either read case-insensitively). */
export function readAttribute(doc: JsonObject, ref: AttributeRef): JsonValue | undefined {
  const container = ref.isExtension ? getMember(doc, ref.schemaId) : doc;
  return isJsonObject(container) ? getMember(container, ref.def.name) : undefined;
}

/** Writes under the canonical spelling (dropping other spellings); undefined unassigns, and an emptied extension goes. */
export function writeAttribute(doc: JsonObject, ref: AttributeRef, value: JsonValue | undefined): void {
  let container = doc;
  if (ref.isExtension) {
    const existing = getMember(doc, ref.schemaId);
    container = isJsonObject(existing) ? existing : {};
    putCanonical(doc, ref.schemaId, container);
  }
  putCanonical(container, ref.def.name, value);
  if (ref.isExtension && Object.keys(container).length === 0) putCanonical(doc, ref.schemaId, undefined);
}

export function putCanonical(obj: JsonObject, name: string, value: JsonValue | undefined): void {
  for (let key = findKey(obj, name); key !== undefined && key !== name; key = findKey(obj, name)) delete obj[key];
  if (value === undefined) delete obj[name];
  else obj[name] = value;
}

/**
 * `schemas` lists the core URN and the extensions actually present (an empty extension object is dropped), so a
 * client's list (Entra's ADSCIM URI, OneLogin's core-only list beside an enterprise object) never matters.
 */
export function withComputedSchemas(doc: JsonObject, registry: SchemaRegistry, type: ResourceTypeName): JsonObject {
  const [core, ...extensions] = registry.schemasFor(type);
  const schemas: string[] = core ? [core.id] : [];
  for (const extension of extensions) {
    const key = findKey(doc, extension.id);
    if (key === undefined) continue;
    const block = doc[key];
    if (isJsonObject(block) && Object.keys(block).length > 0) schemas.push(extension.id);
    else delete doc[key];
  }
  putCanonical(doc, 'schemas', undefined);
  return { schemas, ...doc };
}

/** Required attributes (userName, Group displayName) of the core schema and of the extensions present. */
export function missingRequired(doc: JsonObject, registry: SchemaRegistry, type: ResourceTypeName): AttributeRef[] {
  const missing: AttributeRef[] = [];
  registry.schemasFor(type).forEach((schema, i) => {
    const isExtension = i > 0;
    if (isExtension && !isJsonObject(getMember(doc, schema.id))) return;
    for (const def of schema.attributes) {
      // `schemas` is computed and `id` is the server's; neither is the client's to supply.
      if (!def.required || def.name === 'schemas' || def.mutability === 'readOnly') continue;
      const ref = { schemaId: schema.id, isExtension, def };
      if (!hasValue(readAttribute(doc, ref))) missing.push(ref);
    }
  });
  return missing;
}

function hasValue(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}
