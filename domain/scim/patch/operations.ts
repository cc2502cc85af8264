// domain/scim/patch/operations.ts: add, replace and remove on one attribute of the working document (RFC 7644 §3.5.2.1-3).
import type { Dialect } from '../dialects/dialect';
import { ScimError } from '../errors';
import type { FilterNode } from '../filter/ast';
import { isJsonObject } from '../json';
import type { JsonObject, JsonValue } from '../json';
import { readAttribute, writeAttribute } from '../normalize-doc';
import {
  coerceAttribute,
  coerceElement,
  coerceSubAttribute,
  canonicalJson,
  deepEqual,
  enforceSinglePrimary,
  isManager,
} from '../normalize-values';
import type { AttributeRef } from '../normalize-values';
import type { SchemaRegistry } from '../schemas/registry';
import type { AttributeDef, ResourceTypeName } from '../schemas/types';
import type { PatchOpName } from './request';
import { elementFromEqualities, elementMatcher } from './value-filter';

export interface AttributeTarget {
  ref: AttributeRef;
  sub?: AttributeDef;
  filter?: FilterNode;
  label: string;
}

export interface OpEnv {
  registry: SchemaRegistry;
  resourceType: ResourceTypeName;
  dialect: Dialect;
  /** A key of a path-less value: read-only values that do not change anything are tolerated (Okta's echoed id). */
  lenient: boolean;
}

export function mutability(detail: string): ScimError {
  return new ScimError(400, 'mutability', detail);
}

export function applyToAttribute(
  doc: JsonObject,
  op: PatchOpName,
  target: AttributeTarget,
  value: unknown,
  env: OpEnv,
): void {
  const { ref, sub, label } = target;
  if (ref.def.mutability === 'readOnly') return readOnlyAttribute(doc, op, target, value, env);
  if (sub?.mutability === 'readOnly') {
    if (env.lenient) return;
    throw mutability(`'${label}' is readOnly`);
  }
  const before = readAttribute(doc, ref);
  if (target.filter) filtered(doc, op, target, target.filter, value, env);
  else if (sub) subAttribute(doc, op, ref, sub, value, label);
  else whole(doc, op, ref, value, env, label);
  // RFC 7643 §7: an immutable attribute is set once; PATCH may give it a first value but never change it.
  if (ref.def.mutability === 'immutable' && before !== undefined && !deepEqual(before, readAttribute(doc, ref))) {
    throw mutability(`'${label}' is immutable`);
  }
}

/**
 * id, meta and User.groups. An explicit path may only restate the current simple value (rfc-03-readonly-
 * mutability.json). In a path-less value, Okta's group rename carries the unchanged id (okta-10-group-push-
 * lifecycle.json) and IdPs echo meta and groups: values that match, or that there is nothing to compare with, pass.
 */
function readOnlyAttribute(
  doc: JsonObject,
  op: PatchOpName,
  target: AttributeTarget,
  value: unknown,
  env: OpEnv,
): void {
  const { ref, label } = target;
  const refuse = () => {
    if (!env.lenient) throw mutability(`'${label}' is readOnly`);
  };
  if (op === 'remove' || target.sub || target.filter) return refuse();
  if (!env.lenient && ref.def.type === 'complex') return refuse();
  const next = coerceAttribute(ref, value, env.dialect, label);
  const current = readAttribute(doc, ref);
  if (deepEqual(next, current) || (env.lenient && (next === undefined || current === undefined))) return;
  throw mutability(`'${label}' is readOnly`);
}

function whole(doc: JsonObject, op: PatchOpName, ref: AttributeRef, value: unknown, env: OpEnv, label: string): void {
  if (op === 'remove') return writeAttribute(doc, ref, undefined);
  const next = coerceAttribute(ref, value, env.dialect, label);
  const current = readAttribute(doc, ref);
  if (ref.def.multiValued) {
    // §3.5.2.3: replace swaps all values; §3.5.2.1: add appends the values not already present.
    if (op === 'replace') return writeAttribute(doc, ref, next);
    const list = listOf(current);
    const added = new Set<JsonValue>();
    const present = new Set(list.map(canonicalJson)); // hashed: a long list and a long value must not meet pairwise
    for (const element of Array.isArray(next) ? next : []) {
      const key = canonicalJson(element);
      if (present.has(key)) continue;
      present.add(key);
      list.push(element);
      added.add(element);
    }
    return writeAttribute(doc, ref, list.length > 0 ? enforceSinglePrimary(list, added) : undefined);
  }
  if (next === undefined) {
    if (op === 'replace') writeAttribute(doc, ref, undefined);
    return;
  }
  // §3.5.2.1/3: sub-attributes not in the value are left unchanged. The manager is the exception: its $ref and
  // displayName describe the old value, so a new manager replaces the whole object.
  const merge = ref.def.type === 'complex' && !isManager(ref) && isJsonObject(current) && isJsonObject(next);
  writeAttribute(doc, ref, merge ? { ...current, ...next } : next);
}

function subAttribute(
  doc: JsonObject,
  op: PatchOpName,
  ref: AttributeRef,
  sub: AttributeDef,
  value: unknown,
  label: string,
): void {
  const next = op === 'remove' ? undefined : coerceSubAttribute(sub, value, label);
  if (op === 'add' && next === undefined) return;
  const current = readAttribute(doc, ref);
  if (!ref.def.multiValued) {
    const updated = withSub(isJsonObject(current) ? current : {}, sub.name, next);
    return writeAttribute(doc, ref, updated);
  }
  // `emails.type` without a filter addresses every element (§3.5.2); with none yet, add/replace creates one.
  const list = listOf(current);
  if (list.length === 0 && next !== undefined) return writeAttribute(doc, ref, [{ [sub.name]: next }]);
  const updated = list
    .map((el) => (isJsonObject(el) ? withSub(el, sub.name, next) : el))
    .filter((el) => el !== undefined);
  writeAttribute(doc, ref, updated.length > 0 ? enforceSinglePrimary(updated) : undefined);
}

function filtered(
  doc: JsonObject,
  op: PatchOpName,
  target: AttributeTarget,
  filter: FilterNode,
  value: unknown,
  env: OpEnv,
): void {
  const { ref, sub, label } = target;
  const matches = elementMatcher(ref, filter, env);
  const list = listOf(readAttribute(doc, ref));
  const hits = new Set(list.filter(matches));
  const subValue = sub && op !== 'remove' ? coerceSubAttribute(sub, value, label) : undefined;
  const element = !sub && op !== 'remove' ? coerceElement(ref.def, rewrite(env, ref, value), label) : undefined;
  if (op === 'add' && (sub ? subValue === undefined : element === undefined)) return; // adding nothing
  const touched = new Set<JsonValue>();
  const touch = (next: JsonValue | undefined) => {
    if (next !== undefined) touched.add(next);
    return next;
  };
  let result: (JsonValue | undefined)[];
  if (hits.size === 0) {
    // §3.5.2.2: removing nothing is not an error for us (IdP retries); §3.5.2.3: replace without a match is noTarget.
    if (op === 'remove') return;
    // add via `emails[type eq "work"].value` with no work email yet creates one: Entra sends Add for values that
    // did not exist (DIALECTS.md §1), and the eq terms say what the new element is.
    const created = op === 'add' ? elementFromEqualities(ref, filter) : undefined;
    if (!created) throw new ScimError(400, 'noTarget', `no value of '${label}' matches the filter`);
    result = [...list, touch(sub ? withSub(created, sub.name, subValue) : { ...created, ...(element as JsonObject) })];
  } else {
    result = list.map((el) => {
      if (!hits.has(el) || !isJsonObject(el)) return el;
      if (op === 'remove') return sub ? withSub(el, sub.name, undefined) : undefined;
      if (sub) return touch(withSub(el, sub.name, subValue));
      return touch(op === 'add' && isJsonObject(element) ? { ...el, ...element } : element);
    });
  }
  const kept = result.filter((el): el is JsonValue => el !== undefined);
  writeAttribute(doc, ref, kept.length > 0 ? enforceSinglePrimary(kept, touched) : undefined);
}

function rewrite(env: OpEnv, ref: AttributeRef, value: unknown): unknown {
  return env.dialect.rewriteValue({ schemaId: ref.schemaId, attribute: ref.def.name }, value);
}

function withSub(obj: JsonObject, name: string, value: JsonValue | undefined): JsonObject | undefined {
  const copy: JsonObject = { ...obj };
  if (value === undefined) delete copy[name];
  else copy[name] = value;
  return Object.keys(copy).length > 0 ? copy : undefined;
}

function listOf(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...value] : [value];
}
