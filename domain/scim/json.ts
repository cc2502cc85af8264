// domain/scim/json.ts: the JSON value types SCIM resources are made of, and case-insensitive member lookup.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The key of `obj` that names `name`, ignoring case (RFC 7643 §2.1: attribute names are case-insensitive).
 * Stored resources use canonical spellings, so the exact key is tried first and the scan is the rare path.
 */
export function findKey(obj: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  for (const key in obj) {
    if (Object.hasOwn(obj, key) && key.toLowerCase() === lower) return key;
  }
  return undefined;
}

/** The value of member `name` (case-insensitive), or undefined when absent. */
export function getMember(obj: JsonObject, name: string): JsonValue | undefined {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}
