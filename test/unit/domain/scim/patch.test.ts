// test/unit/domain/scim/patch.test.ts: RFC 7644 §3.5.2 PATCH semantics on User documents.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import type { JsonObject } from '../../../../domain/scim/json';
import type { ScimContext } from '../../../../domain/scim/normalize';
import { applyPatch } from '../../../../domain/scim/patch/apply';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';

const registry = new SchemaRegistry();
const ctx: ScimContext = { registry, resourceType: 'User', dialect: 'generic' };
const ENT = URN.EnterpriseUser;

const ada = (): JsonObject => ({
  schemas: [URN.User, ENT],
  id: 'u1',
  userName: 'ada',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@work.example', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
  roles: [{ value: 'Reader', primary: true }],
  [ENT]: { department: 'Research', manager: { value: 'm0', $ref: '../Users/m0' } },
  meta: { resourceType: 'User', version: 'W/"1"' },
});

const patch = (...Operations: unknown[]) => ({ schemas: [URN.PatchOp], Operations });
const run = (...ops: unknown[]) => applyPatch(ada(), patch(...ops), ctx);

function failsWith(scimType: string, ...ops: unknown[]) {
  expect(() => run(...ops))
    .to.throw(ScimError)
    .that.satisfies((e: ScimError) => e.status === 400 && e.scimType === scimType);
}

describe('applyPatch: request validation', () => {
  it('rejects a body without the PatchOp schema or without Operations', () => {
    for (const body of [
      { Operations: [{ op: 'add', path: 'title', value: 'x' }] },
      { schemas: [URN.PatchOp] },
      [],
      'x',
    ]) {
      expect(() => applyPatch(ada(), body, ctx))
        .to.throw(ScimError)
        .that.satisfies((e: ScimError) => e.scimType === 'invalidSyntax');
    }
    expect(() => applyPatch(ada(), { schemas: [URN.PatchOp], Operations: [] }, ctx)).to.throw(ScimError, /non-empty/);
  });

  it('accepts op names in any case and delete as remove', () => {
    expect(run({ op: 'Replace', path: 'title', value: 'Dr' }).resource.title).to.equal('Dr');
    expect(run({ op: 'ADD', path: 'nickName', value: 'Babs' }).resource.nickName).to.equal('Babs');
    expect(run({ op: 'delete', path: 'active' }).resource).to.not.have.property('active');
  });

  it('rejects an unknown op and an add without a value', () => {
    failsWith('invalidSyntax', { op: 'move', path: 'title', value: 'x' });
    failsWith('invalidSyntax', { op: 'add', path: 'title' });
  });
});

describe('applyPatch: paths', () => {
  it('replaces a simple attribute and a sub-attribute', () => {
    const { resource } = run(
      { op: 'replace', path: 'name.familyName', value: 'King' },
      { op: 'replace', path: 'userName', value: 'ak' },
    );
    expect(resource.name).to.deep.equal({ givenName: 'Ada', familyName: 'King' });
    expect(resource.userName).to.equal('ak');
  });

  it('replaces the sub-attribute of the elements a filter selects', () => {
    const { resource } = run({ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@work.example' });
    expect(resource.emails).to.deep.equal([
      { value: 'new@work.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home' },
    ]);
  });

  it('replaces whole elements a filter selects, and fails with noTarget when none match', () => {
    const { resource } = run({ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'h@x', type: 'home' } });
    expect(resource.emails).to.deep.include({ value: 'h@x', type: 'home' });
    failsWith('noTarget', { op: 'replace', path: 'emails[type eq "other"].value', value: 'o@x' });
  });

  it('removes the elements a filter selects, and succeeds without change when none match', () => {
    expect(run({ op: 'remove', path: 'emails[type eq "home"]' }).resource.emails).to.deep.equal([
      { value: 'ada@work.example', type: 'work', primary: true },
    ]);
    const none = run({ op: 'remove', path: 'emails[type eq "other"]' });
    expect(none.changed).to.equal(false);
    expect(none.resource).to.deep.equal(ada());
  });

  it('creates the element an add through an eq filter describes when none matches', () => {
    const { resource } = run({ op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' });
    expect(resource.phoneNumbers).to.deep.equal([{ type: 'mobile', value: '+1 555' }]);
  });

  it('matches string booleans in path filters', () => {
    const { resource } = run({ op: 'replace', path: 'roles[primary eq "True"].value', value: 'Admin' });
    expect(resource.roles).to.deep.equal([{ value: 'Admin', primary: true }]);
  });

  it('addresses extension attributes by full URN path', () => {
    const { resource } = run(
      { op: 'replace', path: `${ENT}:department`, value: 'Platform' },
      { op: 'add', path: `${ENT}:costCenter`, value: 'CC-1' },
    );
    expect(resource[ENT]).to.deep.include({ department: 'Platform', costCenter: 'CC-1' });
  });

  it('adds, replaces and removes a whole extension through its URN as path', () => {
    expect(run({ op: 'add', path: ENT, value: { division: 'D' } }).resource[ENT]).to.deep.include({
      division: 'D',
      department: 'Research',
    });
    const removed = run({ op: 'remove', path: ENT }).resource;
    expect(removed).to.not.have.property(ENT);
    expect(removed.schemas).to.deep.equal([URN.User]);
  });

  it('rejects unknown attributes and malformed paths with invalidPath', () => {
    failsWith('invalidPath', { op: 'replace', path: 'favoriteColour', value: 'teal' });
    failsWith('invalidPath', { op: 'replace', path: 'emails[type eq "work"', value: 'x' });
    failsWith('invalidPath', { op: 'replace', path: 'name.nickname', value: 'x' });
    failsWith('invalidPath', { op: 'replace', path: 'name[givenName eq "Ada"]', value: 'x' });
  });

  it('rejects a value of the wrong type with invalidValue', () => {
    failsWith('invalidValue', { op: 'replace', path: 'active', value: 'sometimes' });
    failsWith('invalidValue', { op: 'replace', path: 'name', value: 'Ada King' });
  });
});

describe('applyPatch: operation semantics', () => {
  it('appends to a multi-valued attribute without duplicating equal values', () => {
    const { resource } = run({
      op: 'add',
      path: 'emails',
      value: [
        { value: 'ada@home.example', type: 'home' },
        { value: 'o@x', type: 'other' },
      ],
    });
    expect(resource.emails).to.have.length(3);
  });

  it('replaces a single-valued attribute on add, and merges sub-attributes into a complex one', () => {
    expect(run({ op: 'add', path: 'userName', value: 'ak' }).resource.userName).to.equal('ak');
    expect(run({ op: 'add', path: 'name', value: { middleName: 'B' } }).resource.name).to.deep.equal({
      givenName: 'Ada',
      familyName: 'Lovelace',
      middleName: 'B',
    });
  });

  it('replaces every value of a multi-valued attribute on replace without a filter', () => {
    expect(run({ op: 'replace', path: 'emails', value: [{ value: 'only@x' }] }).resource.emails).to.deep.equal([
      { value: 'only@x' },
    ]);
  });

  it('moves primary to the value a patch marks primary', () => {
    const { resource } = run({ op: 'add', path: 'emails', value: [{ value: 'new@x', type: 'other', primary: true }] });
    expect((resource.emails as JsonObject[]).filter((e) => e.primary === true)).to.deep.equal([
      { value: 'new@x', type: 'other', primary: true },
    ]);
    const viaFilter = run({ op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' }).resource;
    expect((viaFilter.emails as JsonObject[]).map((e) => e.primary)).to.deep.equal([false, true]);
  });

  it('rejects remove without a path with noTarget', () => {
    failsWith('noTarget', { op: 'remove', value: { title: 'x' } });
  });

  it('rejects changes to read-only id and meta with mutability, but tolerates restating the same id', () => {
    failsWith('mutability', { op: 'replace', path: 'id', value: 'hijacked' });
    failsWith('mutability', { op: 'remove', path: 'meta' });
    failsWith('mutability', { op: 'replace', value: { id: 'hijacked' } });
    expect(run({ op: 'replace', path: 'id', value: 'u1' }).changed).to.equal(false);
    expect(run({ op: 'replace', value: { id: 'u1', meta: { version: 'old' }, groups: [] } }).changed).to.equal(false);
  });

  it('rejects removing a required attribute with mutability', () => {
    failsWith('mutability', { op: 'remove', path: 'userName' });
    failsWith('mutability', { op: 'replace', value: { userName: null } });
  });

  it('sets an immutable attribute only while it has no value', () => {
    const reg = new SchemaRegistry([
      { id: 'urn:acme:2.0:User', name: 'Acme', attributes: [{ name: 'badge', mutability: 'immutable' }] },
    ]);
    const acme: ScimContext = { registry: reg, resourceType: 'User', dialect: 'generic' };
    const first = applyPatch(
      { userName: 'a' },
      patch({ op: 'add', path: 'urn:acme:2.0:User:badge', value: 'B1' }),
      acme,
    );
    expect(first.resource['urn:acme:2.0:User']).to.deep.equal({ badge: 'B1' });
    expect(() =>
      applyPatch(first.resource, patch({ op: 'replace', path: 'urn:acme:2.0:User:badge', value: 'B2' }), acme),
    )
      .to.throw(ScimError)
      .that.satisfies((e: ScimError) => e.scimType === 'mutability');
  });

  it('reports changed: false when the operations change nothing', () => {
    expect(
      run({ op: 'replace', path: 'active', value: true }, { op: 'add', path: 'emails', value: [] }).changed,
    ).to.equal(false);
    expect(run({ op: 'replace', path: 'active', value: false }).changed).to.equal(true);
  });

  it('leaves the input untouched when a later operation fails', () => {
    const input = ada();
    const body = patch({ op: 'replace', path: 'title', value: 'Dr' }, { op: 'replace', path: 'id', value: 'x' });
    expect(() => applyPatch(input, body, ctx)).to.throw(ScimError);
    expect(input).to.deep.equal(ada());
  });
});

describe('applyPatch: path-less values', () => {
  it('applies each key as an attribute path, including dotted and URN-qualified keys', () => {
    const { resource } = run({
      op: 'replace',
      value: {
        displayName: 'Ada K',
        'name.familyName': 'King',
        [`${ENT}:employeeNumber`]: '42',
        [ENT]: { division: 'D' },
      },
    });
    expect(resource).to.deep.include({ displayName: 'Ada K', name: { givenName: 'Ada', familyName: 'King' } });
    expect(resource[ENT]).to.deep.include({ employeeNumber: '42', division: 'D', department: 'Research' });
    expect(resource).to.not.have.property('name.familyName');
  });

  it('ignores unknown attributes and schemas inside the value', () => {
    const result = run({ op: 'replace', value: { favouriteColour: 'teal', schemas: [URN.User], 'urn:x:y': 1 } });
    expect(result.changed).to.equal(false);
  });
});
