// api/list-service.ts: filtered, sorted, paged listing (GET with query and POST /.search; RFC 7644 §3.4.2–3.4.3).
import { ScimError } from '../domain/scim/errors';
import type { FilterNode } from '../domain/scim/filter/ast';
import { matchesFilter } from '../domain/scim/filter/evaluate';
import { indexHint } from '../domain/scim/filter/index-hint';
import { parseFilter } from '../domain/scim/filter/parse';
import type { JsonObject } from '../domain/scim/json';
import { URN } from '../domain/scim/schemas/urns';
import { compareResources } from '../domain/scim/sort';
import type { Stores } from '../store';
import type { ResourceType, StoredResource } from '../store/resources';
import type { DirectoryContext } from './directory-context';
import type { Projection } from './render';
import { etagOf, renderResource } from './render';

export interface ListQuery extends Projection {
  filter?: string;
  startIndex?: number;
  count?: number;
  sortBy?: string;
  sortOrder?: 'ascending' | 'descending';
}

/** RFC 7644 §3.4.2.4: startIndex < 1 means 1, negative count means 0, count above the maximum is clamped. */
export function pageBounds(query: ListQuery, maxPageSize: number): { startIndex: number; count: number } {
  const startIndex = query.startIndex === undefined || query.startIndex < 1 ? 1 : Math.floor(query.startIndex);
  const requested = query.count === undefined ? maxPageSize : Math.max(0, Math.floor(query.count));
  return { startIndex, count: Math.min(requested, maxPageSize) };
}

function candidates(stores: Stores, dctx: DirectoryContext, type: ResourceType, filter: FilterNode | undefined): Iterable<StoredResource> {
  if (!filter) return stores.resources.scan(dctx.directory.id, type);
  const hint = indexHint(filter);
  if (hint && !(hint.attribute === 'userName' && type === 'Group'))
    return stores.resources.findBy(dctx.directory.id, type, hint.attribute, hint.value);
  return stores.resources.scan(dctx.directory.id, type);
}

/** Filters that touch group membership need the members loaded (they are not part of the stored group document). */
function needsMembers(filter: FilterNode): boolean {
  switch (filter.kind) {
    case 'logical':
      return needsMembers(filter.left) || needsMembers(filter.right);
    case 'not':
      return needsMembers(filter.filter);
    default:
      return /^(members|groups)$/i.test(filter.path.attr);
  }
}

export function listResources(stores: Stores, dctx: DirectoryContext, type: ResourceType, query: ListQuery, maxPageSize: number): JsonObject {
  const filter = query.filter !== undefined && query.filter.trim() !== '' ? parseFilter(query.filter) : undefined;
  const { startIndex, count } = pageBounds(query, maxPageSize);
  const ctx = { registry: dctx.registry, resourceType: type };
  const withComputed = (r: StoredResource): JsonObject => {
    if (!filter || !needsMembers(filter)) {
      // The same meta the client sees (renderResource), so meta.resourceType and meta.version filter and sort too.
      const meta = { resourceType: r.type, created: r.createdAt, lastModified: r.updatedAt, version: etagOf(r) };
      return { ...(r.doc as JsonObject), id: r.id, meta };
    }
    return renderResource(stores, dctx.registry, dctx.baseUrl, r);
  };

  // Unfiltered, unsorted listing pages in SQL; everything else filters in memory over indexed candidates or a scan.
  if (!filter && !query.sortBy) {
    const total = stores.resources.count(dctx.directory.id, type);
    const page = count === 0 ? [] : stores.resources.page(dctx.directory.id, type, startIndex - 1, count);
    return listResponse(page.map((r) => renderResource(stores, dctx.registry, dctx.baseUrl, r, query)), total, startIndex);
  }
  const matched: { stored: StoredResource; view: JsonObject }[] = [];
  for (const stored of candidates(stores, dctx, type, filter)) {
    const view = withComputed(stored);
    if (!filter || matchesFilter(view, filter, ctx)) matched.push({ stored, view });
  }
  if (query.sortBy) {
    if (query.sortOrder && !['ascending', 'descending'].includes(query.sortOrder))
      throw new ScimError(400, 'invalidValue', `sortOrder must be ascending or descending`);
    const compare = compareResources(ctx, query.sortBy, query.sortOrder ?? 'ascending');
    matched.sort((a, b) => compare(a.view, b.view) || (a.stored.createdAt < b.stored.createdAt ? -1 : a.stored.createdAt > b.stored.createdAt ? 1 : a.stored.id.localeCompare(b.stored.id)));
  }
  const page = matched.slice(startIndex - 1, startIndex - 1 + count);
  return listResponse(
    page.map((m) => renderResource(stores, dctx.registry, dctx.baseUrl, m.stored, query)),
    matched.length,
    startIndex,
  );
}

export function listResponse(resources: JsonObject[], totalResults: number, startIndex: number): JsonObject {
  return { schemas: [URN.ListResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
