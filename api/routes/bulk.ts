// api/routes/bulk.ts: POST /Bulk (RFC 7644 §3.7): ordered operations, bulkId references, failOnErrors, size limits.
import type { Routes } from '../router';
import type { Context } from 'koa';
import { z } from 'zod';
import { ScimError, scimErrorBody } from '../../domain/scim/errors';
import type { JsonObject } from '../../domain/scim/json';
import { URN } from '../../domain/scim/schemas/urns';
import type { EventRow } from '../../store/event-log';
import type { ResourceType } from '../../store/resources';
import { readJsonBody } from '../body';
import type { ApiLimits } from '../config';
import type { DirectoryContext } from '../directory-context';
import { toScimError } from '../middleware/scim-errors';
import { etagOf } from '../render';
import type { ResourceService } from '../resource-service';

const BulkOperationSchema = z.object({
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(['POST', 'PUT', 'PATCH', 'DELETE'])),
  bulkId: z.string().optional(),
  version: z.string().optional(),
  path: z.string().min(1),
  data: z.unknown().optional(),
});
type BulkOperation = z.infer<typeof BulkOperationSchema>;
const BulkRequestSchema = z.object({
  schemas: z.array(z.string()).optional(),
  failOnErrors: z.number().int().min(1).optional(),
  Operations: z.array(z.unknown()),
});

/** Replaces "bulkId:<id>" strings anywhere in `value` with the ids created earlier in this request. */
function resolveBulkIds(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string' && value.startsWith('bulkId:')) {
    const resolved = ids.get(value.slice(7));
    if (!resolved) throw new ScimError(409, 'invalidValue', `Unresolved reference ${value}`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((v) => resolveBulkIds(v, ids));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveBulkIds(v, ids)]));
  return value;
}

function target(path: string, ids: Map<string, string>): { type: ResourceType; endpoint: string; id?: string } {
  const match = /^\/?(Users|Groups)(?:\/([^/]+))?$/i.exec(path);
  if (!match)
    throw new ScimError(400, 'invalidPath', `Bulk path '${path}' must be /Users, /Groups or /<endpoint>/<id>`);
  const endpoint = match[1]!.toLowerCase() === 'users' ? 'Users' : 'Groups';
  const id = match[2] === undefined ? undefined : (resolveBulkIds(match[2], ids) as string);
  return { type: endpoint === 'Users' ? 'User' : 'Group', endpoint, id };
}

export function mountBulkRoute(router: Routes, service: ResourceService, limits: ApiLimits): void {
  router.post('/Bulk', async (ctx: Context) => {
    const dctx = ctx.state.dctx as DirectoryContext;
    const request = BulkRequestSchema.parse(await readJsonBody(ctx, limits.maxBodyBytes));
    if (request.schemas && !request.schemas.includes(URN.BulkRequest))
      throw new ScimError(400, 'invalidSyntax', `Bulk request schemas must include ${URN.BulkRequest}`);
    if (request.Operations.length > limits.bulkMaxOperations)
      throw new ScimError(
        413,
        undefined,
        `Bulk request has ${request.Operations.length} operations; maxOperations is ${limits.bulkMaxOperations}`,
      );
    // The whole request is one group transaction (each operation a savepoint), so 1,000 operations commit once.
    const { results } = await service.record(
      async () => {
        const ids = new Map<string, string>();
        const events: EventRow[] = [];
        const results: JsonObject[] = [];
        let errors = 0;
        for (const raw of request.Operations) {
          if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
          const parsed = BulkOperationSchema.safeParse(raw);
          const bulkId = parsed.success ? parsed.data.bulkId : undefined;
          const method = parsed.success ? parsed.data.method : 'POST';
          try {
            if (!parsed.success) throw toScimError(parsed.error);
            const op = parsed.data;
            // Each operation on its own: a failing one undoes its own changes only (a savepoint), never its neighbours'.
            const done = await service.alone(() => runOperation(service, dctx, op, ids));
            events.push(...done.events);
            results.push({ method, ...done.result });
          } catch (err) {
            const error = toScimError(err);
            if (error.status >= 500) ctx.app.emit('error', err, ctx);
            errors += 1;
            results.push({
              method,
              ...(bulkId ? { bulkId } : {}),
              status: String(error.status),
              response: scimErrorBody(error) as JsonObject,
            });
          }
        }
        return { results, events };
      },
      (r) => r.events,
    );
    ctx.body = { schemas: [URN.BulkResponse], Operations: results };
  });
}

/** One Bulk operation's write: what the response lists for it, and the events it recorded. */
async function runOperation(
  service: ResourceService,
  dctx: DirectoryContext,
  op: BulkOperation,
  ids: Map<string, string>,
): Promise<{ result: JsonObject; events: EventRow[] }> {
  const bulkId = op.bulkId;
  const where = target(op.path, ids);
  const data = resolveBulkIds(op.data, ids);
  if (op.method === 'POST') {
    if (where.id) throw new ScimError(400, 'invalidPath', 'POST must target /Users or /Groups');
    if (!bulkId) throw new ScimError(400, 'invalidValue', 'POST operations need a bulkId');
    const { resource, events } = await service.create(dctx, where.type, data);
    ids.set(bulkId, resource.id);
    const location = `${dctx.baseUrl}/${where.endpoint}/${resource.id}`;
    return { result: { bulkId, location, version: etagOf(resource), status: '201' }, events };
  }
  if (!where.id) throw new ScimError(400, 'invalidPath', `${op.method} needs /<endpoint>/<id>`);
  const location = `${dctx.baseUrl}/${where.endpoint}/${where.id}`;
  if (op.method === 'DELETE') {
    const events = await service.remove(dctx, where.type, where.id, op.version);
    return { result: { ...(bulkId ? { bulkId } : {}), location, status: '204' }, events };
  }
  const { resource, events } =
    op.method === 'PUT'
      ? await service.replace(dctx, where.type, where.id, data, op.version)
      : await service.patch(dctx, where.type, where.id, data, op.version);
  return { result: { ...(bulkId ? { bulkId } : {}), location, version: etagOf(resource), status: '200' }, events };
}
