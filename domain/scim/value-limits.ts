// domain/scim/value-limits.ts: size limits on the string values a SCIM write may store, sparing values already stored.
import { ScimError } from './errors';
import { isJsonObject } from './json';
import type { ResourceTypeName } from './schemas/types';

/**
 * Identifier attributes (User `userName`, `externalId`, Group `displayName`) are index keys, and `userName` also travels
 * in the identity workflow's search attribute `ScimflowUserName` (Temporal caps those at 2,048 bytes). Lengths are
 * JavaScript string lengths (UTF-16 code units: a character outside the BMP, such as an emoji, counts twice). Even at
 * 4 UTF-8 bytes a character, 512 stay within that cap and under PostgreSQL's ~2.7 KB btree row limit (counted in code
 * units, the bound is tighter still: one code unit is at most 3 UTF-8 bytes).
 */
export const IDENTIFIER_MAX_LENGTH = 512;

/**
 * Every other string value (core, enterprise and custom extension attributes, sub-attributes, elements of multi-valued
 * attributes). No legitimate attribute comes near 64 Ki code units; anything bigger is carried into workflow inputs,
 * audit rows and downstream requests on every change, which is how a megabyte `displayName` breaks offboarding later.
 */
export const VALUE_MAX_LENGTH = 65_536;

/** Lower-cased top-level attribute names (core schema and common attributes) held to IDENTIFIER_MAX_LENGTH. */
const IDENTIFIERS: Record<ResourceTypeName, ReadonlySet<string>> = {
  User: new Set(['username', 'externalid']),
  Group: new Set(['displayname', 'externalid']),
};

type Doc = Readonly<Record<string, unknown>>;

interface OversizedValue {
  /** The attribute as a client names it: `emails.value`, `urn:…:enterprise:2.0:User:department`. */
  label: string;
  value: string;
  limit: number;
}

/**
 * Refuses the first string value of `next` (a normalised document: extension attributes under their URN key) that is
 * longer than its limit, with 400 invalidValue naming the attribute. A value that `current` (the stored document, or
 * undefined on create) already holds at the same attribute path, array positions ignored, is let through: limits
 * added after a resource was stored must never refuse a write that leaves its old values alone, above all a
 * deactivation (PATCH `active` false, or a PUT of the stored document with `active: false`) of a leaver.
 */
export function assertValueSizes(next: Doc, current: Doc | undefined, resourceType: ResourceTypeName): void {
  let stored: Map<string, Set<string>> | undefined; // built only when `next` holds an oversized value (rare)
  for (const oversized of oversizedValues(next, resourceType)) {
    stored ??= current === undefined ? new Map() : storedOversized(current, resourceType);
    if (stored.get(oversized.label.toLowerCase())?.has(oversized.value)) continue;
    const { label, value, limit } = oversized;
    throw new ScimError(400, 'invalidValue', `'${label}' is ${value.length} characters; the limit is ${limit}`);
  }
}

/** Oversized values of a stored document by lower-cased label (attribute names are case-insensitive, RFC 7643 §2.1). */
function storedOversized(doc: Doc, resourceType: ResourceTypeName): Map<string, Set<string>> {
  const byLabel = new Map<string, Set<string>>();
  for (const { label, value } of oversizedValues(doc, resourceType)) {
    const key = label.toLowerCase();
    const values = byLabel.get(key) ?? new Set<string>();
    values.add(value);
    byLabel.set(key, values);
  }
  return byLabel;
}

/** One value met by the walk; its label is spelled out only when needed (rare), never for every value. */
interface Visit {
  value: unknown;
  /** The member name that holds the value; undefined for the document and for elements of an array. */
  key: string | undefined;
  parent: Visit | undefined;
  /** The limit of string values here (an array's elements share their attribute's). */
  limit: number;
  /** An extension block (a top-level URN key): its attributes are named `URN:attr`, not `URN.attr`. */
  extension: boolean;
}

/**
 * String values over their limit, in document order. The walk keeps its own stack instead of recursing, so however
 * deep a document nests (a normalised one is at most four levels), it cannot overflow the call stack, and labels are
 * built only for the values it yields, so its cost stays linear in the size of the document.
 */
function* oversizedValues(doc: Doc, resourceType: ResourceTypeName): Generator<OversizedValue> {
  const identifiers = IDENTIFIERS[resourceType];
  const root: Visit = { value: doc, key: undefined, parent: undefined, limit: VALUE_MAX_LENGTH, extension: false };
  const stack: Visit[] = [root];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { value } = visit;
    if (typeof value === 'string') {
      if (value.length > visit.limit) yield { label: labelOf(visit), value, limit: visit.limit };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ ...visit, value: value[i], key: undefined, parent: visit });
    } else if (isJsonObject(value)) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        const topLevel = visit === root;
        stack.push({
          value: inner,
          key,
          parent: visit,
          // Only top-level core names are identifiers: an extension's `userName` is labelled `urn:…:userName`.
          limit: topLevel && identifiers.has(key.toLowerCase()) ? IDENTIFIER_MAX_LENGTH : VALUE_MAX_LENGTH,
          extension: topLevel && isJsonObject(inner) && key.toLowerCase().startsWith('urn:'),
        });
      }
    }
  }
}

/** `userName`, `emails.value` (whichever element), `urn:…:enterprise:2.0:User:manager.value`. */
function labelOf(visit: Visit): string {
  const named: Visit[] = [];
  for (let v: Visit | undefined = visit; v !== undefined; v = v.parent) if (v.key !== undefined) named.push(v);
  named.reverse();
  return named.map((v, i) => (i === 0 ? '' : named[i - 1]!.extension ? ':' : '.') + v.key).join('');
}
