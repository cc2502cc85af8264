// api/routes/admin-auth.ts: the admin token check (constant-time), shared by the admin API and /metrics.
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import { ScimError } from '../../domain/scim/errors';

export function adminAuth(token: string | undefined) {
  return async function adminAuthMiddleware(ctx: Context, next: Next) {
    if (!token) throw new ScimError(403, undefined, 'The admin API is disabled: set ADMIN_TOKEN to enable it');
    const presented = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
    const a = crypto.createHash('sha256').update(presented).digest();
    const b = crypto.createHash('sha256').update(token).digest();
    if (!crypto.timingSafeEqual(a, b)) throw new ScimError(401, undefined, 'Invalid admin token');
    await next();
  };
}
