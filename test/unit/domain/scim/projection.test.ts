// test/unit/domain/scim/projection.test.ts: attributes/excludedAttributes and the `returned` characteristic.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import { parseAttributeList, projectResource } from '../../../../domain/scim/projection';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';
import { bjensen, groupCtx, userCtx } from './sample-resources';

const project = (opts: { attributes?: string[]; excludedAttributes?: string[] }) =>
  projectResource(bjensen, opts, userCtx);

describe('projectResource', () => {
  it('returns every default attribute but never the password when no list is given', () => {
    const { password, ...rest } = bjensen;
    expect(password).to.be.a('string');
    expect(project({})).to.deep.equal(rest);
  });

  it('returns only listed attributes plus the always-returned schemas and id', () => {
    expect(project({ attributes: ['userName', 'name.givenName'] })).to.deep.equal({
      schemas: bjensen.schemas,
      id: 'u1',
      userName: 'bjensen',
      name: { givenName: 'Barbara' },
    });
  });

  it('selects sub-attributes inside every element of a multi-valued attribute', () => {
    expect(project({ attributes: ['EMAILS.VALUE'] }).emails).to.deep.equal([
      { value: 'bjensen@example.com' },
      { value: 'babs@jensen.org' },
    ]);
  });

  it('selects extension attributes by URN-qualified name, or the whole block by its URN', () => {
    expect(project({ attributes: [`${URN.EnterpriseUser}:manager.value`] })).to.deep.equal({
      schemas: bjensen.schemas,
      id: 'u1',
      [URN.EnterpriseUser]: { manager: { value: 'u3' } },
    });
    expect(project({ attributes: [URN.EnterpriseUser.toLowerCase()] })[URN.EnterpriseUser]).to.deep.equal(
      bjensen[URN.EnterpriseUser],
    );
  });

  it('never returns the password, even when asked for it', () => {
    expect(project({ attributes: ['password', 'userName'] })).not.to.have.property('password');
  });

  it('removes excluded attributes, sub-attributes and extension blocks', () => {
    const projected = project({ excludedAttributes: ['emails.type', 'meta', 'title', URN.EnterpriseUser] });
    expect(projected).not.to.have.any.keys('meta', 'title', URN.EnterpriseUser, 'password');
    expect(projected.emails).to.deep.equal([
      { value: 'bjensen@example.com', primary: true },
      { value: 'babs@jensen.org' },
    ]);
    expect(projected.userName).to.equal('bjensen');
  });

  it('keeps always-returned attributes when they are excluded', () => {
    const projected = project({ excludedAttributes: ['id', 'schemas', 'userName'] });
    expect(projected).to.include.keys('id', 'schemas');
    expect(projected).not.to.have.property('userName');
  });

  it('returns meta only when asked for it if attributes is given, and meta sub-attributes by name', () => {
    expect(project({ attributes: ['userName'] })).not.to.have.property('meta');
    expect(project({ attributes: ['meta.lastModified'] }).meta).to.deep.equal({ lastModified: '2011-05-13T04:42:34Z' });
  });

  it("drops the members of a Group for Entra's excludedAttributes=members lookups", () => {
    const group = {
      schemas: [URN.Group],
      id: 'g1',
      displayName: 'Ops',
      members: [{ value: 'u1' }],
      meta: { version: 'W/"3"' },
    };
    expect(projectResource(group, { excludedAttributes: ['members'] }, groupCtx)).to.deep.equal({
      schemas: [URN.Group],
      id: 'g1',
      displayName: 'Ops',
      meta: { version: 'W/"3"' },
    });
  });

  it('returns request-only attributes only when they are listed', () => {
    const acme = 'urn:acme:ext:2.0:User';
    const registry = new SchemaRegistry([
      { id: acme, name: 'Acme', attributes: [{ name: 'secretLevel', returned: 'request' }, { name: 'team' }] },
    ]);
    const ctx = { registry, resourceType: 'User' as const };
    const user = { schemas: [URN.User, acme], id: 'x', userName: 'x', [acme]: { secretLevel: 'high', team: 'red' } };
    expect(projectResource(user, {}, ctx)[acme]).to.deep.equal({ team: 'red' });
    expect(projectResource(user, { attributes: [`${acme}:secretLevel`] }, ctx)[acme]).to.deep.equal({
      secretLevel: 'high',
    });
  });

  it('ignores unknown names and rejects malformed ones as invalidPath', () => {
    expect(project({ attributes: ['favoriteColour', 'userName'] })).to.have.keys('schemas', 'id', 'userName');
    expect(() => project({ attributes: ['emails[type eq "work"]'] }))
      .to.throw(ScimError)
      .that.includes({ scimType: 'invalidPath' });
  });

  it('does not mutate the stored resource', () => {
    const before = JSON.stringify(bjensen);
    project({ attributes: ['emails.value'], excludedAttributes: ['name'] });
    expect(JSON.stringify(bjensen)).to.equal(before);
  });
});

describe('parseAttributeList', () => {
  it('splits and trims a comma-separated parameter', () => {
    expect(parseAttributeList('userName, name.givenName ,emails')).to.deep.equal([
      'userName',
      'name.givenName',
      'emails',
    ]);
  });

  it('treats an absent or blank parameter as not given', () => {
    expect(parseAttributeList(undefined)).to.equal(undefined);
    expect(parseAttributeList(' , ')).to.equal(undefined);
  });
});
