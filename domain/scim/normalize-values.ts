// domain/scim/normalize-values.ts: schema-driven coercion of one attribute value (RFC 7643 §2.3), for POST/PUT and PATCH.
import type { Dialect } from './dialects/dialect';
import { ScimError } from './errors';
import { isJsonObject } from './json';
import type { JsonObject, JsonValue } from './json';
import type { AttributeDef } from './schemas/types';
import { URN } from './schemas/urns';

/** A resolved attribute: where it lives (top level, or under its extension URN) and its canonical definition. */
export interface AttributeRef {
  schemaId: string;
  isExtension: boolean;
  def: AttributeDef;
}

export function invalidValue(label: string, why: string): ScimError {
  return new ScimError(400, 'invalidValue', `'${label}' ${why}`);
}

/**
 * The whole value of an attribute, coerced to its schema type; undefined means unassigned (null, [] and {} all are,
 * RFC 7643 §2.5). Unknown and read-only sub-attributes are dropped (RFC 7644 §3.5.1, DIALECTS.md rule 9).
 */
export function coerceAttribute(
  ref: AttributeRef,
  raw: unknown,
  dialect: Dialect,
  label: string,
): JsonValue | undefined {
  const value = dialect.rewriteValue({ schemaId: ref.schemaId, attribute: ref.def.name }, raw);
  if (isManager(ref)) return coerceManager(ref.def, value, label);
  if (!ref.def.multiValued) return coerceElement(ref.def, value, label);
  const elements: JsonValue[] = [];
  // Duplicates by canonical text in a Set: 20,000 emails compared pairwise held the event loop for 20 s.
  const seen = new Set<string>();
  for (const raw of Array.isArray(value) ? value : [value]) {
    const element = coerceElement(ref.def, raw, label);
    if (element === undefined) continue;
    const key = canonicalJson(element);
    if (seen.has(key)) continue;
    seen.add(key);
    elements.push(element);
  }
  return elements.length === 0 ? undefined : enforceSinglePrimary(elements);
}

/** One element of a multi-valued attribute, or the value of a single-valued one. */
export function coerceElement(def: AttributeDef, value: unknown, label: string): JsonValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (def.type !== 'complex') return coerceSimple(def, value, label);
  if (!isJsonObject(value)) throw invalidValue(label, 'must be a complex value (a JSON object)');
  const out: JsonObject = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findSubAttribute(def, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const coerced = coerceSubAttribute(sub, raw, `${label}.${sub.name}`);
    if (coerced !== undefined) out[sub.name] = coerced;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

export function coerceSubAttribute(sub: AttributeDef, value: unknown, label: string): JsonValue | undefined {
  if (!sub.multiValued) return coerceSimple(sub, value, label);
  const list = (Array.isArray(value) ? value : [value])
    .map((v) => coerceSimple(sub, v, label))
    .filter((v) => v !== undefined);
  return list.length === 0 ? undefined : list;
}

const BOOLEAN_TEXT = new Map([
  ['true', true],
  ['false', false],
]);

/**
 * A simple value. Entra and Microsoft's test collection send booleans as "True"/"False" (DIALECTS.md rule 2,
 * entra-06-disable-legacy-string-boolean.json), and template-driven IdPs render numbers as text, so lossless
 * text forms are accepted; anything else of the wrong type is invalidValue. Strings are kept exactly as sent.
 */
export function coerceSimple(def: AttributeDef, value: unknown, label: string): JsonValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const parsed = typeof value === 'string' ? BOOLEAN_TEXT.get(value.trim().toLowerCase()) : undefined;
      if (parsed === undefined) throw invalidValue(label, 'must be a boolean');
      return parsed;
    }
    case 'integer':
    case 'decimal': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n))
        throw invalidValue(label, `must be ${def.type === 'integer' ? 'an integer' : 'a number'}`);
      if (def.type === 'integer' && !Number.isInteger(n)) throw invalidValue(label, 'must be an integer');
      return n;
    }
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        throw invalidValue(label, 'must be an RFC 3339 date-time string');
      }
      return value;
    case 'complex':
      throw invalidValue(label, 'cannot hold a complex value');
    default:
      if (typeof value === 'string') return value;
      if (def.type === 'string' && typeof value === 'number' && Number.isFinite(value)) return String(value);
      throw invalidValue(label, 'must be a string');
  }
}

export function findSubAttribute(def: AttributeDef, name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return def.subAttributes?.find((s) => s.name.toLowerCase() === lower);
}

export function isManager(ref: AttributeRef): boolean {
  return ref.schemaId === URN.EnterpriseUser && ref.def.name === 'manager';
}

/**
 * DIALECTS.md rule 4: the Enterprise manager arrives as a bare id (Entra, entra-09-manager-bare-id-and-
 * department.json), as {value}, or as Entra's legacy [{"$ref", "value"}]; it is always stored as {value}. The
 * server derives $ref and displayName from the value, so a client's copies (possibly stale) are not kept.
 */
function coerceManager(def: AttributeDef, value: unknown, label: string): JsonValue | undefined {
  if (Array.isArray(value)) {
    const first: unknown = value.find((v) => v !== null && v !== undefined);
    return first === undefined || Array.isArray(first)
      ? coerceElement(def, first, label)
      : coerceManager(def, first, label);
  }
  if (typeof value === 'string') return value.trim() === '' ? undefined : { value };
  const manager = coerceElement(def, value, label);
  const id = isJsonObject(manager) ? manager.value : undefined;
  return typeof id === 'string' && id.trim() !== '' ? { value: id } : undefined;
}

/**
 * RFC 7643 §2.4: at most one element of a multi-valued attribute is primary. The first true (or the first of
 * `preferred` that is true, for PATCH, where the latest write wins per RFC 7644 §3.5.2) keeps it; others get false.
 */
export function enforceSinglePrimary(list: JsonValue[], preferred?: ReadonlySet<JsonValue>): JsonValue[] {
  const primaries = list.filter((el) => isJsonObject(el) && el.primary === true);
  if (primaries.length < 2) return list;
  const winner = primaries.find((el) => preferred?.has(el)) ?? primaries[0];
  return list.map((el) => (isJsonObject(el) && el.primary === true && el !== winner ? { ...el, primary: false } : el));
}

/**
 * JSON text with object keys sorted: two values are deepEqual exactly when their canonical texts are equal. Coerced
 * SCIM values are shallow (a complex value's sub-attributes are simple), so the recursion is bounded by the schema.
 */
export function canonicalJson(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

export function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

export function cloneJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  const out: JsonObject = {};
  // defineProperty, not assignment: a parsed body may own a "__proto__" key, which `out[k] =` would not copy.
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: cloneJson(v), writable: true, enumerable: true, configurable: true });
  }
  return out as T;
}
