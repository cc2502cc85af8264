// api/list-service.ts: filtered, sorted, paged listing (GET with query and POST /.search; RFC 7644 §3.4.2–3.4.3).
import type { FilterNode } from '../domain/scim/filter/ast';
import { matchesFilter } from '../domain/scim/filter/evaluate';
import { indexHint } from '../domain/scim/filter/index-hint';
import { parseFilter } from '../domain/scim/filter/parse';
import type { JsonObject } from '../domain/scim/json';
import { URN } from '../domain/scim/schemas/urns';
import { compareResources } from '../domain/scim/sort';
import type { Stores } from '../store';
import { scanResources } from '../store';
import type { ResourceType, StoredResource } from '../store/resources';
import type { DirectoryContext } from './directory-context';
import type { Projection } from './render';
import { etagOf, renderResource, renderResourceJson } from './render';

export interface ListQuery extends Projection {
  filter?: string;
  startIndex?: number;
  count?: number;
  sortBy?: string;
  sortOrder?: 'ascending' | 'descending';
}

/** Past any directory's size; keeps SQL offsets in range and `startIndex` an exact integer when echoed. */
export const MAX_START_INDEX = 2 ** 31;

/**
 * A page stops growing once its resources pass this many characters of JSON (at least one resource is always sent):
 * 100 users holding megabytes each must not make one answer of 100 MB. `itemsPerPage` says how many were sent, and
 * the client asks for the next page from there (RFC 7644 §3.4.2.4 lets a page hold fewer than `count`).
 */
export const PAGE_BYTE_BUDGET = 4 * 1024 * 1024;

/** RFC 7644 §3.4.2.4: startIndex < 1 means 1, negative count means 0, count above the maximum is clamped. */
export function pageBounds(query: ListQuery, maxPageSize: number): { startIndex: number; count: number } {
  const startIndex =
    query.startIndex === undefined || query.startIndex < 1
      ? 1
      : Math.min(Math.floor(query.startIndex), MAX_START_INDEX);
  const requested = query.count === undefined ? maxPageSize : Math.max(0, Math.floor(query.count));
  return { startIndex, count: Math.min(requested, maxPageSize) };
}

/** Resources that may match; `exact` when they are exactly the matches (no filter, or one the index answers). */
async function candidates(
  stores: Stores,
  dctx: DirectoryContext,
  type: ResourceType,
  filter: FilterNode | undefined,
): Promise<{ rows: AsyncIterable<StoredResource> | Iterable<StoredResource>; exact: boolean }> {
  if (!filter) return { rows: scanResources(stores, dctx.directory.id, type), exact: true };
  const hint = indexHint(filter);
  if (hint && !(hint.attribute === 'userName' && type === 'Group'))
    return {
      rows: await stores.resources.findBy(dctx.directory.id, type, hint.attribute, hint.value),
      exact: hint.exact,
    };
  return { rows: scanResources(stores, dctx.directory.id, type), exact: false };
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

const byCreation = (a: StoredResource, b: StoredResource) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id);

/** Every resource of a type matching the query's filter, in the query's sort order (creation order by default). */
async function matchResources(
  stores: Stores,
  dctx: DirectoryContext,
  type: ResourceType,
  query: ListQuery,
): Promise<StoredResource[]> {
  const filter = query.filter !== undefined && query.filter.trim() !== '' ? parseFilter(query.filter) : undefined;
  const { rows, exact } = await candidates(stores, dctx, type, filter);
  if (exact && !query.sortBy) {
    const all: StoredResource[] = [];
    for await (const row of rows) all.push(row);
    return all;
  }
  const ctx = { registry: dctx.registry, resourceType: type };
  const withComputed = async (r: StoredResource): Promise<JsonObject> => {
    if (!filter || !needsMembers(filter)) {
      // The same meta the client sees (renderResource), so meta.resourceType and meta.version filter and sort too.
      const meta = { resourceType: r.type, created: r.createdAt, lastModified: r.updatedAt, version: etagOf(r) };
      return { ...(r.doc as JsonObject), id: r.id, meta };
    }
    return renderResource(stores, dctx.registry, dctx.baseUrl, r);
  };
  const matched: { stored: StoredResource; view: JsonObject }[] = [];
  for await (const stored of rows) {
    const view = await withComputed(stored);
    if (!filter || exact || matchesFilter(view, filter, ctx)) matched.push({ stored, view });
  }
  if (query.sortBy) {
    const compare = compareResources(ctx, query.sortBy, query.sortOrder ?? 'ascending');
    matched.sort((a, b) => compare(a.view, b.view) || byCreation(a.stored, b.stored));
  }
  return matched.map((m) => m.stored);
}

export async function listResources(
  stores: Stores,
  dctx: DirectoryContext,
  type: ResourceType,
  query: ListQuery,
  maxPageSize: number,
): Promise<string> {
  const { startIndex, count } = pageBounds(query, maxPageSize);
  const render = (r: StoredResource) => renderResourceJson(stores, dctx, r, query);
  // Unfiltered, unsorted listing pages in SQL; everything else filters in memory over indexed candidates or a scan.
  if ((query.filter === undefined || query.filter.trim() === '') && !query.sortBy) {
    // One snapshot: the total and the chunks' offsets agree whatever commits meanwhile.
    return stores.readConsistently(async () => {
      const total = await stores.resources.count(dctx.directory.id, type);
      // Read in small chunks so that a budget-limited page never loads more rows than it sends.
      const chunks = async function* () {
        for (let offset = startIndex - 1, left = count; left > 0;) {
          const rows = await stores.resources.page(dctx.directory.id, type, offset, Math.min(left, PAGE_CHUNK));
          yield* rows;
          if (rows.length < Math.min(left, PAGE_CHUNK)) return;
          offset += rows.length;
          left -= rows.length;
        }
      };
      return listResponseJson(await renderWithin(chunks(), render), total, startIndex);
    });
  }
  const matched = await matchResources(stores, dctx, type, query);
  const page = matched.slice(startIndex - 1, startIndex - 1 + count);
  return listResponseJson(await renderWithin(page, render), matched.length, startIndex);
}

const PAGE_CHUNK = 25;

/** Renders resources in order until the page's byte budget is spent (always at least one). */
export async function renderWithin<T>(
  rows: AsyncIterable<T> | Iterable<T>,
  render: (row: T) => Promise<string> | string,
  budget = PAGE_BYTE_BUDGET,
): Promise<string[]> {
  const out: string[] = [];
  let size = 0;
  for await (const row of rows) {
    const json = await render(row);
    if (out.length > 0 && size + json.length > budget) break;
    out.push(json);
    size += json.length;
  }
  return out;
}

/** POST {base}/.search (RFC 7644 §3.4.3): users then groups, one page over both. Filters apply per resource type. */
export async function searchAllResources(
  stores: Stores,
  dctx: DirectoryContext,
  query: ListQuery,
  maxPageSize: number,
): Promise<string> {
  const { startIndex, count } = pageBounds(query, maxPageSize);
  const matched = [
    ...(await matchResources(stores, dctx, 'User', query)),
    ...(await matchResources(stores, dctx, 'Group', query)),
  ];
  const page = matched.slice(startIndex - 1, startIndex - 1 + count);
  return listResponseJson(
    await renderWithin(page, (r) => renderResourceJson(stores, dctx, r, query)),
    matched.length,
    startIndex,
  );
}

/** `JSON.stringify(listResponse(…))` for resources that are already JSON text. */
export function listResponseJson(resources: string[], totalResults: number, startIndex: number): string {
  const schemas = JSON.stringify([URN.ListResponse]);
  const counts = `"totalResults":${totalResults},"startIndex":${startIndex},"itemsPerPage":${resources.length}`;
  return `{"schemas":${schemas},${counts},"Resources":[${resources.join(',')}]}`;
}

export function listResponse(resources: JsonObject[], totalResults: number, startIndex: number): JsonObject {
  return {
    schemas: [URN.ListResponse],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
