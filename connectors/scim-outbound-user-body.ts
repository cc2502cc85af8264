// connectors/scim-outbound-user-body.ts: the User bodies scimflow writes: POST from a spec, PUT merged over what the app has.
import { createHash } from 'node:crypto';
import type { AccountSpec } from './connector';
import type { ScimUser } from './scim-outbound-resources';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** readOnly attributes of the RFC 7643 User: never sent back (strict apps answer 400 mutability). */
const READ_ONLY = ['id', 'meta', 'groups'] as const;
/** The name sub-attributes scimflow owns; the others (middleName, honorificPrefix…) stay as the app has them. */
const NAME_KEYS = ['givenName', 'familyName', 'formatted'] as const;

type Json = Record<string, unknown>;

export function createBody(spec: AccountSpec): Json {
  return replaceBody({ schemas: [USER_SCHEMA] }, spec);
}

/**
 * The full User for a PUT: the app's resource minus readOnly attributes, with every attribute of the spec written over it.
 * The spec is authoritative for what it covers, so an attribute it leaves out is removed, not kept.
 */
export function replaceBody(current: Json | ScimUser, spec: AccountSpec): Json {
  const body = withoutReadOnly(current);
  const schemas = Array.isArray(body.schemas) ? body.schemas.filter((s): s is string => typeof s === 'string') : [];
  body.schemas = schemas.includes(USER_SCHEMA) ? schemas : [USER_SCHEMA, ...schemas];
  body.userName = spec.userName;
  body.active = spec.active;
  setOrDelete(body, 'externalId', spec.externalId);
  setOrDelete(body, 'displayName', spec.displayName);
  setOrDelete(body, 'emails', spec.emails?.length ? spec.emails : undefined);
  const name: Json = isObject(body.name) ? { ...body.name } : {};
  for (const key of NAME_KEYS) setOrDelete(name, key, spec.name?.[key]);
  setOrDelete(body, 'name', Object.keys(name).length > 0 ? name : undefined);
  return body;
}

/** What a PUT would send if the app's resource were already right: compared with replaceBody to skip needless writes. */
export function withoutReadOnly(resource: Json | ScimUser): Json {
  const body: Json = { ...resource };
  for (const key of READ_ONLY) delete body[key];
  const enterprise = body[ENTERPRISE_SCHEMA];
  if (isObject(enterprise) && isObject(enterprise.manager)) {
    const { displayName: _readOnly, ...manager } = enterprise.manager;
    body[ENTERPRISE_SCHEMA] = { ...enterprise, manager };
  }
  return body;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * A short fingerprint of a body, appended to the Idempotency-Key of a PUT: the body depends on what the app had when we read it,
 * and an app honouring idempotency keys refuses (422) a reused key that comes with a different payload.
 */
export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex').slice(0, 16);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}

function setOrDelete(target: Json, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
