// api/middleware/directory-auth.ts: bearer token → the directory it belongs to; a token never reaches another directory.
import type { Middleware } from 'koa';
import { ScimError } from '../../domain/scim/errors';
import type { Stores } from '../../store';
import { directoryContext } from '../directory-context';

export function directoryAuth(stores: Stores, publicUrl: string | undefined): Middleware {
  return async function directoryAuthMiddleware(ctx, next) {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ScimError(401, undefined, 'Missing bearer token');
    const directoryId = stores.directories.directoryForToken(match[1]!);
    if (!directoryId) throw new ScimError(401, undefined, 'Invalid bearer token');
    // Same answer as for a directory that does not exist: a token of another directory learns nothing.
    if (directoryId !== ctx.params.directoryId) throw new ScimError(404, undefined, 'No such directory for this token');
    const directory = stores.directories.get(directoryId)!;
    ctx.state.dctx = directoryContext(directory, publicUrl ?? ctx.origin, ctx.get('user-agent') || undefined);
    await next();
  };
}
