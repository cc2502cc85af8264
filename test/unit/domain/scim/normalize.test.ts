// test/unit/domain/scim/normalize.test.ts: POST/PUT body normalisation into canonical User and Group documents.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import { normalizeGroupBody, normalizeResource } from '../../../../domain/scim/normalize';
import type { ScimContext } from '../../../../domain/scim/normalize';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';
import type { JsonValue } from '../../../../domain/scim/json';
import { canonicalJson, deepEqual } from '../../../../domain/scim/normalize-values';

const registry = new SchemaRegistry();
const user: ScimContext = { registry, resourceType: 'User', dialect: 'generic' };
const group: ScimContext = { registry, resourceType: 'Group', dialect: 'generic' };
const ENT = URN.EnterpriseUser;

function scimError(status: number, scimType: string, detail?: RegExp) {
  return (err: unknown) =>
    err instanceof ScimError &&
    err.status === status &&
    err.scimType === scimType &&
    (!detail || detail.test(err.message));
}

describe('normalizeResource', () => {
  it('rejects a body that is not a JSON object with invalidSyntax', () => {
    for (const body of ['<User/>', [], null, 42]) {
      expect(() => normalizeResource(body, user))
        .to.throw(ScimError)
        .that.satisfies(scimError(400, 'invalidSyntax'));
    }
  });

  it('canonicalises attribute, sub-attribute and extension URN case', () => {
    const doc = normalizeResource(
      {
        USERNAME: 'ada',
        Emails: [{ Value: 'ada@x.example', Primary: true, TYPE: 'work' }],
        'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'Research' },
      },
      user,
    );
    expect(doc).to.deep.equal({
      schemas: [URN.User, ENT],
      userName: 'ada',
      emails: [{ value: 'ada@x.example', primary: true, type: 'work' }],
      [ENT]: { department: 'Research' },
    });
  });

  it('folds top-level URN-prefixed extension attributes into the extension object', () => {
    const doc = normalizeResource({ userName: 'ada', [`${ENT}:department`]: 'x', [ENT]: { costCenter: 'CC-1' } }, user);
    expect(doc[ENT]).to.deep.equal({ department: 'x', costCenter: 'CC-1' });
    expect(doc).to.not.have.property(`${ENT}:department`);
  });

  it('coerces string booleans for boolean attributes and sub-attributes', () => {
    const doc = normalizeResource(
      { userName: 'ada', active: 'True', emails: [{ value: 'a@x', primary: 'true' }] },
      user,
    );
    expect(doc.active).to.equal(true);
    expect(doc.emails).to.deep.equal([{ value: 'a@x', primary: true }]);
    expect(normalizeResource({ userName: 'ada', active: 'False' }, user).active).to.equal(false);
  });

  it('ignores read-only and unknown input: id, meta, groups, unknown schemas and attributes', () => {
    const doc = normalizeResource(
      {
        schemas: [
          URN.User,
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
          'urn:scim:schemas:core:1.0',
        ],
        id: 'client-chosen',
        meta: { resourceType: 'User' },
        groups: [{ value: 'g1' }],
        userName: 'ada',
        favouriteColour: 'teal',
        'urn:acme:unknown:2.0:User': { x: 1 },
      },
      user,
    );
    expect(doc).to.deep.equal({ schemas: [URN.User], userName: 'ada' });
  });

  it('treats nulls, empty arrays and empty objects as absent', () => {
    const doc = normalizeResource({ userName: 'ada', id: null, nickName: null, roles: [], name: {}, [ENT]: {} }, user);
    expect(doc).to.deep.equal({ schemas: [URN.User], userName: 'ada' });
  });

  it('names the attribute when a value has the wrong type', () => {
    expect(() => normalizeResource({ userName: 'ada', name: 'Ada Lovelace' }, user)).to.throw(ScimError, /'name'/);
    expect(() => normalizeResource({ userName: 'ada', emails: ['a@x'] }, user)).to.throw(ScimError, /'emails'/);
    expect(() => normalizeResource({ userName: 'ada', active: 'maybe' }, user))
      .to.throw(ScimError)
      .that.satisfies(scimError(400, 'invalidValue', /'active'/));
    expect(() => normalizeResource({ userName: { first: 'a' } }, user)).to.throw(ScimError, /'userName'/);
  });

  it('rejects a body without its required attribute', () => {
    expect(() => normalizeResource({ displayName: 'Ada' }, user))
      .to.throw(ScimError)
      .that.satisfies(scimError(400, 'invalidValue', /userName/));
    expect(() => normalizeResource({ userName: '  ' }, user)).to.throw(ScimError, /userName/);
    expect(() => normalizeResource({ externalId: 'x' }, group)).to.throw(ScimError, /displayName/);
  });

  it('stores the Enterprise manager as {value} whichever shape it arrives in', () => {
    const manager = (m: unknown) => normalizeResource({ userName: 'a', [ENT]: { manager: m } }, user)[ENT];
    expect(manager('m1')).to.deep.equal({ manager: { value: 'm1' } });
    expect(manager({ value: 'm1', displayName: 'Boss' })).to.deep.equal({ manager: { value: 'm1' } });
    expect(manager([{ $ref: '../Users/m1', value: 'm1' }])).to.deep.equal({ manager: { value: 'm1' } });
    expect(manager('')).to.equal(undefined);
  });

  it('parses JSON-string role values into role objects', () => {
    const doc = normalizeResource(
      { userName: 'a', roles: [{ value: '{"id":"06b0","value":"Approver","displayName":"Approver"}' }] },
      user,
    );
    expect(doc.roles).to.deep.equal([{ value: 'Approver', display: 'Approver' }]);
  });

  it('keeps the first primary value and clears the others', () => {
    const doc = normalizeResource(
      { userName: 'a', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: 'True' }, { value: 'c@x' }] },
      user,
    );
    expect(doc.emails).to.deep.equal([
      { value: 'a@x', primary: true },
      { value: 'b@x', primary: false },
      { value: 'c@x' },
    ]);
  });

  it('lists only the extensions actually present in schemas', () => {
    expect(normalizeResource({ schemas: [URN.User, ENT], userName: 'a' }, user).schemas).to.deep.equal([URN.User]);
    expect(
      normalizeResource({ schemas: [URN.User], userName: 'a', [ENT]: { division: 'd' } }, user).schemas,
    ).to.deep.equal([URN.User, ENT]);
  });

  it('accepts the path-shaped keys a PATCH value may use, such as name.givenName', () => {
    const doc = normalizeResource({ userName: 'a', 'name.givenName': 'Ada', name: { familyName: 'Lovelace' } }, user);
    expect(doc.name).to.deep.equal({ givenName: 'Ada', familyName: 'Lovelace' });
  });

  it('keeps a write-only password for the store to handle and coerces numbers sent as text', () => {
    const doc = normalizeResource({ userName: 'a', password: 'p', [ENT]: { employeeNumber: 100001 } }, user);
    expect(doc.password).to.equal('p');
    expect(doc[ENT]).to.deep.equal({ employeeNumber: '100001' });
  });

  it('leaves members out of a Group document', () => {
    const doc = normalizeResource({ displayName: 'G', members: [{ value: 'u1' }] }, group);
    expect(doc).to.deep.equal({ schemas: [URN.Group], displayName: 'G' });
  });
});

describe('normalizeGroupBody', () => {
  it('returns the group and its members separately, dropping $ref', () => {
    const result = normalizeGroupBody(
      {
        displayName: 'G',
        externalId: 'e',
        members: [
          { $ref: null, value: 'u1', display: 'Ada' },
          { value: 'u2', type: 'User', $ref: 'https://x/Users/u2' },
          { value: 'u1' },
        ],
      },
      group,
    );
    expect(result.group).to.deep.equal({ schemas: [URN.Group], displayName: 'G', externalId: 'e' });
    expect(result.members).to.deep.equal([
      { value: 'u1', display: 'Ada' },
      { value: 'u2', type: 'User' },
    ]);
  });

  it('accepts members: [] and no members at all', () => {
    expect(normalizeGroupBody({ displayName: 'G', members: [] }, group).members).to.deep.equal([]);
    expect(normalizeGroupBody({ displayName: 'G' }, group).members).to.deep.equal([]);
  });

  it('rejects a member without a value', () => {
    expect(() => normalizeGroupBody({ displayName: 'G', members: [{ display: 'Ada' }] }, group))
      .to.throw(ScimError)
      .that.satisfies(scimError(400, 'invalidValue', /members\.value/));
    expect(() => normalizeGroupBody({ displayName: 'G', members: ['u1'] }, group)).to.throw(ScimError, /members/);
  });
});

describe('canonical JSON for duplicate checks (domain/scim/normalize-values.ts)', function () {
  it('is equal exactly when deepEqual is, object key order aside', function () {
    const pairs: [JsonValue, JsonValue, boolean][] = [
      [{ value: 'a', type: 'work' }, { type: 'work', value: 'a' }, true],
      [{ value: 'a' }, { value: 'a', type: null }, false],
      [['a', 'b'], ['b', 'a'], false],
      ['1', 1, false],
      [{ a: { b: 1, c: [1, { d: 'x' }] } }, { a: { c: [1, { d: 'x' }], b: 1 } }, true],
    ];
    for (const [a, b, same] of pairs) {
      expect(canonicalJson(a) === canonicalJson(b), JSON.stringify([a, b])).to.equal(same);
      expect(deepEqual(a, b), JSON.stringify([a, b])).to.equal(same);
    }
  });
});
