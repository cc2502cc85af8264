// connectors/webhook-status.ts: reading a webhook app back through its status URL, so a revocation is verified by the
// app's own word on the account, not only by the acknowledgement of the event that asked for it.
import { DownstreamUnavailableError } from './connector';
import type { ReadOptions } from './connector';

/** What the app says of one account: enabled or not, and the entitlements it holds. */
export interface AccountStatus {
  active: boolean;
  entitlements: string[];
}

export interface StatusReaderOptions {
  appName: string;
  statusUrl: string;
  timeoutMs: number;
  /** The headers that authenticate a GET (signed like an event, or a bearer token). */
  authHeaders: (requestId: string) => Record<string, string>;
}

/** `entitlements` as strings, or as SCIM multi-valued `{value}` objects (a SCIM User answers as it is). */
function entitlementsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const names = value.map((e: unknown) =>
    typeof e === 'string'
      ? e
      : typeof (e as { value?: unknown })?.value === 'string'
        ? (e as { value: string }).value
        : undefined,
  );
  return names.every((n) => n !== undefined) ? names : undefined;
}

/** The answer's body as an AccountStatus, or why it is not one. */
export function parseAccountStatus(body: unknown): AccountStatus | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the answer is not a JSON object';
  const { active, entitlements } = body as { active?: unknown; entitlements?: unknown };
  if (typeof active !== 'boolean') return 'the answer has no boolean "active"';
  const names = entitlementsOf(entitlements);
  if (!names) return '"entitlements" is not a list of names or of {"value": name}';
  return { active, entitlements: names };
}

/**
 * `GET <statusUrl>/<account id>`: 200 with `{"active": bool, "entitlements": [...]}` (a SCIM User fits), 404 or 410 when
 * the app has no such account. Anything else (no answer, another status, a body that says neither) is a failed read:
 * DownstreamUnavailableError, so a revocation stays unverified and is retried until the app confirms it.
 */
export function createStatusReader(options: StatusReaderOptions) {
  const { appName, statusUrl, timeoutMs } = options;
  const base = statusUrl.replace(/\/+$/, '');
  return async function readStatus(remoteId: string, read: ReadOptions = {}): Promise<AccountStatus | undefined> {
    const url = `${base}/${encodeURIComponent(remoteId)}`;
    const failed = (why: string, status?: number) =>
      new DownstreamUnavailableError(`${appName}: status of account ${remoteId}: ${why}`, status);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', 'user-agent': 'scimflow-webhooks', ...options.authHeaders(remoteId) },
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(read.signal ? [read.signal] : [])]),
      });
      text = await res.text();
    } catch (err) {
      throw failed((err as Error).message);
    }
    if (res.status === 404 || res.status === 410) return undefined;
    if (!res.ok) throw failed(`the status URL answered ${res.status}`, res.status);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw failed('the answer is not JSON', res.status);
    }
    const status = parseAccountStatus(body);
    if (typeof status === 'string') throw failed(status, res.status);
    return status;
  };
}
