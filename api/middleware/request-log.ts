// api/middleware/request-log.ts: a request id per request (X-Request-Id, honoured when a proxy sets a sane one; it also
// goes into the events the request records: store/request-context.ts), and a log line per request: `debug` for every
// one, `error` (with the failure) for a 5xx. No bodies, no headers: no secrets.
import crypto from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { withRequestId } from '../../store/request-context';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestLog(log: Logger): Middleware {
  return async function requestLogMiddleware(ctx, next) {
    const given = ctx.get('x-request-id');
    const requestId = SANE_ID.test(given) ? given : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const start = process.hrtime.bigint();
    try {
      await withRequestId(requestId, next);
    } finally {
      const entry = {
        requestId,
        method: ctx.method,
        route: typeof ctx.state.route === 'string' ? ctx.state.route : undefined,
        status: ctx.status,
        ms: Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10,
      };
      const failure = ctx.state.error as Error | undefined;
      if (ctx.status >= 500)
        log.error(
          { ...entry, ...(failure ? { err: { message: failure.message, stack: failure.stack } } : {}) },
          'request failed',
        );
      else if (log.isLevelEnabled('debug')) log.debug(entry, 'request');
    }
  };
}
