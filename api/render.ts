// api/render.ts: stored resource → SCIM JSON (meta, ETag, computed groups/members, attribute projection).
import type { JsonObject } from '../domain/scim/json';
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

function userGroups(stores: Stores, baseUrl: string, resource: StoredResource): JsonObject[] {
  const { directoryId, id, groupIds } = resource;
  // The row's own group ids spare a probe of the member index; rows from before that column use the index.
  const groups =
    groupIds === undefined
      ? stores.members.groupsOf(directoryId, id)
      : stores.members.groupsByIds(directoryId, groupIds);
  return groups.map((g) => ({
    value: g.value,
    display: g.display,
    $ref: `${baseUrl}/Groups/${g.value}`,
    type: 'direct',
  }));
}

function groupMembers(stores: Stores, baseUrl: string, resource: StoredResource): JsonObject[] {
  return stores.members
    .list(resource.directoryId, resource.id)
    .map((m) => ({ ...m, $ref: `${baseUrl}/Users/${m.value}` }));
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

export function renderResource(
  stores: Stores,
  registry: SchemaRegistry,
  baseUrl: string,
  resource: StoredResource,
  projection: Projection = {},
): JsonObject {
  const doc: JsonObject = { ...(resource.doc as JsonObject), id: resource.id };
  if (resource.type === 'User' && wants(projection, 'groups')) {
    const groups = userGroups(stores, baseUrl, resource);
    if (groups.length > 0) doc.groups = groups;
  }
  if (resource.type === 'Group' && wants(projection, 'members')) doc.members = groupMembers(stores, baseUrl, resource);
  doc.meta = metaOf(baseUrl, resource);
  return projectResource(doc, projection, { registry, resourceType: resource.type });
}

const isDefaultProjection = (p: Projection) => !p.attributes?.length && !p.excludedAttributes?.length;

/**
 * The JSON text of `renderResource`. When the default projection keeps every stored attribute and every stored
 * document was normalised under the directory's current schemas, the text is spliced from the stored document text
 * (normalised documents hold no id, meta, groups or members of their own): no parse, no projection walk, no
 * re-serialisation of the document. Otherwise it is `JSON.stringify(renderResource(…))`.
 */
export function renderResourceJson(
  stores: Stores,
  dctx: DirectoryContext,
  resource: StoredResource,
  projection: Projection = {},
): string {
  const { registry, baseUrl } = dctx;
  const splice =
    dctx.storedUnderCurrentSchemas &&
    isDefaultProjection(projection) &&
    defaultProjectionKeepsStored({ registry, resourceType: resource.type });
  if (!splice) return JSON.stringify(renderResource(stores, registry, baseUrl, resource, projection));
  const text = resource.docText;
  let out = text.length > 2 ? `${text.slice(0, -1)},"id":` : '{"id":';
  out += JSON.stringify(resource.id);
  if (resource.type === 'User') {
    const groups = userGroups(stores, baseUrl, resource);
    if (groups.length > 0) out += `,"groups":${JSON.stringify(groups)}`;
  } else {
    out += `,"members":${JSON.stringify(groupMembers(stores, baseUrl, resource))}`;
  }
  return `${out},"meta":${JSON.stringify(metaOf(baseUrl, resource))}}`;
}
