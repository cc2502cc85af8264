// testkit/limited-scim-app-group-patch.ts: the member-only PatchOp subset (RFC 7644 §3.5.2) the limited app accepts on Groups.
import type { Json } from './limited-scim-app-http';
import { PATCH_URN, ScimHttpError, isObject } from './limited-scim-app-http';
import type { ScimMember } from './limited-scim-app-store';

const MEMBER_FILTER = /^members\[\s*value\s+eq\s+("(?:[^"\\]|\\.)*")\s*\]$/i;
const SUPPORTED = 'this app supports only add/remove on members and remove on members[value eq "<id>"]';

/**
 * The member list after every operation, or a 400 before anything changes: RFC 7644 §3.5.2 makes a PATCH atomic.
 * Whether the members exist is the store's check, made when the result is written.
 */
export function applyMemberPatch(members: readonly ScimMember[], body: Json): ScimMember[] {
  if (!Array.isArray(body.schemas) || !body.schemas.includes(PATCH_URN))
    throw new ScimHttpError(400, 'invalidSyntax', `schemas must list ${PATCH_URN}`);
  const operations = body.Operations;
  if (!Array.isArray(operations) || operations.length === 0)
    throw new ScimHttpError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  return operations.reduce<ScimMember[]>((current, operation) => applyOne(current, operation), [...members]);
}

function applyOne(members: ScimMember[], operation: unknown): ScimMember[] {
  if (!isObject(operation) || typeof operation.op !== 'string')
    throw new ScimHttpError(400, 'invalidSyntax', 'each operation needs an op');
  const op = operation.op.toLowerCase(); // Entra sends "Add" and "Remove"
  const path = typeof operation.path === 'string' ? operation.path.trim() : undefined;
  if (!['add', 'remove', 'replace'].includes(op))
    throw new ScimHttpError(400, 'invalidSyntax', `unknown op "${operation.op}"`);
  if (op === 'remove' && path === undefined) throw new ScimHttpError(400, 'noTarget', 'remove needs a path'); // RFC 7644 §3.5.2.2
  if (op === 'add' && path?.toLowerCase() === 'members') {
    const added = memberValues(operation.value).filter(({ value }) => !members.some((m) => m.value === value));
    return [...members, ...added];
  }
  if (op === 'remove' && path?.toLowerCase() === 'members') {
    if (operation.value === undefined)
      throw new ScimHttpError(400, 'invalidValue', 'this app removes members only by value, never all at once');
    const removed = new Set(memberValues(operation.value).map(({ value }) => value));
    return members.filter((member) => !removed.has(member.value));
  }
  const filtered = op === 'remove' && path !== undefined ? MEMBER_FILTER.exec(path) : null;
  if (filtered) {
    const value = jsonString(filtered[1] ?? '');
    return members.filter((member) => member.value !== value);
  }
  throw new ScimHttpError(400, 'invalidPath', `Unsupported operation ${op} ${path ?? '(no path)'}: ${SUPPORTED}`);
}

function memberValues(value: unknown): ScimMember[] {
  if (!Array.isArray(value) || !value.every((member) => isObject(member) && typeof member.value === 'string'))
    throw new ScimHttpError(400, 'invalidValue', 'value must be an array of {"value": "<user id>"}');
  return value.map((member: Json) => ({
    value: member.value as string,
    ...(typeof member.display === 'string' ? { display: member.display } : {}),
  }));
}

function jsonString(literal: string): string {
  try {
    return JSON.parse(literal) as string; // the regex admits quoted strings only
  } catch {
    throw new ScimHttpError(400, 'invalidPath', `${literal} is not a valid JSON string`);
  }
}
