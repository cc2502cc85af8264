// connectors/scim-capabilities.ts: what a SCIM app says it can do (RFC 7644 §4), and how scimflow adapts to it (pure).
import { z } from 'zod';

/** What discovery read from the app; null where the app did not say (no endpoint, or no such field). */
export const ScimCapabilitiesSchema = z.object({
  discoveredAt: z.string(),
  /** Which of the three discovery endpoints answered. */
  published: z.object({ serviceProviderConfig: z.boolean(), resourceTypes: z.boolean(), schemas: z.boolean() }),
  patch: z.boolean().nullable(),
  filter: z.boolean().nullable(),
  filterMaxResults: z.number().int().nonnegative().nullable(),
  etag: z.boolean().nullable(),
  bulk: z.boolean().nullable(),
  /** Resource type names, e.g. ["User", "Group"]. */
  resourceTypes: z.array(z.string()).nullable(),
  /** Top-level attributes of the app's core User schema. */
  userAttributes: z.array(z.string()).nullable(),
  /** Schema extensions the app's User resource type declares. */
  userExtensions: z.array(z.string()).nullable(),
});
export type ScimCapabilities = z.infer<typeof ScimCapabilitiesSchema>;

export const ENTITLEMENT_MODES = ['groups', 'roles', 'none'] as const;
export type EntitlementMode = (typeof ENTITLEMENT_MODES)[number];

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** `body[section][key]`, whatever the body is (each field read on its own: one garbled field loses nothing else). */
function field(body: unknown, section: string, key: string): unknown {
  const part = body && typeof body === 'object' ? (body as Record<string, unknown>)[section] : undefined;
  return part && typeof part === 'object' ? (part as Record<string, unknown>)[key] : undefined;
}
const ResourceTypeSchema = z.looseObject({
  name: z.string().nullish(),
  id: z.string().nullish(),
  schema: z.string().nullish(),
  schemaExtensions: z.array(z.looseObject({ schema: z.string().nullish() })).nullish(),
});
const SchemaSchema = z.looseObject({
  id: z.string().nullish(),
  attributes: z.array(z.looseObject({ name: z.string().nullish() })).nullish(),
});

/** `true`/`"true"` (some apps send strings), `false`/`"false"`; anything else is not an answer. */
function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return null;
}

/** A list endpoint's resources: a ListResponse, or a bare array (some apps answer that way). */
function resourcesOf(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && Array.isArray((body as { Resources?: unknown }).Resources))
    return (body as { Resources: unknown[] }).Resources;
  return null;
}

export interface DiscoveryBodies {
  /** undefined: the endpoint is not there (404/501). */
  serviceProviderConfig?: unknown;
  resourceTypes?: unknown;
  schemas?: unknown;
}

/** Reads what the three discovery answers say; a field the app left out (or garbled) stays null. */
export function readCapabilities(bodies: DiscoveryBodies, discoveredAt: string): ScimCapabilities {
  const spc = bodies.serviceProviderConfig;
  const maxResults = Number(field(spc, 'filter', 'maxResults'));
  const types = (resourcesOf(bodies.resourceTypes) ?? []).flatMap((t) => {
    const parsed = ResourceTypeSchema.safeParse(t);
    return parsed.success ? [parsed.data] : [];
  });
  const userType = types.find((t) => t.schema === USER_SCHEMA || (t.name ?? t.id) === 'User');
  const userSchema = (resourcesOf(bodies.schemas) ?? [])
    .flatMap((s) => {
      const parsed = SchemaSchema.safeParse(s);
      return parsed.success ? [parsed.data] : [];
    })
    .find((s) => s.id === USER_SCHEMA);
  const typesKnown = bodies.resourceTypes !== undefined && resourcesOf(bodies.resourceTypes) !== null;
  return {
    discoveredAt,
    published: {
      serviceProviderConfig: bodies.serviceProviderConfig !== undefined,
      resourceTypes: bodies.resourceTypes !== undefined,
      schemas: bodies.schemas !== undefined,
    },
    patch: flag(field(spc, 'patch', 'supported')),
    filter: flag(field(spc, 'filter', 'supported')),
    filterMaxResults: Number.isSafeInteger(maxResults) && maxResults >= 0 ? maxResults : null,
    etag: flag(field(spc, 'etag', 'supported')),
    bulk: flag(field(spc, 'bulk', 'supported')),
    resourceTypes: typesKnown ? types.flatMap((t) => ((t.name ?? t.id) ? [(t.name ?? t.id)!] : [])) : null,
    userAttributes: userSchema?.attributes ? userSchema.attributes.flatMap((a) => (a.name ? [a.name] : [])) : null,
    userExtensions: userType
      ? (userType.schemaExtensions ?? []).flatMap((e) => (e.schema ? [e.schema] : []))
      : typesKnown
        ? []
        : null,
  };
}

/** How scimflow talks to the app, decided from its capabilities. */
export interface Adaptation {
  entitlementMode: EntitlementMode;
  /** filter: `filter=userName eq …`; scan: page through the endpoint and compare here (the app cannot filter). */
  search: 'filter' | 'scan';
  /** patch: membership and roles by PATCH; put: read, change and PUT back the whole resource (If-Match when it can). */
  writes: 'patch' | 'put';
  /** One sentence per adaptation, for `app add` and `app show`. */
  notes: string[];
}

/** An app that says it cannot filter is searched by paging; one that did not say is asked with a filter first. */
export const searchModeOf = (caps: ScimCapabilities | undefined): Adaptation['search'] =>
  caps?.filter === false ? 'scan' : 'filter';

/** An app that says it has no PATCH gets whole-resource PUTs. */
export const writeModeOf = (caps: ScimCapabilities | undefined): Adaptation['writes'] =>
  caps?.patch === false ? 'put' : 'patch';

const lower = (names: string[] | null) => names?.map((n) => n.toLowerCase()) ?? null;

/** Whether the app can hold entitlements each way: true, false, or null (it did not say). */
function entitlementSupport(caps: ScimCapabilities | undefined): { groups: boolean | null; roles: boolean | null } {
  const types = lower(caps?.resourceTypes ?? null);
  const attributes = lower(caps?.userAttributes ?? null);
  return {
    groups: types === null ? null : types.includes('group'),
    roles: attributes === null ? null : attributes.includes('roles'),
  };
}

/**
 * Decides how to talk to the app. `requested` is the operator's `--entitlements` (auto: decided here). A mode the app
 * says it cannot hold is refused with the reason, never discovered later at the first grant.
 */
export function adaptTo(
  caps: ScimCapabilities | undefined,
  requested: EntitlementMode | 'auto',
): Adaptation | { refused: string } {
  const can = entitlementSupport(caps);
  const notes: string[] = [];
  let entitlementMode: EntitlementMode;
  if (requested === 'auto') {
    if (can.groups !== false) entitlementMode = 'groups';
    else if (can.roles !== false) {
      entitlementMode = 'roles';
      notes.push(
        can.roles
          ? 'the app has no Groups: entitlements are values of the User’s roles attribute'
          : 'the app has no Groups and does not publish its User schema: entitlements are tried as User roles',
      );
    } else {
      entitlementMode = 'none';
      notes.push(
        'the app has neither Groups nor a User roles attribute: accounts only; a policy entitlement in it is refused',
      );
    }
  } else {
    entitlementMode = requested;
    if (requested === 'groups' && can.groups === false)
      return {
        refused: `the app lists no Group resource type in /ResourceTypes, so it cannot hold entitlements as groups; ${
          can.roles === false
            ? 'it has no User roles attribute either: use --entitlements none'
            : 'use --entitlements roles'
        } (or auto)`,
      };
    if (requested === 'roles' && can.roles === false)
      return {
        refused: `the app's User schema has no roles attribute, so it cannot hold entitlements as roles; ${
          can.groups === false ? 'it has no Groups either: use --entitlements none' : 'use --entitlements groups'
        } (or auto)`,
      };
  }
  const search = searchModeOf(caps);
  if (search === 'scan')
    notes.push('the app does not support filters: lookups page through /Users (and /Groups) and compare here');
  const writes = writeModeOf(caps);
  if (writes === 'put' && entitlementMode !== 'none')
    notes.push(
      `the app does not support PATCH: ${entitlementMode === 'groups' ? 'group members' : 'roles'} change by PUT`,
    );
  if (caps && !caps.published.serviceProviderConfig)
    notes.push('the app publishes no /ServiceProviderConfig: filters and PATCH are assumed and used with fallbacks');
  return { entitlementMode, search, writes, notes };
}
