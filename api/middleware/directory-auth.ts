// api/middleware/directory-auth.ts: bearer token → the directory it belongs to; a token never reaches another directory.
import type { Middleware } from 'koa';
import { ScimError } from '../../domain/scim/errors';
import type { Stores } from '../../store';
import type { DirectoryRow } from '../../store/directories';
import { directoryContext } from '../directory-context';
import type { DirectoryContext } from '../directory-context';

/** How long a resolved token and its directory row are reused; a revoked token stops working within this time. */
export const AUTH_CACHE_MS = 2_000;
const MAX_ENTRIES = 10_000;
/**
 * scimflow's tokens are 43 characters; a longer one is refused before any lookup and never cached, so the cache is
 * bounded by bytes too (10,000 entries of at most this many characters), whatever anonymous clients send.
 */
export const MAX_TOKEN_LENGTH = 256;

interface Entry {
  directory: DirectoryRow | undefined;
  expires: number;
  /** The request context last built for this token, with the origin and User-Agent it was built for. */
  context?: { origin: string; userAgent: string | undefined; dctx: DirectoryContext };
}

export function directoryAuth(stores: Stores, publicUrl: string | undefined, now: () => number = Date.now): Middleware {
  const cache = new Map<string, Entry>();
  const resolve = async (token: string): Promise<Entry> => {
    const hit = cache.get(token);
    if (hit && hit.expires > now()) return hit;
    const directoryId = await stores.directories.directoryForToken(token);
    const directory = directoryId ? await stores.directories.get(directoryId) : undefined;
    if (cache.size >= MAX_ENTRIES) cache.clear(); // bounded: unknown tokens must not grow memory without limit
    const entry = { directory, expires: now() + AUTH_CACHE_MS };
    cache.set(token, entry);
    return entry;
  };
  /** An IdP sends every request from one origin with one User-Agent, so the context is rebuilt only when they change. */
  const contextOf = (entry: Entry, directory: DirectoryRow, origin: string, userAgent: string | undefined) => {
    const cached = entry.context;
    if (cached && cached.origin === origin && cached.userAgent === userAgent) return cached.dctx;
    const dctx = directoryContext(directory, origin, userAgent);
    entry.context = { origin, userAgent, dctx };
    return dctx;
  };
  return async function directoryAuthMiddleware(ctx, next) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    if (!match) throw new ScimError(401, undefined, 'Missing bearer token');
    if (match[1]!.length > MAX_TOKEN_LENGTH) throw new ScimError(401, undefined, 'Invalid bearer token');
    const entry = await resolve(match[1]!);
    const directory = entry.directory;
    if (!directory) throw new ScimError(401, undefined, 'Invalid bearer token');
    // Same answer as for a directory that does not exist: a token of another directory learns nothing.
    if (directory.id !== ctx.params.directoryId)
      throw new ScimError(404, undefined, 'No such directory for this token');
    ctx.state.dctx = contextOf(entry, directory, publicUrl ?? ctx.origin, ctx.get('user-agent') || undefined);
    return next();
  };
}
