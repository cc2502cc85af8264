// domain/scim/normalize.ts: turns a POST/PUT body into the canonical resource document (RFC 7643, RFC 7644 §3.3, §3.5.1).
import type { Dialect, DialectName } from './dialects/dialect';
import { dialectFor } from './dialects/dialect';
import { ScimError } from './errors';
import { isJsonObject } from './json';
import type { JsonObject } from './json';
import { missingRequired, readAttribute, withComputedSchemas, writeAttribute } from './normalize-doc';
import { attributeLabel, classifyKey } from './normalize-keys';
import { parseMemberRefs } from './normalize-members';
import type { MemberRef } from './normalize-members';
import { coerceAttribute, coerceSubAttribute, invalidValue } from './normalize-values';
import type { AttributeRef } from './normalize-values';
import type { SchemaRegistry } from './schemas/registry';
import type { AttributeDef, ResourceTypeName } from './schemas/types';
import { URN } from './schemas/urns';

export type { MemberRef } from './normalize-members';

export interface ScimContext {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
  dialect: DialectName;
}

/**
 * The canonical document for a POST/PUT body: canonical attribute names, extension attributes under their URN,
 * values coerced to their schema types, computed `schemas`. Read-only input (id, meta, User groups) and unknown
 * attributes and schemas are ignored (RFC 7644 §3.5.1, DIALECTS.md rule 9). A Group's members are not kept
 * (the store holds them apart); use normalizeGroupBody to get them.
 */
export function normalizeResource(body: unknown, ctx: ScimContext): JsonObject {
  return normalizeBody(body, ctx).resource;
}

export function normalizeGroupBody(body: unknown, ctx: ScimContext): { group: JsonObject; members: MemberRef[] } {
  const { resource, members } = normalizeBody(body, { ...ctx, resourceType: 'Group' });
  return { group: resource, members };
}

function normalizeBody(body: unknown, ctx: ScimContext): { resource: JsonObject; members: MemberRef[] } {
  if (!isJsonObject(body))
    throw new ScimError(400, 'invalidSyntax', `a ${ctx.resourceType} body must be a JSON object`);
  assertSchemasFitEndpoint(body, ctx);
  const builder = new BodyBuilder(ctx);
  for (const [key, value] of Object.entries(body)) builder.key(key, value);
  const doc = builder.doc;
  const [missing] = missingRequired(doc, ctx.registry, ctx.resourceType);
  if (missing) throw invalidValue(attributeLabel(missing), 'is required');
  return { resource: withComputedSchemas(doc, ctx.registry, ctx.resourceType), members: builder.members };
}

const CORE_SCHEMAS: Record<ResourceTypeName, string> = { User: URN.User, Group: URN.Group };

/**
 * A body that names another resource type's core schema (a Group on /Users) and not its own is a client error.
 * Unknown URNs (Entra's ADSCIM group schema) stay ignored, per DIALECTS.md rule 9.
 */
function assertSchemasFitEndpoint(body: JsonObject, ctx: ScimContext): void {
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const schemas = key === undefined ? undefined : body[key];
  if (!Array.isArray(schemas)) return;
  const named = schemas.filter((s): s is string => typeof s === 'string').map((s) => s.toLowerCase());
  const own = CORE_SCHEMAS[ctx.resourceType].toLowerCase();
  const other = Object.entries(CORE_SCHEMAS).find(
    ([type, urn]) => type !== ctx.resourceType && named.includes(urn.toLowerCase()),
  );
  if (other && !named.includes(own))
    throw new ScimError(400, 'invalidValue', `schemas names ${other[1]}, which is not a ${ctx.resourceType} resource`);
}

class BodyBuilder {
  readonly doc: JsonObject = {};
  members: MemberRef[] = [];
  private readonly dialect: Dialect;

  constructor(private readonly ctx: ScimContext) {
    this.dialect = dialectFor(ctx.dialect);
  }

  key(key: string, value: unknown, withinSchema?: string): void {
    const { registry, resourceType } = this.ctx;
    const target = classifyKey(key, registry, resourceType, withinSchema);
    if (target.kind === 'unknown') return;
    if (target.kind === 'schema') return this.schemaBlock(target.schemaId, value);
    const { ref, sub } = target;
    if (ref.def.mutability === 'readOnly' || ref.def.name === 'schemas') return;
    if (isMembers(ref)) {
      if (sub === undefined) this.members = parseMemberRefs(value);
      return;
    }
    if (sub) this.subAttribute(ref, sub, value);
    else this.attribute(ref, value);
  }

  private schemaBlock(schemaId: string, value: unknown): void {
    if (value === null || value === undefined) return;
    if (!isJsonObject(value)) throw invalidValue(schemaId, "must be an object holding that schema's attributes");
    for (const [key, inner] of Object.entries(value)) this.key(key, inner, schemaId);
  }

  private attribute(ref: AttributeRef, value: unknown): void {
    const coerced = coerceAttribute(ref, value, this.dialect, attributeLabel(ref));
    const current = readAttribute(this.doc, ref);
    // "name" after "name.givenName" in the same body: both parts are kept.
    const merged =
      !ref.def.multiValued && isJsonObject(current) && isJsonObject(coerced) ? { ...current, ...coerced } : coerced;
    writeAttribute(this.doc, ref, merged);
  }

  /** "name.givenName": only a single-valued complex attribute's sub-attribute can be set by key. */
  private subAttribute(ref: AttributeRef, sub: AttributeDef, value: unknown): void {
    if (ref.def.multiValued || sub.mutability === 'readOnly') return;
    const coerced = coerceSubAttribute(sub, value, attributeLabel(ref, sub));
    const current = readAttribute(this.doc, ref);
    const next: JsonObject = isJsonObject(current) ? { ...current } : {};
    if (coerced === undefined) delete next[sub.name];
    else next[sub.name] = coerced;
    writeAttribute(this.doc, ref, Object.keys(next).length ? next : undefined);
  }
}

export function isMembers(ref: AttributeRef): boolean {
  return ref.schemaId === URN.Group && ref.def.name === 'members';
}
