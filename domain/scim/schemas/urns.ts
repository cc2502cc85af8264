// domain/scim/schemas/urns.ts: the schema and message URNs of RFC 7643 §8.7 and RFC 7644 §3.

export const URN = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  EnterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ListResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  PatchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  SearchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  BulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  BulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
  Error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  ServiceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  ResourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  Schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export type Urn = (typeof URN)[keyof typeof URN];
