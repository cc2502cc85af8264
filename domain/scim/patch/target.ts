// domain/scim/patch/target.ts: resolves an explicit PATCH path to the attribute, sub-attribute and filter it names.
import { parsePatchPath } from '../attribute-path';
import { ScimError } from '../errors';
import type { FilterNode } from '../filter/ast';
import { attributeLabel } from '../normalize-keys';
import { findSubAttribute } from '../normalize-values';
import type { AttributeRef } from '../normalize-values';
import type { SchemaRegistry } from '../schemas/registry';
import type { AttributeDef, ResourceTypeName } from '../schemas/types';

export type PatchTarget =
  /** The path is a schema URN on its own: the op's value is that extension's attribute object. */
  | { kind: 'schema'; schemaId: string; isExtension: boolean }
  | { kind: 'attribute'; ref: AttributeRef; sub?: AttributeDef; filter?: FilterNode; label: string };

/**
 * RFC 7644 §3.5.2: attrPath, attrPath.sub, attrPath[filter], attrPath[filter].sub, each optionally URN-qualified.
 * An unknown attribute or sub-attribute is 400 invalidPath (rfc-02-patch-unknown-path.json): explicit paths are
 * strict, unlike the keys of a path-less value.
 */
export function resolvePatchPath(text: string, registry: SchemaRegistry, type: ResourceTypeName): PatchTarget {
  const schemas = registry.schemasFor(type);
  const schema = schemas.find((s) => s.id.toLowerCase() === text.toLowerCase());
  if (schema) return { kind: 'schema', schemaId: schema.id, isExtension: schema !== schemas[0] };

  const parsed = parsePatchPath(text);
  const { uri, attr } = parsed.path;
  const resolved = registry.resolve(type, uri === undefined ? { attr } : { uri, attr });
  if (!resolved) throw invalidPath(`unknown attribute '${text}'`);
  const ref: AttributeRef = { schemaId: resolved.schemaId, isExtension: resolved.isExtension, def: resolved.attribute };

  const subName = parsed.path.sub ?? parsed.subAttr;
  const sub = subName === undefined ? undefined : findSubAttribute(ref.def, subName);
  if (subName !== undefined && !sub) throw invalidPath(`'${attributeLabel(ref)}' has no sub-attribute '${subName}'`);
  if (parsed.valueFilter && (!ref.def.multiValued || ref.def.type !== 'complex')) {
    throw invalidPath(`a value filter needs a multi-valued complex attribute, and '${attributeLabel(ref)}' is not one`);
  }
  const target: PatchTarget = { kind: 'attribute', ref, label: attributeLabel(ref, sub) };
  if (sub) target.sub = sub;
  if (parsed.valueFilter) target.filter = parsed.valueFilter;
  return target;
}

export function invalidPath(detail: string): ScimError {
  return new ScimError(400, 'invalidPath', detail);
}
