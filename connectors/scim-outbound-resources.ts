// connectors/scim-outbound-resources.ts: reading SCIM resources from an app: User parsing, filters, paged searches.
import { z } from 'zod';
import { DownstreamRejectedError } from './connector';
import type { ScimResponse, ScimSend } from './scim-outbound-http';

// Some apps send booleans as strings ("True", Entra's legacy style); anything else is left for the schema to refuse.
const scimBoolean = z.preprocess(
  (value) => (typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value),
  z.boolean(),
);

const MultiValueSchema = z.looseObject({
  value: z.string().nullish(),
  display: z.string().nullish(),
  type: z.string().nullish(),
});

export const ScimUserSchema = z.looseObject({
  id: z.string().min(1),
  userName: z.string().min(1),
  externalId: z.string().nullish(),
  active: scimBoolean.nullish(),
  groups: z.array(MultiValueSchema).nullish(),
  roles: z.array(MultiValueSchema).nullish(),
  meta: z.looseObject({ version: z.string().nullish() }).nullish(),
});
export type ScimUser = z.infer<typeof ScimUserSchema>;

/** A User as the app returned it, with the ETag to send back as If-Match. */
export interface FetchedUser {
  user: ScimUser;
  version?: string;
}

export const ScimGroupSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  members: z.array(MultiValueSchema).nullish(),
});
export type ScimGroup = z.infer<typeof ScimGroupSchema>;

export const ListResponseSchema = z.looseObject({
  totalResults: z.coerce.number().int().nonnegative().optional(),
  Resources: z.array(z.unknown()).nullish(),
});

/** Parses a resource body, refusing one that is not SCIM (retrying would get the same body). */
export function parseResource<S extends z.ZodType>(schema: S, what: string, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DownstreamRejectedError(
      `${what}: the app's answer is not a SCIM resource (${issue?.path.join('.')}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

export function toFetchedUser(what: string, response: ScimResponse): FetchedUser {
  const user = parseResource(ScimUserSchema, what, response.body);
  const version = response.headers.get('etag') ?? user.meta?.version ?? undefined;
  return version ? { user, version } : { user };
}

/** RFC 7644 §3.4.2.2: a compValue string is a JSON string, so JSON escaping handles quotes, backslashes and controls. */
export function eqFilter(attribute: string, value: string): string {
  return `${attribute} eq ${JSON.stringify(value)}`;
}

const PAGE_SIZE = 100;
const MAX_FILTERED_PAGES = 50;
/** A scan reads the whole endpoint a page at a time, keeping only matches: memory stays one page. */
const MAX_SCANNED_PAGES = 20_000;

export type SearchMode = 'filter' | 'scan';

export interface SearchQuery {
  attribute: string;
  value: string;
  /** Whether a returned resource really matches: some apps ignore `filter` and return everything. */
  keep(resource: unknown): boolean;
}

/**
 * Every resource of the endpoint matching the query. `filter` asks the app to filter (and re-checks each result:
 * adopting a random account would be far worse than one more request); `scan`, for apps that cannot filter, pages
 * through the endpoint and compares here.
 */
export async function searchAll(
  send: ScimSend,
  endpoint: '/Users' | '/Groups',
  query: SearchQuery,
  extra: Record<string, string> = {},
  options: { signal?: AbortSignal; mode?: SearchMode } = {},
): Promise<unknown[]> {
  const scan = options.mode === 'scan';
  const found: unknown[] = [];
  let seen = 0;
  for (let page = 0, startIndex = 1; page < (scan ? MAX_SCANNED_PAGES : MAX_FILTERED_PAGES); page++) {
    const params = new URLSearchParams({
      ...(scan ? {} : { filter: eqFilter(query.attribute, query.value) }),
      ...extra,
      startIndex: String(startIndex),
      count: String(PAGE_SIZE),
    });
    const response = await send({ method: 'GET', path: `${endpoint}?${params.toString()}`, signal: options.signal });
    const list = parseResource(ListResponseSchema, `GET ${endpoint}`, response.body);
    const resources = list.Resources ?? [];
    found.push(...resources.filter((resource) => query.keep(resource)));
    seen += resources.length;
    startIndex += resources.length;
    if (resources.length === 0 || seen >= (list.totalResults ?? seen)) break;
  }
  return found;
}

/** A resource whose string attribute equals `value` case-insensitively (userName, displayName). */
export const named =
  (attribute: 'userName' | 'displayName', value: string) =>
  (resource: unknown): boolean => {
    const actual = (resource as Record<string, unknown> | null)?.[attribute];
    return typeof actual === 'string' && sameName(actual, value);
  };

/** SCIM compares userName and displayName case-insensitively (RFC 7643 §4.1.1, caseExact false). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
