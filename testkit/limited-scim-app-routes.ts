// testkit/limited-scim-app-routes.ts: which SCIM path and method does what; the Users and discovery handlers.
import { resourceTypes, schemas, serviceProviderConfig } from './limited-scim-app-discovery';
import { filterOf, matchesEq } from './limited-scim-app-filter';
import { routeGroups } from './limited-scim-app-groups';
import type { Json, Reply } from './limited-scim-app-http';
import { ScimHttpError, allow, notFound, page } from './limited-scim-app-http';
import type { AppState } from './limited-scim-app-state';

export interface ScimRequest {
  state: AppState;
  method: string;
  /** Decoded path segments after the base URL: `['Users', '<id>']`. */
  segments: string[];
  query: URLSearchParams;
  readBody: () => Promise<Json>;
}

const DISCOVERY = ['ServiceProviderConfig', 'ResourceTypes', 'Schemas'];

/** Discovery is readable without a token (RFC 7644 §4 leaves it to the provider; most apps allow it). */
export const isPublic = (request: Pick<ScimRequest, 'method' | 'segments'>): boolean =>
  request.method === 'GET' && DISCOVERY.includes(request.segments[0] ?? '');

export async function routeScim(request: ScimRequest): Promise<Reply> {
  const { segments, state } = request;
  const [resource, id, ...rest] = segments;
  if (rest.length > 0) throw notFound(`/${segments.join('/')}`);
  if (!state.dialect.discovery && DISCOVERY.includes(resource ?? '')) throw notFound(`/${segments.join('/')}`);
  switch (resource) {
    case 'Users':
      return id === undefined ? usersCollection(request) : userResource(request, id);
    case 'Groups':
      if (!state.groups) throw notFound('/Groups'); // like most apps, this one has no Groups unless asked to
      return routeGroups(request, id);
    case 'ServiceProviderConfig':
      allow(request, ['GET']);
      if (id !== undefined) throw notFound(`/ServiceProviderConfig/${id}`);
      return { status: 200, body: serviceProviderConfig(state.baseUrl, state.groups, state.dialect) };
    case 'ResourceTypes':
      allow(request, ['GET']);
      return { status: 200, body: resourceTypes(state.baseUrl, state.groups, id) };
    case 'Schemas':
      allow(request, ['GET']);
      return { status: 200, body: schemas(state.baseUrl, state.groups, id) };
    default:
      throw notFound(`/${segments.join('/')}`);
  }
}

async function usersCollection(request: ScimRequest): Promise<Reply> {
  const { store, baseUrl } = request.state;
  allow(request, ['GET', 'POST']);
  if (request.method === 'POST') {
    const user = store.createUser(await request.readBody());
    return { status: 201, body: user, headers: { Location: `${baseUrl}/Users/${user.id}` }, write: 'create' };
  }
  const parsed = filterOf(request);
  const all = store.listUsers();
  const users = parsed ? all.filter((user) => matchesEq(user, parsed)) : all;
  return { status: 200, body: page(request.query, users) };
}

async function userResource(request: ScimRequest, id: string): Promise<Reply> {
  const { store } = request.state;
  allow(request, ['GET', 'PUT', 'DELETE', 'PATCH']);
  switch (request.method) {
    case 'PATCH':
      throw new ScimHttpError(501, undefined, 'PATCH is not supported for Users by this app; use PUT');
    case 'PUT':
      return { status: 200, body: store.replaceUser(id, await request.readBody()), write: 'update' };
    case 'DELETE':
      if (!store.deleteUser(id)) throw notFound(`User ${id}`);
      return { status: 204, write: 'delete' };
    default: {
      const user = store.getUser(id);
      if (!user) throw notFound(`User ${id}`);
      return { status: 200, body: user };
    }
  }
}
