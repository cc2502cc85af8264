// api/query.ts: SCIM query parameters (GET) and SearchRequest bodies (POST .search) → one ListQuery.
import { z } from 'zod';
import { ScimError } from '../domain/scim/errors';
import { isJsonObject } from '../domain/scim/json';
import { parseAttributeList } from '../domain/scim/projection';
import type { ListQuery } from './list-service';
import type { Projection } from './render';

const intParam = (name: string, raw: unknown): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n)) throw new ScimError(400, 'invalidValue', `${name} must be an integer`);
  return Math.trunc(n);
};

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function caseInsensitive(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(query)) out[k.toLowerCase()] = one(v);
  return out;
}

const projectionOf = (q: Record<string, string | undefined>): Projection => ({
  attributes: parseAttributeList(q.attributes),
  excludedAttributes: parseAttributeList(q.excludedattributes),
});

export function projectionFromQuery(query: Record<string, string | string[] | undefined>): Projection {
  return projectionOf(caseInsensitive(query));
}

const SortOrder = z.enum(['ascending', 'descending']);

function sortOrder(raw: string | undefined): 'ascending' | 'descending' | undefined {
  if (raw === undefined || raw === '') return undefined;
  const parsed = SortOrder.safeParse(raw.toLowerCase());
  if (!parsed.success) throw new ScimError(400, 'invalidValue', 'sortOrder must be ascending or descending');
  return parsed.data;
}

export function listQueryFromQuery(query: Record<string, string | string[] | undefined>): ListQuery {
  const q = caseInsensitive(query);
  return {
    ...projectionOf(q),
    filter: q.filter,
    startIndex: intParam('startIndex', q.startindex),
    count: intParam('count', q.count),
    sortBy: q.sortby || undefined,
    sortOrder: sortOrder(q.sortorder),
  };
}

/** `attributes`/`excludedAttributes` of a SearchRequest: an array of attribute names, or a comma-separated string. */
function listOf(name: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return parseAttributeList(v);
  if (Array.isArray(v) && v.every((e): e is string => typeof e === 'string')) return v;
  throw new ScimError(400, 'invalidValue', `${name} must be an array of attribute names`);
}

export function listQueryFromSearchBody(body: unknown): ListQuery {
  if (!isJsonObject(body)) throw new ScimError(400, 'invalidSyntax', 'SearchRequest must be a JSON object');
  const q: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) q[k.toLowerCase()] = v;
  if (q.filter !== undefined && typeof q.filter !== 'string')
    throw new ScimError(400, 'invalidFilter', 'filter must be a string');
  return {
    attributes: listOf('attributes', q.attributes),
    excludedAttributes: listOf('excludedAttributes', q.excludedattributes),
    filter: q.filter,
    startIndex: intParam('startIndex', q.startindex),
    count: intParam('count', q.count),
    sortBy: typeof q.sortby === 'string' ? q.sortby : undefined,
    sortOrder: sortOrder(typeof q.sortorder === 'string' ? q.sortorder : undefined),
  };
}
