// domain/scim/dialects/rewrites.ts: value rewrites for IdP quirks that more than one dialect applies.
import { isJsonObject } from '../json';
import type { JsonObject } from '../json';
import { URN } from '../schemas/urns';
import type { ValueTarget } from './dialect';

const is = (target: ValueTarget, schemaId: string, attribute: string) =>
  target.schemaId === schemaId && target.attribute === attribute;

/**
 * Entra's AppRoleAssignmentsComplex mapping sends each role as {"value": "<JSON text>"} in PATCH, the JSON
 * carrying id/value/displayName (entra-14-approle-json-string-roles.json, DIALECTS.md §1 [D S6]); its POST sends
 * plain objects. The text is parsed into a role only when it is a JSON object with a string `value`, so a role
 * whose value merely starts with '{' is kept as sent.
 */
export function parseJsonStringRoles(target: ValueTarget, value: unknown): unknown {
  if (!is(target, URN.User, 'roles')) return value;
  return Array.isArray(value) ? value.map(parseRole) : parseRole(value);
}

function parseRole(element: unknown): unknown {
  const wrapper = isJsonObject(element) ? element : undefined;
  const text = wrapper ? wrapper.value : element;
  const parsed = typeof text === 'string' && text.trimStart().startsWith('{') ? parseObject(text) : undefined;
  if (!parsed || typeof parsed.value !== 'string') return element;
  const role: JsonObject = { ...wrapper, value: parsed.value };
  const display = parsed.display ?? parsed.displayName;
  if (typeof display === 'string' && role.display === undefined) role.display = display;
  if (typeof parsed.type === 'string' && role.type === undefined) role.type = parsed.type;
  if (typeof parsed.primary === 'boolean' && role.primary === undefined) role.primary = parsed.primary;
  return role;
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * OneLogin's "SCIM v2 Enterprise" template renders manager as {"managerId": …, "displayName": …}; managerId is not
 * an RFC 7643 sub-attribute, and an unset manager renders as empty strings (onelogin-02-create-user-enterprise-
 * template.json, DIALECTS.md §3 [R S22]). A non-empty managerId becomes manager.value unless value is present.
 */
export function mapOneLoginManagerId(target: ValueTarget, value: unknown): unknown {
  if (!is(target, URN.EnterpriseUser, 'manager') || !isJsonObject(value)) return value;
  const key = Object.keys(value).find((k) => k.toLowerCase() === 'managerid');
  if (key === undefined) return value;
  const { [key]: managerId, ...rest } = value;
  const hasValue = Object.keys(rest).some((k) => k.toLowerCase() === 'value');
  if (hasValue || typeof managerId !== 'string' || managerId.trim() === '') return rest;
  return { ...rest, value: managerId };
}
