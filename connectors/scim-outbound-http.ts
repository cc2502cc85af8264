// connectors/scim-outbound-http.ts: one SCIM HTTP exchange with a downstream app, and the status → connector error mapping.
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import type { TokenSource } from './oauth-client-credentials';

export const SCIM_MEDIA_TYPE = 'application/scim+json';

export interface ScimHttpConfig {
  url: string;
  /** Where the bearer token comes from: a fixed one, or OAuth 2.0 client credentials. */
  tokens: TokenSource;
  timeoutMs: number;
}

export interface ScimRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the app's SCIM base URL, starting with '/', query string included. */
  path: string;
  body?: unknown;
  /** Required on writes: sent as the Idempotency-Key header. */
  idempotencyKey?: string;
  ifMatch?: string;
  /** Aborts the request (the activity was cancelled or timed out); the configured timeout applies regardless. */
  signal?: AbortSignal;
  /** Try without credentials first (discovery endpoints are often public); a 401/403 then retries with them. */
  anonymous?: boolean;
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for an empty body (204). */
  body: unknown;
}

export type ScimSend = (request: ScimRequest) => Promise<ScimResponse>;

/**
 * Sends a request and returns any 2xx response; every other outcome becomes a connector error.
 * Messages name the method and path only: headers (the bearer token) never reach an error or a log.
 */
export function createScimSend(config: ScimHttpConfig, fetchImpl: typeof fetch = fetch): ScimSend {
  const base = config.url.replace(/\/+$/, '');
  return async function send(request) {
    if (request.anonymous) {
      try {
        return await exchange(request, undefined);
      } catch (err) {
        if (!(err instanceof DownstreamRejectedError && (err.status === 401 || err.status === 403))) throw err;
      }
    }
    const token = await config.tokens.token();
    try {
      return await exchange(request, token);
    } catch (err) {
      // A token the app no longer takes (expired early, revoked): one more try with a fresh one, if there is one.
      if (!(err instanceof DownstreamRejectedError && err.status === 401)) throw err;
      config.tokens.invalidate(token);
      const fresh = await config.tokens.token();
      if (fresh === token) throw err;
      return exchange(request, fresh);
    }
  };

  async function exchange(request: ScimRequest, token: string | undefined): Promise<ScimResponse> {
    const what = `${request.method} ${request.path.split('?')[0]}`;
    const headers: Record<string, string> = { 'Content-Type': SCIM_MEDIA_TYPE, Accept: SCIM_MEDIA_TYPE };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (request.idempotencyKey !== undefined) headers['Idempotency-Key'] = request.idempotencyKey;
    if (request.ifMatch !== undefined) headers['If-Match'] = request.ifMatch;
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(`${base}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        // A redirect would replay the token to wherever it points (and turn a POST into a GET): treat it as misconfiguration.
        redirect: 'manual',
        signal: request.signal
          ? AbortSignal.any([request.signal, AbortSignal.timeout(config.timeoutMs)])
          : AbortSignal.timeout(config.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new DownstreamUnavailableError(`${what}: ${describeNetworkError(err, config.timeoutMs)}`);
    }
    if (response.status < 200 || response.status >= 300) {
      // The app's error detail goes into the message; an app that echoes the credentials must not put them in our logs.
      throw toConnectorError(
        what,
        response.status,
        response.headers,
        token === undefined ? text : text.split(token).join('[redacted]'),
      );
    }
    return { status: response.status, headers: response.headers, body: parseBody(what, text) };
  }
}

function parseBody(what: string, text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A 2xx that is not JSON is a wrong URL (a web page) or a broken app: retrying the same request will not fix it.
    throw new DownstreamRejectedError(`${what}: the app answered with a body that is not JSON`);
  }
}

/** Maps a non-2xx status to the error whose class name tells Temporal whether to retry. */
export function toConnectorError(
  what: string,
  status: number,
  headers: Headers,
  text: string,
  now: number = Date.now(),
): DownstreamRejectedError | DownstreamUnavailableError {
  const message = `${what}: HTTP ${status}${describeScimError(text)}`;
  // 412: the resource changed between our read and our write; a fresh attempt re-reads it.
  if (status === 408 || status === 412 || status === 429 || status >= 500) {
    return new DownstreamUnavailableError(message, status, parseRetryAfter(headers.get('retry-after'), now));
  }
  // 401 is not retried either: a wrong or revoked token is fixed by an operator, and hammering the app can lock the client out.
  // Any other 3xx/4xx (400, 403, 404, 409, 422, 405, 413, 415...) would get the same answer on every retry.
  return new DownstreamRejectedError(message, status);
}

function describeScimError(text: string): string {
  try {
    const body = JSON.parse(text) as { scimType?: unknown; detail?: unknown };
    const parts = [body.scimType, body.detail].filter((part) => typeof part === 'string' && part !== '');
    return parts.length > 0 ? ` (${parts.join(': ').slice(0, 300)})` : '';
  } catch {
    return '';
  }
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; anything else (or a date in the past) gives no or a zero delay. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined; // Date.parse accepts bare numbers like "-1" or "1.5" as years
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  const message = err instanceof Error ? err.message : String(err);
  return reason ? `${message} (${reason})` : message;
}
