// api/render.ts: stored resource → SCIM JSON (meta, ETag, computed groups/members, attribute projection).
import type { JsonObject } from '../domain/scim/json';
import { projectResource } from '../domain/scim/projection';
import type { SchemaRegistry } from '../domain/scim/schemas/registry';
import type { Stores } from '../store';
import type { StoredResource } from '../store/resources';

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

export function renderResource(
  stores: Stores,
  registry: SchemaRegistry,
  baseUrl: string,
  resource: StoredResource,
  projection: Projection = {},
): JsonObject {
  const endpoint = resource.type === 'User' ? 'Users' : 'Groups';
  const doc: JsonObject = { ...(resource.doc as JsonObject), id: resource.id };
  if (resource.type === 'User' && wants(projection, 'groups')) {
    const groups = stores.members.groupsOf(resource.directoryId, resource.id);
    if (groups.length > 0)
      doc.groups = groups.map((g) => ({
        value: g.value,
        display: g.display,
        $ref: `${baseUrl}/Groups/${g.value}`,
        type: 'direct',
      }));
  }
  if (resource.type === 'Group' && wants(projection, 'members')) {
    doc.members = stores.members
      .list(resource.directoryId, resource.id)
      .map((m) => ({ ...m, $ref: `${baseUrl}/Users/${m.value}` }));
  }
  doc.meta = {
    resourceType: resource.type,
    created: resource.createdAt,
    lastModified: resource.updatedAt,
    version: etagOf(resource),
    location: `${baseUrl}/${endpoint}/${resource.id}`,
  };
  return projectResource(doc, projection, { registry, resourceType: resource.type });
}
