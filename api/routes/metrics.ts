// api/routes/metrics.ts: `GET /metrics` (Prometheus text format), behind the admin token unless METRICS_PUBLIC=true.
import type { Registry } from 'prom-client';
import { metricsText } from '../../metrics/serve';
import type { AppDeps } from '../app';
import type { Routes } from '../router';
import { adminAuth } from './admin-auth';

export function mountMetricsRoute(router: Routes, deps: AppDeps, storeMetrics: Registry): void {
  const guard = deps.metricsPublic ? [] : [adminAuth(deps.adminToken)];
  router.get('/metrics', ...guard, async (ctx) => {
    const { contentType, body } = await metricsText(storeMetrics);
    ctx.type = contentType;
    ctx.body = body;
  });
}
