// connectors/oauth-client-credentials.ts: OAuth 2.0 client credentials (RFC 6749 §4.4) for apps that want them:
// tokens fetched from the app's token endpoint, cached until shortly before they expire, refreshed on demand.
import { z } from 'zod';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';

export const OAuthClientCredentialsSchema = z.strictObject({
  tokenUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Space-separated scopes, when the app asks for some. */
  scope: z.string().min(1).optional(),
});
export type OAuthClientCredentials = z.infer<typeof OAuthClientCredentialsSchema>;

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

/** A token without expires_in is used this long before asking again. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
/** Refreshed this much before it expires (or at half its life, for short-lived tokens). */
const EARLY_MS = 30_000;

export interface TokenSource {
  /** The current access token, fetched when there is none or it is about to expire (one fetch for concurrent callers). */
  token(): Promise<string>;
  /** The app refused this token (401): the next call fetches a new one. */
  invalidate(token: string): void;
}

export function createClientCredentials(
  config: OAuthClientCredentials,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): TokenSource {
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope) body.set('scope', config.scope);
    // Client authentication by HTTP Basic (RFC 6749 §2.3.1), with both parts form-encoded first as it requires.
    const basic = Buffer.from(
      `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`,
    ).toString('base64');
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(config.tokenUrl, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${basic}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body: body.toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new DownstreamUnavailableError(`token endpoint: ${(err as Error).message}`);
    }
    if (response.status === 429 || response.status >= 500)
      throw new DownstreamUnavailableError(`token endpoint: HTTP ${response.status}`, response.status);
    if (response.status !== 200) {
      // RFC 6749 §5.2: {"error": "invalid_client"} and the like; the secret is never echoed into our messages.
      const error = /"error"\s*:\s*"([a-z_]+)"/.exec(text)?.[1];
      throw new DownstreamRejectedError(
        `token endpoint refused the client credentials: HTTP ${response.status}${error ? ` (${error})` : ''}`,
        response.status,
      );
    }
    let parsed: z.infer<typeof TokenResponseSchema>;
    try {
      parsed = TokenResponseSchema.parse(JSON.parse(text));
    } catch {
      throw new DownstreamRejectedError('token endpoint: the answer has no access_token');
    }
    const lifetime = parsed.expires_in ? parsed.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    cached = { token: parsed.access_token, refreshAt: now() + lifetime - Math.min(EARLY_MS, lifetime / 2) };
    return parsed.access_token;
  }

  return {
    token() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      inFlight ??= fetchToken().finally(() => (inFlight = undefined));
      return inFlight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

/** A fixed bearer token, as a token source. */
export function staticToken(token: string): TokenSource {
  return { token: () => Promise.resolve(token), invalidate: () => undefined };
}
