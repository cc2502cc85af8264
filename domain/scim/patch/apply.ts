// domain/scim/patch/apply.ts: the pure SCIM PATCH engine (RFC 7644 §3.5.2): body + resource → new resource + member delta.
import { dialectFor } from '../dialects/dialect';
import { ScimError } from '../errors';
import { isJsonObject } from '../json';
import type { JsonObject } from '../json';
import type { ScimContext } from '../normalize';
import { isMembers } from '../normalize';
import { missingRequired, putCanonical, withComputedSchemas } from '../normalize-doc';
import { attributeLabel, classifyKey } from '../normalize-keys';
import { cloneJson, deepEqual, invalidValue } from '../normalize-values';
import { MemberDeltaBuilder } from './members';
import type { MemberDelta, MemberTarget } from './members';
import { applyToAttribute, mutability } from './operations';
import type { AttributeTarget, OpEnv } from './operations';
import { parsePatchRequest } from './request';
import type { PatchOpName, PatchOperation } from './request';
import { resolvePatchPath } from './target';
import { elementMatcher } from './value-filter';

export type { MemberDelta } from './members';
export type { MemberRef } from '../normalize-members';

export interface PatchResult {
  /** The patched document; a Group's never holds members. */
  resource: JsonObject;
  /** Present when some operation touched Group members; the store applies it (see MemberDelta for the order). */
  members?: MemberDelta;
  /** false when the document is unchanged and no member change was asked for. */
  changed: boolean;
}

/**
 * Applies every operation in order to a copy of `resource`: the input is never mutated, and any failure (always a
 * ScimError) leaves nothing half-applied.
 */
export function applyPatch(resource: JsonObject, body: unknown, ctx: ScimContext): PatchResult {
  const operations = parsePatchRequest(body);
  const engine = new PatchEngine(cloneJson(resource), ctx);
  for (const operation of operations) engine.apply(operation);
  return engine.finish(resource);
}

class PatchEngine {
  private readonly members = new MemberDeltaBuilder();
  private readonly strict: OpEnv;
  private readonly lenient: OpEnv;

  constructor(
    private readonly doc: JsonObject,
    private readonly ctx: ScimContext,
  ) {
    const env = { registry: ctx.registry, resourceType: ctx.resourceType, dialect: dialectFor(ctx.dialect) };
    this.strict = { ...env, lenient: false };
    this.lenient = { ...env, lenient: true };
  }

  apply({ op, path, value, index }: PatchOperation): void {
    if (op !== 'remove' && value === undefined) {
      throw new ScimError(400, 'invalidSyntax', `Operations[${index}]: ${op} needs a "value"`);
    }
    if (path !== undefined) {
      const target = resolvePatchPath(path, this.ctx.registry, this.ctx.resourceType);
      if (target.kind === 'schema') return this.schemaBlock(op, target.schemaId, target.isExtension, value);
      return this.attribute(op, target, value, this.strict);
    }
    if (op === 'remove')
      throw new ScimError(400, 'noTarget', `Operations[${index}]: remove needs a "path" (RFC 7644 §3.5.2.2)`);
    // Okta (okta-07-deactivate-patch-no-path.json) and Entra with aadOptscim062020 (entra-08) send no path:
    // the value is a partial resource whose keys may be attribute paths.
    if (!isJsonObject(value))
      throw invalidValue(`Operations[${index}].value`, 'must be an object when there is no path');
    for (const [key, inner] of Object.entries(value)) this.valueKey(op, key, inner);
  }

  /** A key of a path-less value: unknown attributes and `schemas` are ignored (DIALECTS.md rule 9). */
  private valueKey(op: PatchOpName, key: string, value: unknown, withinSchema?: string): void {
    const target = classifyKey(key, this.ctx.registry, this.ctx.resourceType, withinSchema);
    if (target.kind === 'unknown') return;
    if (target.kind === 'schema') return this.schemaBlock(op, target.schemaId, target.isExtension, value);
    if (!target.ref.isExtension && target.ref.def.name === 'schemas') return;
    const resolved: AttributeTarget = { ref: target.ref, label: attributeLabel(target.ref, target.sub) };
    if (target.sub) resolved.sub = target.sub;
    this.attribute(op, resolved, value, this.lenient);
  }

  /** A schema URN as path or key: its value holds that schema's attributes; remove drops the whole extension. */
  private schemaBlock(op: PatchOpName, schemaId: string, isExtension: boolean, value: unknown): void {
    if (op === 'remove' || (op === 'replace' && value === null)) {
      if (!isExtension) throw mutability(`the core schema ${schemaId} cannot be removed`);
      putCanonical(this.doc, schemaId, undefined);
      return;
    }
    if (value === null) return;
    if (!isJsonObject(value)) throw invalidValue(schemaId, "must be an object holding that schema's attributes");
    for (const [key, inner] of Object.entries(value)) this.valueKey(op, key, inner, schemaId);
  }

  private attribute(op: PatchOpName, target: AttributeTarget, value: unknown, env: OpEnv): void {
    const { ref } = target;
    if (!env.lenient && !ref.isExtension && ref.def.name === 'schemas') {
      throw mutability('schemas is derived from the attributes present and cannot be patched');
    }
    if (!isMembers(ref)) return applyToAttribute(this.doc, op, target, value, env);
    const memberTarget: MemberTarget = {};
    if (target.sub) memberTarget.sub = target.sub.name;
    if (target.filter) {
      memberTarget.filter = target.filter;
      memberTarget.matches = elementMatcher(ref, target.filter, env);
    }
    this.members.apply(op, value, memberTarget);
  }

  finish(original: JsonObject): PatchResult {
    const { registry, resourceType } = this.ctx;
    // RFC 7644 §3.5.2.2: a required attribute that becomes unassigned is a mutability error.
    const wasMissing = new Set(missingRequired(original, registry, resourceType).map((r) => attributeLabel(r)));
    const nowMissing = missingRequired(this.doc, registry, resourceType).find(
      (r) => !wasMissing.has(attributeLabel(r)),
    );
    if (nowMissing) throw mutability(`'${attributeLabel(nowMissing)}' is required and cannot be removed`);
    const resource = withComputedSchemas(this.doc, registry, resourceType);
    const result: PatchResult = { resource, changed: !deepEqual(resource, original) };
    if (!this.members.isEmpty()) {
      result.members = this.members.build();
      result.changed = true;
    }
    return result;
  }
}
