// api/middleware/scim-errors.ts: first in the chain; failures leave as RFC 7644 §3.12 error bodies, SCIM answers as scim+json.
import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import { ScimError, scimErrorBody } from '../../domain/scim/errors';
import { DatabaseBusyError, ResourceGoneError, UniqueViolationError } from '../../store/errors';

export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof ZodError) {
    const first = err.issues[0];
    return new ScimError(400, 'invalidValue', `${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}`);
  }
  if (err instanceof UniqueViolationError) return new ScimError(409, 'uniqueness', err.message);
  if (err instanceof ResourceGoneError) return new ScimError(404, undefined, err.message);
  if (err instanceof DatabaseBusyError) return new ScimError(503, undefined, `${err.message}; retry`);
  if (!(err instanceof Error)) return new ScimError(500, undefined, 'Internal server error');
  const { status, expose } = err as Error & { status?: number; expose?: boolean };
  if (typeof status === 'number' && ((status >= 400 && status < 500) || status === 501)) {
    const scimType = status === 400 ? 'invalidSyntax' : undefined;
    return new ScimError(status, scimType, expose === false ? 'Bad request' : err.message);
  }
  return new ScimError(500, undefined, 'Internal server error');
}

const SCIM_JSON = 'application/scim+json';
/** Routing matches paths case-insensitively, so does this. */
export const SCIM_PATH = /^\/scim\//i;

/** First in the chain: turns every failure into a SCIM error and types SCIM answers as application/scim+json. */
export function scimErrors(): Middleware {
  return async function scimErrorsMiddleware(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new ScimError(404, undefined, `No such endpoint: ${ctx.method} ${ctx.path}`);
      // The routers' allowedMethods set 405/501 without a body; every error still leaves as a SCIM error body.
      if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null))
        throw new ScimError(ctx.status, undefined, `${ctx.method} ${ctx.path}: ${ctx.message}`);
      // RFC 7644 §8.1: SCIM responses are application/scim+json (Entra rejects anything else).
      if (ctx.body !== undefined && ctx.body !== null && SCIM_PATH.test(ctx.path)) ctx.type = SCIM_JSON;
    } catch (err) {
      const error = toScimError(err);
      ctx.status = error.status;
      ctx.body = scimErrorBody(error);
      ctx.type = SCIM_JSON; // after the body: Koa's body setter would otherwise pick application/json
      if (error.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="scimflow"');
      if (error.status === 503) ctx.set('Retry-After', '1');
      if (error.status === 500) {
        ctx.state.error = err; // the request log says what failed (never the client)
        ctx.app.emit('error', err, ctx); // a bug in our code: never leak internals to the client
      }
    }
  };
}
