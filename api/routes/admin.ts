// api/routes/admin.ts: operator API (ADMIN_TOKEN): lag, exceptions, revocations, audit, policy, identity view and retry.
import type { Routes } from '../router';
import type { Context } from 'koa';
import { adminAuth } from './admin-auth';
import { ScimError } from '../../domain/scim/errors';
import { parsePolicy } from '../../domain/policy/policy';
import { changePolicy } from '../policy-change';
import { WorkflowNotFoundError } from '@temporalio/client';
import { retryIdentity } from '../../runtime/identity-client';
import { identityQuery, identityWorkflowId } from '../../workflows/contracts';
import { readJsonBody } from '../body';
import type { AppDeps } from '../app';
import { addNhi, describeNhi, nhiNamed, revokeNhi, transferNhi } from '../../hr/nhi-ops';
import { offboardingReport } from '../../hr/offboarding-report';
import { statusOf } from '../../store/hr';

export function mountAdminRoutes(router: Routes, deps: AppDeps): void {
  const { stores } = deps;
  const auth = adminAuth(deps.adminToken);
  const directory = async (ctx: Context) => {
    const found = await stores.directories.get(ctx.params.id);
    if (!found) throw new ScimError(404, undefined, `Directory ${ctx.params.id} not found`);
    return found;
  };
  const temporal = () => {
    if (!deps.temporal) throw new ScimError(503, undefined, 'Temporal is not configured');
    return deps.temporal;
  };

  router.get('/admin/directories/:id/lag', auth, async (ctx) => {
    ctx.body = await stores.applied.lag((await directory(ctx)).id);
  });
  router.get('/admin/directories/:id/exceptions', auth, async (ctx) => {
    ctx.body = { exceptions: await stores.applied.exceptions((await directory(ctx)).id) };
  });
  router.get('/admin/directories/:id/revocations', auth, async (ctx) => {
    ctx.body = { revocations: await stores.applied.revocations((await directory(ctx)).id) };
  });
  router.get('/admin/directories/:id/audit', auth, async (ctx) => {
    const identity = typeof ctx.query.identity === 'string' ? ctx.query.identity : undefined;
    ctx.body = { audit: await stores.applied.auditTrail((await directory(ctx)).id, identity) };
  });
  router.get('/admin/directories/:id/policy', auth, async (ctx) => {
    ctx.body = (await stores.policies.latest((await directory(ctx)).id)) ?? { version: 0, policy: null };
  });
  // `?dryRun=true`: the impact only. Otherwise the new version and one event per affected identity, then poked.
  router.put('/admin/directories/:id/policy', auth, async (ctx) => {
    const dir = await directory(ctx);
    const policy = parsePolicy(await readJsonBody(ctx, 1_048_576));
    const { events, ...change } = await changePolicy(stores, dir.id, policy, ctx.query.dryRun === 'true');
    if (events.length > 0) deps.poke(events);
    // Held by an app's mass-change guard: nothing stored; the body says why and which change to approve.
    if (change.held && change.dryRun === false) ctx.status = 409;
    ctx.body = change;
  });
  // Non-human identities (the CLI's `scimflow nhi`): list, add, transfer, revoke; each change converges its accounts.
  router.get('/admin/directories/:id/nhis', auth, async (ctx) => {
    const dir = await directory(ctx);
    const nhis = [];
    for (const n of await stores.nhis.list(dir.id)) nhis.push(await describeNhi(stores, n));
    ctx.body = { nhis };
  });
  router.get('/admin/directories/:id/nhis/:nhi', auth, async (ctx) => {
    ctx.body = await describeNhi(stores, await nhiNamed(stores, (await directory(ctx)).id, ctx.params.nhi!));
  });
  router.post('/admin/directories/:id/nhis', auth, async (ctx) => {
    const { nhi, events } = await addNhi(stores, (await directory(ctx)).id, await readJsonBody(ctx, 65_536));
    deps.poke(events);
    ctx.status = 201;
    ctx.body = nhi;
  });
  router.post('/admin/directories/:id/nhis/:nhi/transfer', auth, async (ctx) => {
    const body = (await readJsonBody(ctx, 65_536)) as { to?: unknown };
    if (typeof body?.to !== 'string') throw new ScimError(400, 'invalidValue', 'Body: {"to": "<userName or id>"}');
    const { nhi, events } = await transferNhi(stores, (await directory(ctx)).id, ctx.params.nhi!, body.to);
    deps.poke(events);
    ctx.body = nhi;
  });
  router.post('/admin/directories/:id/nhis/:nhi/revoke', auth, async (ctx) => {
    const raw = ctx.get('content-length') === '0' || !ctx.get('content-type') ? {} : await readJsonBody(ctx, 65_536);
    const reason =
      typeof (raw as { reason?: unknown })?.reason === 'string'
        ? (raw as { reason: string }).reason
        : 'revoked by an operator';
    const { nhi, events } = await revokeNhi(stores, (await directory(ctx)).id, ctx.params.nhi!, reason);
    deps.poke(events);
    ctx.body = nhi;
  });
  router.get('/admin/directories/:id/hr/events', auth, async (ctx) => {
    const now = new Date();
    ctx.body = {
      events: (await stores.hr.list((await directory(ctx)).id)).map((e) => ({
        ...e,
        body: undefined,
        status: statusOf(e, now),
      })),
    };
  });
  router.get('/admin/directories/:id/identities/:identityId/offboarding', auth, async (ctx) => {
    const dir = await directory(ctx);
    ctx.body = await offboardingReport(stores, dir.id, await identity(ctx, dir.id));
  });

  /** A user of this directory (deleted ones too: their offboarding can still need a look or a retry). */
  const identity = async (ctx: Context, directoryId: string) => {
    const found = await stores.resources.getAnyState(directoryId, ctx.params.identityId);
    if (found?.type !== 'User') throw new ScimError(404, undefined, `Identity ${ctx.params.identityId} not found`);
    return found.id;
  };

  router.get('/admin/directories/:id/identities/:identityId', auth, async (ctx) => {
    const dir = await directory(ctx);
    const identityId = await identity(ctx, dir.id);
    const handle = temporal().client.workflow.getHandle(identityWorkflowId(dir.id, identityId));
    try {
      ctx.body = { ...(await handle.query(identityQuery)), appliedNow: await stores.applied.list(dir.id, identityId) };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      throw new ScimError(404, undefined, `Identity ${identityId} has no workflow yet`);
    }
  });
  router.post('/admin/directories/:id/identities/:identityId/retry', auth, async (ctx) => {
    const dir = await directory(ctx);
    const identityId = await identity(ctx, dir.id);
    const seq = await stores.events.latestSeqFor(dir.id, identityId);
    const { client, poker } = temporal();
    ctx.body = await retryIdentity(client, {
      directoryId: dir.id,
      identityId,
      seq,
      workflowInput: poker?.workflowInput,
    });
  });
}
