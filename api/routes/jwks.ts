// api/routes/jwks.ts: the public keys a scim-set webhook app's receiver verifies SETs with (no credentials: public).
import { WebhookAppConfigSchema } from '../../connectors/webhook-config';
import { setJwks } from '../../connectors/scim-set';
import { ScimError } from '../../domain/scim/errors';
import type { AppDeps } from '../app';
import type { Routes } from '../router';

export function mountJwksRoute(router: Routes, deps: AppDeps): void {
  router.get('/apps/:appId/jwks.json', async (ctx) => {
    const app = await deps.stores.directories.getApp(ctx.params.appId ?? '');
    const config = app?.type === 'webhook' ? WebhookAppConfigSchema.safeParse(app.config) : undefined;
    if (!config?.success || !config.data.set)
      throw new ScimError(404, undefined, `No app ${ctx.params.appId} that signs SCIM Security Event Tokens`);
    // Receivers cache keys; after a rotation they fetch again on an unknown `kid`.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = setJwks(config.data.set, new Date());
    ctx.type = 'application/jwk-set+json'; // after the body: Koa types an object body as JSON
  });
}
