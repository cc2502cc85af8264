// api/routes/discovery.ts: /ServiceProviderConfig, /ResourceTypes, /Schemas (RFC 7644 §4), /Me (501), root /.search.
import type { Routes } from '../router';
import type { Context } from 'koa';
import { ScimError } from '../../domain/scim/errors';
import type { JsonObject } from '../../domain/scim/json';
import { URN } from '../../domain/scim/schemas/urns';
import type { ApiLimits } from '../config';
import type { DirectoryContext } from '../directory-context';
import { listResponse } from '../list-service';

const dctxOf = (ctx: Context): DirectoryContext => ctx.state.dctx as DirectoryContext;

export function serviceProviderConfig(baseUrl: string, limits: ApiLimits): JsonObject {
  return {
    schemas: [URN.ServiceProviderConfig],
    documentationUri: 'https://github.com/scimflow/scimflow/blob/main/docs/scim.md',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.maxBodyBytes },
    filter: { supported: true, maxResults: limits.maxPageSize },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Per-directory bearer token issued by `scimflow directory create`.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function mountDiscoveryRoutes(router: Routes, limits: ApiLimits): void {
  router.get('/ServiceProviderConfig', (ctx) => {
    ctx.body = serviceProviderConfig(dctxOf(ctx).baseUrl, limits);
  });

  const resourceTypes = (ctx: Context): JsonObject[] => {
    const { registry, baseUrl } = dctxOf(ctx);
    return registry.resourceTypes().map((rt) => ({
      schemas: [URN.ResourceType],
      id: rt.id,
      name: rt.name,
      endpoint: rt.endpoint,
      description: rt.description,
      schema: rt.schema,
      schemaExtensions: rt.schemaExtensions,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${rt.id}` },
    }));
  };
  router.get('/ResourceTypes', (ctx) => {
    const all = resourceTypes(ctx);
    ctx.body = listResponse(all, all.length, 1);
  });
  router.get('/ResourceTypes/:id', (ctx) => {
    const found = resourceTypes(ctx).find((rt) => (rt.id as string).toLowerCase() === ctx.params.id!.toLowerCase());
    if (!found) throw new ScimError(404, undefined, `ResourceType ${ctx.params.id} not found`);
    ctx.body = found;
  });

  const schemas = (ctx: Context): JsonObject[] => {
    const { registry, baseUrl } = dctxOf(ctx);
    return registry.allSchemas().map((s) => ({
      schemas: [URN.Schema],
      ...s,
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
    }));
  };
  router.get('/Schemas', (ctx) => {
    const all = schemas(ctx);
    ctx.body = listResponse(all, all.length, 1);
  });
  router.get('/Schemas/:id', (ctx) => {
    const found = schemas(ctx).find((s) => (s.id as string).toLowerCase() === ctx.params.id!.toLowerCase());
    if (!found) throw new ScimError(404, undefined, `Schema ${ctx.params.id} not found`);
    ctx.body = found;
  });

  router.all('/Me', () => {
    throw new ScimError(501, undefined, '/Me is not supported: scimflow authenticates IdP clients, not end users');
  });
}
