// domain/scim/projection.ts: attributes/excludedAttributes (RFC 7644 §3.4.2.5) under the `returned` rules (RFC 7643 §7).
import { parseAttributePath } from './attribute-path';
import type { FilterContext } from './filter/evaluate';
import type { JsonObject, JsonValue } from './json';
import { isJsonObject } from './json';
import type { AttributeDef, SchemaDef } from './schemas/types';
import { URN } from './schemas/urns';

export interface ProjectionOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** Names picked by one of the two lists: whole schemas (extension blocks), whole attributes, or sub-attributes. */
interface Picked {
  schemas: Set<string>;
  whole: Set<string>;
  subs: Map<string, Set<string>>;
}

type Projector = (resource: JsonObject) => JsonObject;
/** Decides one sub-attribute by lower-cased name; sub-attributes no schema defines count as `default`. */
type KeepSub = (lowerName: string, returned: AttributeDef['returned']) => boolean;

/** Splits a comma-separated query parameter; blank or absent means "not given". */
export function parseAttributeList(param: string | undefined): string[] | undefined {
  if (param === undefined || param === '') return undefined;
  const names = param
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length > 0 ? names : undefined;
}

/** Compiled projectors per registry, keyed by resource type and the two lists (requests build fresh option objects). */
const compiled = new WeakMap<FilterContext['registry'], Map<string, Projector>>();
const MAX_CACHED_PER_REGISTRY = 256;
const MAX_CACHED_KEY_LENGTH = 4096;

/**
 * Returns the representation to send. `always` attributes (schemas, id) survive any list, `never` ones (password)
 * never leave, `request` ones only when listed; with `attributes` only listed (plus `always`) attributes remain,
 * and `excludedAttributes` then removes what it names. Unknown names in either list are ignored (§3.4.2.5 is
 * silent); a malformed one is ScimError 400 invalidPath.
 */
export function projectResource(resource: JsonObject, opts: ProjectionOptions, ctx: FilterContext): JsonObject {
  let byKey = compiled.get(ctx.registry);
  if (!byKey) compiled.set(ctx.registry, (byKey = new Map()));
  const key = `${ctx.resourceType}\u0000${(opts.attributes ?? []).join(',')}\u0000${(opts.excludedAttributes ?? []).join(',')}`;
  let project = byKey.get(key);
  if (!project) {
    project = compileProjection(opts, ctx);
    // Bounded by entries and by key length: clients choose the lists (up to a 1 MiB .search body).
    if (key.length > MAX_CACHED_KEY_LENGTH) return project(resource);
    if (byKey.size >= MAX_CACHED_PER_REGISTRY) byKey.clear();
    byKey.set(key, project);
  }
  return project(resource);
}

/**
 * Attributes the store never holds although their schema defines them: scimflow discards passwords on write
 * (`withUserDefaults`), so `returned: never` on the core password hides nothing stored.
 */
const NEVER_STORED = new Set([`${URN.User.toLowerCase()}|password`]);
const keepsStored = new WeakMap<FilterContext['registry'], Map<string, boolean>>();

/**
 * True when the default projection (no `attributes`, no `excludedAttributes`) returns a stored, normalised document
 * unchanged: no attribute of the resource type that the store can hold is `returned: never` or `request`. Normalisation
 * already drops empty values and unknown attributes, so the answer can then be spliced from the stored JSON text.
 */
export function defaultProjectionKeepsStored(ctx: FilterContext): boolean {
  let byType = keepsStored.get(ctx.registry);
  if (!byType) keepsStored.set(ctx.registry, (byType = new Map()));
  let keeps = byType.get(ctx.resourceType);
  if (keeps === undefined) {
    const hides = (schemaId: string, def: AttributeDef): boolean =>
      (def.returned === 'never' || def.returned === 'request') &&
      !NEVER_STORED.has(`${schemaId}|${def.name.toLowerCase()}`);
    keeps = ctx.registry
      .schemasFor(ctx.resourceType)
      .every((schema) =>
        schema.attributes.every(
          (def) =>
            !hides(schema.id.toLowerCase(), def) &&
            (def.subAttributes ?? []).every((sub) => sub.returned !== 'never' && sub.returned !== 'request'),
        ),
      );
    byType.set(ctx.resourceType, keeps);
  }
  return keeps;
}

export function compileProjection(opts: ProjectionOptions, ctx: FilterContext): Projector {
  const schemas = ctx.registry.schemasFor(ctx.resourceType);
  const included = opts.attributes && opts.attributes.length > 0 ? pick(opts.attributes, schemas, ctx) : undefined;
  const excluded = pick(opts.excludedAttributes ?? [], schemas, ctx);
  const [core, ...extensions] = schemas.map((schema) => ({
    schema,
    id: schema.id.toLowerCase(),
    defs: new Map(schema.attributes.map((def): [string, AttributeDef] => [def.name.toLowerCase(), def])),
  }));
  if (!core) throw new Error(`No core schema for ${ctx.resourceType}`);

  // Each attribute's fate depends only on the lists, so it is decided once per definition, not per resource.
  const plans = new Map<AttributeDef, AttributePlan>();
  const project = (schemaId: string, def: AttributeDef, value: JsonValue): JsonValue | undefined => {
    let plan = plans.get(def);
    if (plan === undefined) plans.set(def, (plan = decide(schemaId, def, included, excluded)));
    return plan === null ? undefined : plan(value);
  };

  return (resource) => {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(resource)) {
      const lower = key.toLowerCase();
      const extension = extensions.find((ext) => ext.id === lower);
      if (extension) {
        if (!isJsonObject(value)) continue;
        const block: JsonObject = {};
        for (const [name, inner] of Object.entries(value)) {
          const def = extension.defs.get(name.toLowerCase());
          const projected = def ? project(extension.id, def, inner) : undefined;
          if (projected !== undefined) block[name] = projected;
        }
        if (Object.keys(block).length > 0) out[key] = block;
        continue;
      }
      const def = core.defs.get(lower);
      if (!def) {
        // Not in any schema (stored leniently): it can be returned by default but never picked by name.
        if (!included) out[key] = value;
        continue;
      }
      const projected = project(core.id, def, value);
      if (projected !== undefined) out[key] = projected;
    }
    return out;
  };
}

/** null: drop the attribute; otherwise a function returning its projected value (undefined when nothing is left). */
type AttributePlan = ((value: JsonValue) => JsonValue | undefined) | null;

function decide(schemaId: string, def: AttributeDef, included: Picked | undefined, excluded: Picked): AttributePlan {
  const key = `${schemaId}|${def.name.toLowerCase()}`;
  if (def.returned === 'never') return null;
  const always = def.returned === 'always';
  let keepSub: KeepSub = (_name, returned) => returned !== 'never';
  if (included) {
    const listedSubs = included.subs.get(key);
    const whole = included.schemas.has(schemaId) || included.whole.has(key);
    if (!whole && !listedSubs && !always) return null;
    if (!whole && listedSubs && !always) {
      keepSub = (name, returned) => returned === 'always' || (returned !== 'never' && listedSubs.has(name));
    }
  } else if (def.returned === 'request') {
    return null;
  }
  if (!always && (excluded.schemas.has(schemaId) || excluded.whole.has(key))) return null;
  const excludedSubs = excluded.subs.get(key);
  if (excludedSubs) {
    const before = keepSub;
    keepSub = (name, returned) => before(name, returned) && (returned === 'always' || !excludedSubs.has(name));
  }
  if (def.type !== 'complex') return (value) => value;
  const subs = new Map((def.subAttributes ?? []).map((sub): [string, AttributeDef] => [sub.name.toLowerCase(), sub]));
  return (value) => projectComplex(value, subs, keepSub);
}

/** Keeps the chosen sub-attributes of a complex value; elements or objects left empty disappear. */
function projectComplex(value: JsonValue, subs: Map<string, AttributeDef>, keepSub: KeepSub): JsonValue | undefined {
  const projectObject = (obj: JsonValue): JsonValue | undefined => {
    if (!isJsonObject(obj)) return obj;
    const out: JsonObject = {};
    for (const [name, inner] of Object.entries(obj)) {
      const lower = name.toLowerCase();
      if (keepSub(lower, subs.get(lower)?.returned ?? 'default')) out[name] = inner;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  if (!Array.isArray(value)) return projectObject(value);
  const elements = value.map(projectObject).filter((el): el is JsonValue => el !== undefined);
  return elements.length > 0 || value.length === 0 ? elements : undefined;
}

function pick(names: string[], schemas: SchemaDef[], { registry, resourceType }: FilterContext): Picked {
  const picked: Picked = { schemas: new Set(), whole: new Set(), subs: new Map() };
  for (const name of names) {
    const trimmed = name.trim();
    const schema = schemas.find((s) => s.id.toLowerCase() === trimmed.toLowerCase());
    if (schema) {
      picked.schemas.add(schema.id.toLowerCase());
      continue;
    }
    const resolved = registry.resolve(resourceType, parseAttributePath(trimmed));
    if (!resolved) continue;
    const key = `${resolved.schemaId.toLowerCase()}|${resolved.attribute.name.toLowerCase()}`;
    if (!resolved.subAttribute) {
      picked.whole.add(key);
      continue;
    }
    const subs = picked.subs.get(key) ?? new Set<string>();
    subs.add(resolved.subAttribute.name.toLowerCase());
    picked.subs.set(key, subs);
  }
  return picked;
}
