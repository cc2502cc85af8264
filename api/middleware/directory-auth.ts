// api/middleware/directory-auth.ts: bearer token → the directory it belongs to; a token never reaches another directory.
import type { Middleware } from 'koa';
import { ScimError } from '../../domain/scim/errors';
import type { Stores } from '../../store';
import type { DirectoryRow } from '../../store/directories';
import { directoryContext } from '../directory-context';

/** How long a resolved token and its directory row are reused; a revoked token stops working within this time. */
export const AUTH_CACHE_MS = 2_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  directory: DirectoryRow | undefined;
  expires: number;
}

export function directoryAuth(stores: Stores, publicUrl: string | undefined, now: () => number = Date.now): Middleware {
  const cache = new Map<string, Entry>();
  const resolve = (token: string): DirectoryRow | undefined => {
    const hit = cache.get(token);
    if (hit && hit.expires > now()) return hit.directory;
    const directoryId = stores.directories.directoryForToken(token);
    const directory = directoryId ? stores.directories.get(directoryId) : undefined;
    if (cache.size >= MAX_ENTRIES) cache.clear(); // bounded: unknown tokens must not grow memory without limit
    cache.set(token, { directory, expires: now() + AUTH_CACHE_MS });
    return directory;
  };
  return async function directoryAuthMiddleware(ctx, next) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    if (!match) throw new ScimError(401, undefined, 'Missing bearer token');
    const directory = resolve(match[1]!);
    if (!directory) throw new ScimError(401, undefined, 'Invalid bearer token');
    // Same answer as for a directory that does not exist: a token of another directory learns nothing.
    if (directory.id !== ctx.params.directoryId)
      throw new ScimError(404, undefined, 'No such directory for this token');
    ctx.state.dctx = directoryContext(directory, publicUrl ?? ctx.origin, ctx.get('user-agent') || undefined);
    await next();
  };
}
