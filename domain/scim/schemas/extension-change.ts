// domain/scim/schemas/extension-change.ts: whether new custom extension schemas only add to the old ones.
import type { SchemaDef } from './types';

/**
 * True when every old schema is still declared and each of its attributes is unchanged (new schemas and new
 * attributes are fine). Documents stored under the old schemas then hold nothing the new ones would hide or
 * reinterpret; after any other change they may (a dropped attribute, one now `returned: never`), so answers for
 * that directory must go through the full projection.
 */
export function onlyAddsTo(before: readonly SchemaDef[], after: readonly SchemaDef[]): boolean {
  const next = new Map(after.map((schema) => [schema.id.toLowerCase(), schema]));
  return before.every((old) => {
    const now = next.get(old.id.toLowerCase());
    if (!now) return false;
    const attributes = new Map(now.attributes.map((def) => [def.name.toLowerCase(), JSON.stringify(def)]));
    return old.attributes.every((def) => attributes.get(def.name.toLowerCase()) === JSON.stringify(def));
  });
}
