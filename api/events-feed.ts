// api/events-feed.ts: the events API's reads: an ordered page of the directory's log with resource state, and snapshots.
import { z } from 'zod';
import type { EventType } from './event-types';
import { EVENT_TYPES, eventTypeOf, kindsOfTypes } from './event-types';
import { ScimError } from '../domain/scim/errors';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import type { ResourceType } from '../store/resources';
import type { DirectoryContext } from './directory-context';
import type { LogWatch } from './log-watch';
import type { JsonObject } from '../domain/scim/json';
import { renderResource } from './render';

/** Long polls end after this at most; a consumer simply asks again with the same cursor. */
export const MAX_WAIT_SECONDS = 30;
const POLL_INTERVAL_MS = 200;

const digits = (what: string) => z.string().regex(/^\d{1,15}$/, `${what} must be a whole number`);
const bounded = (what: string, min: number, max: number) =>
  digits(what)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${what} must be between ${min} and ${max}`);

const EventsQuery = z.object({
  after: digits('after').transform(Number).default(0),
  identity: z.string().min(1).max(200).optional(),
  type: z.string().min(1).max(2_000).optional(),
  limit: bounded('limit', 1, 1_000).default(100),
  wait: bounded('wait', 0, MAX_WAIT_SECONDS).default(0),
});

const SnapshotQuery = z.object({
  type: z.enum(['User', 'Group']).default('User'),
  startIndex: bounded('startIndex', 1, Number.MAX_SAFE_INTEGER).default(1),
  count: bounded('count', 1, 1_000).default(100),
});

const single = (raw: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));

function parse<T extends z.ZodTypeAny>(schema: T, raw: Record<string, string | string[] | undefined>): z.output<T> {
  const parsed = schema.safeParse(single(raw));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
  throw new ScimError(400, 'invalidValue', problems.join('; '));
}

export interface PublicEvent {
  /** Unique and stable: the directory and the event's seq. */
  id: string;
  seq: number;
  type: EventType;
  resourceType: ResourceType;
  resourceId: string;
  time: string;
  requestId?: string;
  /** The resource as a SCIM GET shows it when the page was read; null once it is deleted (or for an NHI). */
  state: JsonObject | null;
}

export interface EventsPage {
  events: PublicEvent[];
  /** Pass back as `after`: everything up to it was read (with the filters given). */
  cursor: string;
  /** More events are there now: ask again at once. */
  hasMore: boolean;
}

/** Resource states as the page reads them, each rendered once per page. */
function stateReader(stores: Stores, dctx: DirectoryContext) {
  const cache = new Map<string, JsonObject | null>();
  return async (event: EventRow): Promise<JsonObject | null> => {
    if (event.kind === 'nhi' || event.kind === 'nhi.revoked') return null;
    const key = `${event.resourceType}/${event.identityId}`;
    if (!cache.has(key)) {
      const resource = await stores.resources.getAnyState(dctx.directory.id, event.identityId);
      const live = resource && resource.deletedAt === null && resource.type === event.resourceType;
      // A group's members come as its members' `user.membership` events (and in the snapshot): not in every event.
      const projection = event.resourceType === 'Group' ? { excludedAttributes: ['members'] } : {};
      cache.set(key, live ? await renderResource(stores, dctx.registry, dctx.baseUrl, resource, projection) : null);
    }
    return cache.get(key)!;
  };
}

function toPublic(directoryId: string, event: EventRow, state: JsonObject | null): PublicEvent {
  const requestId = typeof event.detail.requestId === 'string' ? event.detail.requestId : undefined;
  return {
    id: `${directoryId}:${event.seq}`,
    seq: event.seq,
    type: eventTypeOf(event.kind),
    resourceType: event.resourceType,
    resourceId: event.identityId,
    time: event.createdAt,
    ...(requestId ? { requestId } : {}),
    state,
  };
}

async function readPage(stores: Stores, dctx: DirectoryContext, q: z.output<typeof EventsQuery>): Promise<EventsPage> {
  const directoryId = dctx.directory.id;
  const kinds = q.type === undefined ? undefined : kindsOfTypes(q.type.split(',').map((t) => t.trim()));
  if (kinds && 'unknown' in kinds)
    throw new ScimError(
      400,
      'invalidValue',
      `unknown event type ${kinds.unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')} (or a family such as user.*)`,
    );
  // The page and the states it carries are read in one snapshot, so that they agree with one another.
  return stores.readConsistently(async () => {
    const page = await stores.events.page(directoryId, {
      afterSeq: q.after,
      limit: q.limit,
      ...(q.identity !== undefined ? { identityId: q.identity } : {}),
      ...(kinds ? { kinds: kinds.kinds } : {}),
    });
    // What is kept is a gapless suffix of the log (store/event-log.ts prune): a cursor before it has missed events.
    const gone = page.oldestSeq === null ? q.after < page.latestSeq : q.after < page.oldestSeq - 1;
    if (gone)
      throw new ScimError(
        410,
        undefined,
        `cursor ${q.after} is older than the retained log (oldest kept event: ${page.oldestSeq ?? 'none'}); ` +
          'start again from the snapshot',
      );
    if (q.after > page.latestSeq)
      throw new ScimError(
        400,
        'invalidValue',
        `cursor ${q.after} is ahead of the log (newest event: ${page.latestSeq})`,
      );
    const full = page.events.length === q.limit;
    const state = stateReader(stores, dctx);
    const last = page.events.at(-1)?.seq;
    // In the log's order, one at a time: each state is read (and cached) once per page.
    const events: PublicEvent[] = [];
    for (const e of page.events) events.push(toPublic(directoryId, e, await state(e)));
    return {
      events,
      // A page that is not full has seen everything up to the newest seq read with it.
      cursor: String(full ? last! : page.latestSeq),
      hasMore: full && last! < page.latestSeq,
    };
  });
}

/**
 * A page of events after `after`; with `wait`, an empty page waits until something matching arrives, the time is up,
 * or the client goes away. This process's own commits wake it at once (`logWatch`); other processes' writes are seen
 * by polling the log's newest seq, which every writer moves.
 */
export async function eventsPage(
  stores: Stores,
  dctx: DirectoryContext,
  rawQuery: Record<string, string | string[] | undefined>,
  { logWatch, gone }: { logWatch: LogWatch; gone: AbortSignal },
): Promise<EventsPage> {
  const q = parse(EventsQuery, rawQuery);
  const directoryId = dctx.directory.id;
  const deadline = Date.now() + q.wait * 1_000;
  let page = await readPage(stores, dctx, q);
  while (page.events.length === 0 && Date.now() < deadline && !gone.aborted) {
    const seen = Number(page.cursor);
    while ((await stores.events.latestSeq(directoryId)) <= seen && Date.now() < deadline && !gone.aborted)
      await logWatch.wait(directoryId, Math.min(POLL_INTERVAL_MS, deadline - Date.now()), gone);
    page = await readPage(stores, dctx, { ...q, after: seen });
  }
  return page;
}

export interface SnapshotPage {
  /** The log's newest seq when this page was read: replay events after the first page's cursor (see docs/events.md). */
  cursor: string;
  resourceType: ResourceType;
  totalResults: number;
  startIndex: number;
  Resources: JsonObject[];
}

/** One page of the directory's live users or groups, as SCIM GET shows them, read in one snapshot with the cursor. */
export async function snapshotPage(
  stores: Stores,
  dctx: DirectoryContext,
  rawQuery: Record<string, string | string[] | undefined>,
): Promise<SnapshotPage> {
  const q = parse(SnapshotQuery, rawQuery);
  const directoryId = dctx.directory.id;
  const { cursor, total, rows } = await stores.readConsistently(async () => ({
    cursor: await stores.events.latestSeq(directoryId),
    total: await stores.resources.count(directoryId, q.type),
    rows: await stores.resources.page(directoryId, q.type, q.startIndex - 1, q.count),
  }));
  const resources: JsonObject[] = [];
  for (const r of rows) resources.push(await renderResource(stores, dctx.registry, dctx.baseUrl, r));
  return {
    cursor: String(cursor),
    resourceType: q.type,
    totalResults: total,
    startIndex: q.startIndex,
    Resources: resources,
  };
}
