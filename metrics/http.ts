// metrics/http.ts: Koa middleware counting and timing every request by route pattern, method and status.
import type { Middleware } from 'koa';
import { httpDuration, httpRequests } from './registry';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Outermost: it sees the final status (SCIM errors included) and the whole time. Labels stay bounded. */
export function httpMetrics(): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = typeof ctx.state.route === 'string' ? ctx.state.route : 'unmatched';
      const method = METHODS.has(ctx.method) ? ctx.method : 'other';
      httpRequests.inc({ route, method, status: String(ctx.status) });
      httpDuration.observe({ route, method }, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
}
