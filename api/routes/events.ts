// api/routes/events.ts: the events API (admin token): a directory's ordered log with resource state, and its snapshot.
import type { Context } from 'koa';
import querystring from 'node:querystring';
import { ScimError } from '../../domain/scim/errors';
import type { AppDeps } from '../app';
import { directoryContext } from '../directory-context';
import { eventsPage, snapshotPage } from '../events-feed';
import type { LogWatch } from '../log-watch';
import type { Routes } from '../router';
import { adminAuth } from './admin-auth';

export function mountEventRoutes(router: Routes, deps: AppDeps, logWatch: LogWatch): void {
  const { stores } = deps;
  const auth = adminAuth(deps.adminToken);
  const dctxOf = async (ctx: Context) => {
    const directory = await stores.directories.get(ctx.params.id);
    if (!directory) throw new ScimError(404, undefined, `Directory ${ctx.params.id} not found`);
    // States render with the SCIM base URL the directory's IdP sees (`meta.location`, `$ref`).
    return directoryContext(directory, deps.publicUrl ?? ctx.origin);
  };

  router.get('/admin/directories/:id/events', auth, async (ctx) => {
    const dctx = await dctxOf(ctx);
    // A long poll stops waiting when its client hangs up.
    const gone = new AbortController();
    ctx.res.once('close', () => gone.abort());
    ctx.body = await eventsPage(stores, dctx, querystring.parse(ctx.querystring), { logWatch, gone: gone.signal });
  });

  router.get('/admin/directories/:id/snapshot', auth, async (ctx) => {
    ctx.body = await snapshotPage(stores, await dctxOf(ctx), querystring.parse(ctx.querystring));
  });
}
