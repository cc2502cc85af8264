// test/unit/domain/scim/sort.test.ts: sortBy/sortOrder ordering of RFC 7644 §3.4.2.3.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import type { JsonObject } from '../../../../domain/scim/json';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { compareResources } from '../../../../domain/scim/sort';
import { URN } from '../../../../domain/scim/schemas/urns';
import { groupCtx, userCtx, users } from './sample-resources';

const order = (sortBy: string, direction: 'ascending' | 'descending' = 'ascending', resources = users, ctx = userCtx) =>
  [...resources].sort(compareResources(ctx, sortBy, direction)).map((r) => r.id);

describe('compareResources', () => {
  it('sorts caseExact:false strings ignoring case (bjensen, contractor, JSmith, kwong)', () => {
    expect(order('userName')).to.deep.equal(['u1', 'u4', 'u2', 'u3']);
    expect(order('USERNAME', 'descending')).to.deep.equal(['u3', 'u2', 'u4', 'u1']);
  });

  it('sorts caseExact:true strings by exact code units', () => {
    const rows = [
      { id: 'b', externalId: 'beta' },
      { id: 'B', externalId: 'Beta' },
      { id: 'a', externalId: 'alpha' },
    ];
    expect(order('externalId', 'ascending', rows)).to.deep.equal(['B', 'a', 'b']);
  });

  it('puts missing values last ascending and first descending', () => {
    expect(order('title')).to.deep.equal(['u3', 'u1', 'u2', 'u4']);
    expect(order('title', 'descending')).to.deep.equal(['u2', 'u4', 'u1', 'u3']);
  });

  it('sorts dateTime attributes as instants', () => {
    const rows = [
      { id: 'late', meta: { lastModified: '2020-01-01T01:00:00+02:00' } }, // 2019-12-31T23:00Z
      { id: 'early', meta: { lastModified: '2019-12-31T22:00:00Z' } },
      { id: 'latest', meta: { lastModified: '2020-01-01T00:00:00Z' } },
    ];
    expect(order('meta.lastModified', 'ascending', rows)).to.deep.equal(['early', 'late', 'latest']);
  });

  it('sorts a multi-valued attribute by its primary value, else its first', () => {
    const rows: JsonObject[] = [
      { id: 'primary-z', emails: [{ value: 'a@x' }, { value: 'z@x', primary: true }] },
      { id: 'first-m', emails: [{ value: 'm@x' }, { value: 'b@x' }] },
      { id: 'none', emails: [] },
    ];
    expect(order('emails', 'ascending', rows)).to.deep.equal(['first-m', 'primary-z', 'none']);
    expect(order('emails.value', 'descending', rows)).to.deep.equal(['none', 'primary-z', 'first-m']);
  });

  it('sorts by extension attributes and by booleans', () => {
    expect(order(`${URN.EnterpriseUser}:employeeNumber`)).to.deep.equal(['u3', 'u1', 'u2', 'u4']);
    expect(order('active')).to.deep.equal(['u2', 'u1', 'u3', 'u4']);
  });

  it('sorts numbers numerically', () => {
    const acme = 'urn:acme:ext:2.0:User';
    const registry = new SchemaRegistry([{ id: acme, name: 'Acme', attributes: [{ name: 'rank', type: 'decimal' }] }]);
    const rows = [10, 9, 100].map((rank) => ({ id: `r${rank}`, [acme]: { rank } }));
    expect(order('rank', 'ascending', rows, { registry, resourceType: 'User' })).to.deep.equal(['r9', 'r10', 'r100']);
  });

  it('sorts Groups by displayName', () => {
    const groups = [
      { id: 'g2', displayName: 'ops' },
      { id: 'g1', displayName: 'Admins' },
    ];
    expect(order('displayName', 'ascending', groups, groupCtx)).to.deep.equal(['g1', 'g2']);
  });

  it('leaves every pair equal for an unknown attribute so the caller tiebreak decides', () => {
    const compare = compareResources(userCtx, 'favoriteColour', 'ascending');
    expect(users.map((u) => compare(u, users[0]!))).to.deep.equal([0, 0, 0, 0]);
  });

  it('rejects a malformed sortBy as invalidPath', () => {
    expect(() => compareResources(userCtx, 'emails[type eq "work"]', 'ascending'))
      .to.throw(ScimError)
      .that.includes({ scimType: 'invalidPath' });
  });
});
