// api/render.ts: stored resource → SCIM JSON (meta, ETag, computed groups/members, attribute projection).
import type { JsonObject } from '../domain/scim/json';
import { isJsonObject } from '../domain/scim/json';
import { URN } from '../domain/scim/schemas/urns';
import { defaultProjectionKeepsStored, projectResource } from '../domain/scim/projection';
import type { SchemaRegistry } from '../domain/scim/schemas/registry';
import type { Stores } from '../store';
import type { StoredResource } from '../store/resources';
import type { DirectoryContext } from './directory-context';

export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

export function etagOf(resource: Pick<StoredResource, 'version'>): string {
  return `W/"${resource.version}"`;
}

/** Whether the caller's projection can include an attribute (so we skip loading 100,000 members when it cannot). */
function wants(projection: Projection, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  const named = (list: string[] | undefined) =>
    list?.some((a) => {
      const l = a.toLowerCase();
      return l === lower || l.startsWith(`${lower}.`) || l.endsWith(`:${lower}`) || l.includes(`:${lower}.`);
    }) ?? false;
  if (projection.attributes && projection.attributes.length > 0) return named(projection.attributes);
  // Excluding a whole attribute, by its name or URN-qualified (urn:…:Group:members); excluding a sub-attribute keeps it.
  return !(projection.excludedAttributes ?? []).some((a) => {
    const l = a.toLowerCase();
    return l === lower || l.endsWith(`:${lower}`);
  });
}

async function userGroups(stores: Stores, baseUrl: string, resource: StoredResource): Promise<JsonObject[]> {
  const { directoryId, id, groupIds } = resource;
  // The row's own group ids spare a probe of the member index; rows from before that column use the index.
  const groups =
    groupIds === undefined
      ? await stores.members.groupsOf(directoryId, id)
      : await stores.members.groupsByIds(directoryId, groupIds);
  return groups.map((g) => ({
    value: g.value,
    display: g.display,
    $ref: `${baseUrl}/Groups/${g.value}`,
    type: 'direct',
  }));
}

async function groupMembers(stores: Stores, baseUrl: string, resource: StoredResource): Promise<JsonObject[]> {
  return (await stores.members.list(resource.directoryId, resource.id)).map((m) => ({
    ...m,
    $ref: `${baseUrl}/${m.type === 'Group' ? 'Groups' : 'Users'}/${m.value}`,
  }));
}

const ENTERPRISE = URN.EnterpriseUser;

/** The enterprise manager's id, when the stored user has one (its `$ref` is derived, like every `$ref` here). */
function managerIdOf(resource: StoredResource): string | undefined {
  if (resource.type !== 'User' || !resource.docText.includes('"manager":{"value":')) return undefined;
  const enterprise = (resource.doc as JsonObject)[ENTERPRISE];
  const manager = isJsonObject(enterprise) ? enterprise.manager : undefined;
  return isJsonObject(manager) && typeof manager.value === 'string' ? manager.value : undefined;
}

/**
 * The stored text with `$ref` added to the enterprise manager. Stored documents are JSON.stringify output and keep the
 * manager as {value} only, so its text is exactly the needle below, and its first occurrence after the extension's
 * key is the manager's (string values cannot hold an unescaped quote).
 */
function withManagerRefText(text: string, managerId: string, baseUrl: string): string {
  const needle = `"manager":${JSON.stringify({ value: managerId })}`;
  const at = text.indexOf(needle, text.indexOf(`${JSON.stringify(ENTERPRISE)}:{`));
  if (at < 0) return text;
  const ref = `${JSON.stringify({ value: managerId, $ref: `${baseUrl}/Users/${managerId}` })}`;
  return `${text.slice(0, at)}"manager":${ref}${text.slice(at + needle.length)}`;
}

function metaOf(baseUrl: string, resource: StoredResource): JsonObject {
  return {
    resourceType: resource.type,
    created: resource.createdAt,
    lastModified: resource.updatedAt,
    version: etagOf(resource),
    location: `${baseUrl}/${resource.type === 'User' ? 'Users' : 'Groups'}/${resource.id}`,
  };
}

export async function renderResource(
  stores: Stores,
  registry: SchemaRegistry,
  baseUrl: string,
  resource: StoredResource,
  projection: Projection = {},
): Promise<JsonObject> {
  const doc: JsonObject = { ...(resource.doc as JsonObject), id: resource.id };
  const managerId = managerIdOf(resource);
  if (managerId !== undefined) {
    const enterprise = doc[ENTERPRISE] as JsonObject;
    doc[ENTERPRISE] = { ...enterprise, manager: { value: managerId, $ref: `${baseUrl}/Users/${managerId}` } };
  }
  if (resource.type === 'User' && wants(projection, 'groups')) {
    const groups = await userGroups(stores, baseUrl, resource);
    if (groups.length > 0) doc.groups = groups;
  }
  if (resource.type === 'Group' && wants(projection, 'members'))
    doc.members = await groupMembers(stores, baseUrl, resource);
  doc.meta = metaOf(baseUrl, resource);
  const projected = projectResource(doc, projection, { registry, resourceType: resource.type });
  // `meta` stays with `attributes=` (as `id` does) unless the list names part of it: a single-resource answer carries an
  // ETag header (RFC 7644 §3.14), and clients reconcile it with meta.version (scim2-client fails on a body without
  // meta; found by scim2-tester). excludedAttributes=meta still removes it.
  if (projection.attributes?.length && !('meta' in projected)) projected.meta = doc.meta;
  return projected;
}

const isDefaultProjection = (p: Projection) => !p.attributes?.length && !p.excludedAttributes?.length;

/**
 * The JSON text of `renderResource`. When the default projection keeps every stored attribute and every stored
 * document was normalised under the directory's current schemas, the text is spliced from the stored document text
 * (normalised documents hold no id, meta, groups or members of their own): no parse, no projection walk, no
 * re-serialisation of the document. Otherwise it is `JSON.stringify(renderResource(…))`.
 */
export async function renderResourceJson(
  stores: Stores,
  dctx: DirectoryContext,
  resource: StoredResource,
  projection: Projection = {},
): Promise<string> {
  const { registry, baseUrl } = dctx;
  const splice =
    dctx.storedUnderCurrentSchemas &&
    isDefaultProjection(projection) &&
    defaultProjectionKeepsStored({ registry, resourceType: resource.type });
  if (!splice) return JSON.stringify(await renderResource(stores, registry, baseUrl, resource, projection));
  const managerId = managerIdOf(resource);
  const text = managerId === undefined ? resource.docText : withManagerRefText(resource.docText, managerId, baseUrl);
  let out = text.length > 2 ? `${text.slice(0, -1)},"id":` : '{"id":';
  out += JSON.stringify(resource.id);
  if (resource.type === 'User') {
    const groups = await userGroups(stores, baseUrl, resource);
    if (groups.length > 0) out += `,"groups":${JSON.stringify(groups)}`;
  } else {
    out += `,"members":${JSON.stringify(await groupMembers(stores, baseUrl, resource))}`;
  }
  return `${out},"meta":${JSON.stringify(metaOf(baseUrl, resource))}}`;
}
