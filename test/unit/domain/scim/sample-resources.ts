// test/unit/domain/scim/sample-resources.ts: users shaped like RFC 7643 §8 examples, shared by the SCIM unit tests.
import type { JsonObject } from '../../../../domain/scim/json';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';
import type { FilterContext } from '../../../../domain/scim/filter/evaluate';

export const registry = new SchemaRegistry();
export const userCtx: FilterContext = { registry, resourceType: 'User' };
export const groupCtx: FilterContext = { registry, resourceType: 'Group' };

export const bjensen: JsonObject = {
  schemas: [URN.User, URN.EnterpriseUser],
  id: 'u1',
  externalId: 'BJ-001',
  userName: 'bjensen',
  userType: 'Employee',
  title: 'Tour Guide',
  active: true,
  name: { familyName: 'Jensen', givenName: 'Barbara' },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'babs@foo.com', type: 'xmpp' }],
  roles: [{ value: 'admin', primary: true }],
  password: 't1meMa$heen',
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"1"',
  },
  [URN.EnterpriseUser]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'u3' } },
};

export const jsmith: JsonObject = {
  schemas: [URN.User],
  id: 'u2',
  userName: 'JSmith',
  userType: 'Intern',
  active: false,
  name: { familyName: "O'Malley", givenName: 'Jo' },
  emails: [{ value: 'jsmith@example.org', type: 'work' }],
  ims: [{ value: 'js@foo.com', type: 'xmpp' }],
  meta: { resourceType: 'User', created: '2011-02-01T00:00:00Z', lastModified: '2012-01-01T00:00:00Z' },
};

export const kwong: JsonObject = {
  schemas: [URN.User, URN.EnterpriseUser],
  id: 'u3',
  userName: 'kwong',
  userType: 'Employee',
  title: 'Engineer',
  active: true,
  emails: [{ value: 'kwong@example.com', type: 'home' }],
  meta: { resourceType: 'User', created: '2009-06-01T00:00:00Z', lastModified: '2010-01-01T00:00:00Z' },
  [URN.EnterpriseUser]: { employeeNumber: '12' },
};

export const contractor: JsonObject = {
  schemas: [URN.User],
  id: 'u4',
  userName: 'contractor',
  userType: 'Contractor',
  emails: [{ value: 'c@elsewhere.net', type: 'work' }],
};

export const users = [bjensen, jsmith, kwong, contractor];

// Every example filter of RFC 7644 §3.4.2.2.
export const RFC_EXAMPLES = [
  'userName eq "bjensen"',
  'name.familyName co "O\'Malley"',
  'userName sw "J"',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
  'title pr',
  'meta.lastModified gt "2011-05-13T04:42:34Z"',
  'meta.lastModified ge "2011-05-13T04:42:34Z"',
  'meta.lastModified lt "2011-05-13T04:42:34Z"',
  'meta.lastModified le "2011-05-13T04:42:34Z"',
  'title pr and userType eq "Employee"',
  'title pr or userType eq "Intern"',
  'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
  'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
  'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
  'userType eq "Employee" and (emails.type eq "work")',
  'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
  'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
];
