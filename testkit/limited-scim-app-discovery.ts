// testkit/limited-scim-app-discovery.ts: what the limited app says about itself (RFC 7644 §4), and no more than it does.
import type { Json } from './limited-scim-app-http';
import type { LimitedScimDialect } from './limited-scim-app-state';
import { GROUP_URN, USER_URN, listResponse, notFound } from './limited-scim-app-http';

const SPC_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export function serviceProviderConfig(baseUrl: string, groups: boolean, dialect: LimitedScimDialect): Json {
  return {
    schemas: [SPC_URN],
    // One flag for the whole server: true only when Groups (the one resource with PATCH here) take it; PATCH /Users stays 501.
    patch: { supported: groups && dialect.groupWrites === 'patch' },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: dialect.filter, maxResults: 100 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a static bearer token',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string, groups: boolean, name?: string): Json {
  const all = [resourceType(baseUrl, 'User', USER_URN), ...(groups ? [resourceType(baseUrl, 'Group', GROUP_URN)] : [])];
  if (name === undefined) return listResponse(all);
  const found = all.find((type) => type.id === name);
  if (!found) throw notFound(`ResourceType ${name}`);
  return found;
}

export function schemas(baseUrl: string, groups: boolean, id?: string): Json {
  const all = [userSchema(baseUrl), ...(groups ? [groupSchema(baseUrl)] : [])];
  if (id === undefined) return listResponse(all);
  const found = all.find((schema) => schema.id === id);
  if (!found) throw notFound(`Schema ${id}`);
  return found;
}

function resourceType(baseUrl: string, name: 'User' | 'Group', schema: string): Json {
  return {
    schemas: [RESOURCE_TYPE_URN],
    id: name,
    name,
    endpoint: `/${name}s`,
    schema,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${name}` },
  };
}

const attribute = (name: string, type: string, extra: Json = {}): Json => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

function userSchema(baseUrl: string): Json {
  const email = [attribute('value', 'string'), attribute('type', 'string'), attribute('primary', 'boolean')];
  return {
    schemas: [SCHEMA_URN],
    id: USER_URN,
    name: 'User',
    attributes: [
      attribute('userName', 'string', { required: true, uniqueness: 'server' }),
      attribute('displayName', 'string'),
      attribute('active', 'boolean'),
      attribute('emails', 'complex', { multiValued: true, subAttributes: email }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${USER_URN}` },
  };
}

function groupSchema(baseUrl: string): Json {
  const member = [
    attribute('value', 'string', { mutability: 'immutable' }),
    attribute('display', 'string', { mutability: 'readOnly' }),
  ];
  return {
    schemas: [SCHEMA_URN],
    id: GROUP_URN,
    name: 'Group',
    attributes: [
      attribute('displayName', 'string', { required: true, caseExact: true, uniqueness: 'server' }),
      attribute('members', 'complex', { multiValued: true, subAttributes: member }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${GROUP_URN}` },
  };
}
