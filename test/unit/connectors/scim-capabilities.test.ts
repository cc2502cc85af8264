// test/unit/connectors/scim-capabilities.test.ts: reading discovery answers and adapting to them (pure).
import { expect } from 'chai';
import { adaptTo, readCapabilities } from '../../../connectors/scim-capabilities';

const AT = '2026-12-03T00:00:00.000Z';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const list = (resources: unknown[]) => ({ Resources: resources, totalResults: resources.length });
const userSchema = (...names: string[]) => ({ id: USER, attributes: names.map((name) => ({ name })) });
const types = (...names: string[]) =>
  list(names.map((name) => ({ name, id: name, schema: `urn:ietf:params:scim:schemas:core:2.0:${name}` })));

describe('SCIM app capabilities (connectors/scim-capabilities.ts)', function () {
  it('reads what the three discovery endpoints say, string booleans included', function () {
    const caps = readCapabilities(
      {
        serviceProviderConfig: {
          patch: { supported: 'False' },
          filter: { supported: true, maxResults: 200 },
          etag: { supported: true },
          bulk: { supported: false },
        },
        resourceTypes: list([
          {
            name: 'User',
            schema: USER,
            schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' }],
          },
        ]),
        schemas: list([userSchema('userName', 'active', 'roles')]),
      },
      AT,
    );
    expect(caps).to.deep.equal({
      discoveredAt: AT,
      published: { serviceProviderConfig: true, resourceTypes: true, schemas: true },
      patch: false,
      filter: true,
      filterMaxResults: 200,
      etag: true,
      bulk: false,
      resourceTypes: ['User'],
      userAttributes: ['userName', 'active', 'roles'],
      userExtensions: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    });
  });

  it('leaves unknown what an app did not publish or garbled, and accepts bare arrays', function () {
    const caps = readCapabilities(
      {
        serviceProviderConfig: { patch: 'yes', filter: 7, etag: { supported: true } },
        resourceTypes: [{ name: 'User' }],
      },
      AT,
    );
    expect(caps.published).to.deep.equal({ serviceProviderConfig: true, resourceTypes: true, schemas: false });
    expect([caps.patch, caps.filter, caps.etag, caps.userAttributes]).to.deep.equal([null, null, true, null]);
    expect(caps.resourceTypes).to.deep.equal(['User']);
    expect(readCapabilities({}, AT).resourceTypes).to.equal(null);
  });

  it('keeps groups for an app with Groups, and adapts search and writes to missing filters and PATCH', function () {
    const caps = readCapabilities(
      {
        serviceProviderConfig: { patch: { supported: false }, filter: { supported: false } },
        resourceTypes: types('User', 'Group'),
      },
      AT,
    );
    const adapted = adaptTo(caps, 'auto');
    expect(adapted).to.include({ entitlementMode: 'groups', search: 'scan', writes: 'put' });
    expect((adapted as { notes: string[] }).notes).to.have.length(2);
  });

  it('falls back to roles without Groups, and to accounts only without roles either', function () {
    const withRoles = readCapabilities(
      { resourceTypes: types('User'), schemas: list([userSchema('userName', 'roles')]) },
      AT,
    );
    expect(adaptTo(withRoles, 'auto')).to.include({ entitlementMode: 'roles', search: 'filter', writes: 'patch' });
    const bare = readCapabilities({ resourceTypes: types('User'), schemas: list([userSchema('userName')]) }, AT);
    expect(adaptTo(bare, 'auto')).to.include({ entitlementMode: 'none' });
    // Nothing published: today's defaults.
    expect(adaptTo(undefined, 'auto')).to.deep.equal({
      entitlementMode: 'groups',
      search: 'filter',
      writes: 'patch',
      notes: [],
    });
  });

  it('refuses a mode the app says it cannot hold, naming what would work', function () {
    const rolesOnly = readCapabilities({ resourceTypes: types('User'), schemas: list([userSchema('roles')]) }, AT);
    expect(adaptTo(rolesOnly, 'groups'))
      .to.have.property('refused')
      .that.matches(/no Group resource type.*--entitlements roles/);
    const groupsOnly = readCapabilities(
      { resourceTypes: types('User', 'Group'), schemas: list([userSchema('userName')]) },
      AT,
    );
    expect(adaptTo(groupsOnly, 'roles'))
      .to.have.property('refused')
      .that.matches(/no roles attribute.*--entitlements groups/);
    expect(adaptTo(groupsOnly, 'groups')).to.include({ entitlementMode: 'groups' });
    const neither = readCapabilities({ resourceTypes: types('User'), schemas: list([userSchema('userName')]) }, AT);
    expect(adaptTo(neither, 'groups'))
      .to.have.property('refused')
      .that.matches(/--entitlements none/);
  });
});
