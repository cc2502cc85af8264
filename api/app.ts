// api/app.ts: createApp(deps) builds the Koa app (SCIM, health, admin); it never listens by itself.
import Koa from 'koa';
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import type { ApiLimits } from './config';
import { forwardWrites } from './forward-writes';
import { checkHealth } from './health';
import { directoryAuth } from './middleware/directory-auth';
import { scimErrors } from './middleware/scim-errors';
import { ResourceService } from './resource-service';
import type { Poke } from './resource-service';
import { mountAdminRoutes } from './routes/admin';
import { mountEventRoutes } from './routes/events';
import { LogWatch } from './log-watch';
import { mountMetricsRoute } from './routes/metrics';
import { mountBulkRoute } from './routes/bulk';
import { mountHrRoutes } from './routes/hr';
import { mountJwksRoute } from './routes/jwks';
import { mountDiscoveryRoutes } from './routes/discovery';
import { mountResourceRoutes, mountRootSearch } from './routes/resources';
import { Routes } from './router';
import { httpMetrics } from '../metrics/http';
import { requestLog } from './middleware/request-log';
import { logger } from '../runtime/logger';
import type { Logger } from 'pino';
import { registerStoreMetrics } from '../metrics/store-gauges';
import { Registry } from 'prom-client';
import type { Poker } from './poke';

export interface AppDeps {
  stores: Stores;
  poke: Poke;
  limits: ApiLimits;
  publicUrl?: string;
  adminToken?: string;
  /** Where request lines go (default: the process logger, component `http`). */
  log?: Logger;
  /** Serve /metrics without the admin token (METRICS_PUBLIC=true: a network only Prometheus reaches). */
  metricsPublic?: boolean;
  temporal?: { client: Client; namespace: string; poker?: Poker };
  /** One of several API processes that is not the writer: SCIM writes are relayed to the writer on this socket. */
  forwardWritesTo?: string;
}

export function createApp(given: AppDeps): Koa {
  const app = new Koa();
  // Every route pokes through here after its commit: the events API's long polls wake at once.
  const logWatch = new LogWatch();
  const deps: AppDeps = {
    ...given,
    poke: (events) => {
      given.poke(events);
      logWatch.notify(events);
    },
  };
  const service = new ResourceService(deps.stores, deps.poke);

  // Every SCIM route is per directory and authenticated by that directory's bearer token.
  const scim = new Routes('/scim/v2/:directoryId', [directoryAuth(deps.stores, deps.publicUrl)]);
  mountDiscoveryRoutes(scim, deps.limits);
  mountBulkRoute(scim, service, deps.limits);
  mountResourceRoutes(scim, 'Users', { stores: deps.stores, service, limits: deps.limits });
  mountResourceRoutes(scim, 'Groups', { stores: deps.stores, service, limits: deps.limits });
  mountRootSearch(scim, { stores: deps.stores, service, limits: deps.limits });

  const root = new Routes();
  root.get('/healthz', async (ctx) => {
    if (!deps.temporal) {
      ctx.status = 503;
      ctx.body = { ok: false, detail: 'no Temporal client configured' };
      return;
    }
    const report = await checkHealth(deps.stores, deps.temporal.client, deps.temporal.namespace);
    ctx.status = report.ok ? 200 : 503;
    ctx.body = report;
  });
  mountAdminRoutes(root, deps);
  mountEventRoutes(root, deps, logWatch);
  mountHrRoutes(root, deps);
  mountJwksRoute(root, deps);

  // Store-backed metrics per app instance (tests run several stacks in one process); merged with the process's own.
  const storeMetrics = new Registry();
  registerStoreMetrics(storeMetrics, deps.stores);
  mountMetricsRoute(root, deps, storeMetrics);

  app.use(httpMetrics());
  app.use(requestLog(deps.log ?? logger().child({ component: 'http' })));
  app.use(scimErrors());
  if (deps.forwardWritesTo) app.use(forwardWrites(deps.forwardWritesTo, deps.limits.maxBodyBytes));
  app.use(scim.middleware());
  app.use(root.middleware());
  return app;
}
