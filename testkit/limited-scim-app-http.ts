// testkit/limited-scim-app-http.ts: the limited app's wire basics: SCIM error answers, JSON bodies, the 1 MiB body limit.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_CONTENT_TYPE = 'application/scim+json';
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_COUNT = 100;

/** RFC 7644 §3.12 error codes. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** The only error the limited app throws on purpose; anything else becomes a 500. */
export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimHttpError';
  }
}

export type Json = Record<string, unknown>;

/** What a handler answers; `write` marks a performed write so that a lost-answer fault can pick it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** application/scim+json unless said otherwise. */
  contentType?: string;
  write?: WriteKind;
}

export type WriteKind = 'create' | 'update' | 'delete' | 'group';

export function errorBody(error: ScimHttpError): Json {
  return {
    schemas: [ERROR_URN],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message,
  };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return; // the client went away, or stop() closed the connection
  const text = reply.body === undefined ? undefined : JSON.stringify(reply.body);
  const headers: Record<string, string | number> = { ...reply.headers };
  if (text !== undefined) {
    headers['Content-Type'] = reply.contentType ?? SCIM_CONTENT_TYPE;
    headers['Content-Length'] = Buffer.byteLength(text);
  }
  res.writeHead(reply.status, headers);
  res.end(text);
}

export function errorReply(error: ScimHttpError): Reply {
  return { status: error.status, body: errorBody(error), headers: error.headers };
}

/**
 * Reads the whole body even past the limit: answering while the client is still uploading would make it see a reset
 * instead of the 413.
 */
export async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES)
    throw new ScimHttpError(413, undefined, `Request body exceeds ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ScimHttpError(400, 'invalidSyntax', 'Request body is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ScimHttpError(400, 'invalidSyntax', `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new ScimHttpError(400, 'invalidSyntax', 'Request body must be a JSON object');
  return parsed;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const notFound = (what: string): ScimHttpError => new ScimHttpError(404, undefined, `${what} not found`);

export function methodNotAllowed(method: string, allowed: readonly string[]): ScimHttpError {
  return new ScimHttpError(405, undefined, `${method} is not allowed here`, { Allow: allowed.join(', ') });
}

export function listResponse(resources: unknown[], totalResults = resources.length, startIndex = 1): Json {
  return { schemas: [LIST_URN], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** RFC 7644 §3.4.2.4: startIndex below 1 reads as 1, a negative count as 0; this app serves at most 100 per page. */
export function page(query: URLSearchParams, resources: readonly unknown[]): Json {
  const startIndex = Math.max(1, intParam(query, 'startIndex', 1));
  const count = Math.min(MAX_COUNT, Math.max(0, intParam(query, 'count', MAX_COUNT)));
  return listResponse(resources.slice(startIndex - 1, startIndex - 1 + count), resources.length, startIndex);
}

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  if (!/^\s*-?\d+\s*$/.test(raw)) throw new ScimHttpError(400, 'invalidValue', `${name} must be an integer`);
  return Number(raw);
}

export function allow(request: { method: string }, methods: readonly string[]): void {
  if (!methods.includes(request.method)) throw methodNotAllowed(request.method, methods);
}
