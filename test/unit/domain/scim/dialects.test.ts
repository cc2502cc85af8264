// test/unit/domain/scim/dialects.test.ts: dialect detection and one test per IdP quirk, fed the corpus's own bodies.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS, DialectNameSchema, detectDialect, dialectFor } from '../../../../domain/scim/dialects/dialect';
import type { DialectName } from '../../../../domain/scim/dialects/dialect';
import { ScimError } from '../../../../domain/scim/errors';
import type { JsonObject } from '../../../../domain/scim/json';
import { normalizeGroupBody, normalizeResource } from '../../../../domain/scim/normalize';
import type { ScimContext } from '../../../../domain/scim/normalize';
import { applyPatch } from '../../../../domain/scim/patch/apply';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';

const registry = new SchemaRegistry();
const ENT = URN.EnterpriseUser;
const users = (dialect: DialectName = 'generic'): ScimContext => ({ registry, resourceType: 'User', dialect });
const groups = (dialect: DialectName = 'generic'): ScimContext => ({ registry, resourceType: 'Group', dialect });

/** The request body of a corpus step, placeholders such as {{step1.id}} replaced by "step1-id". */
function body(file: string, step: number): unknown {
  const text = readFileSync(join(__dirname, '../../../fixtures/idp-corpus/dev', file), 'utf8');
  const scenario = JSON.parse(text.replace(/\{\{step(\d+)\.id\}\}/g, 'step$1-id')) as {
    steps: { request: { body?: unknown } }[];
  };
  return scenario.steps[step - 1]!.request.body;
}

const user = (file: string, step: number, dialect?: DialectName): JsonObject => ({
  ...normalizeResource(body(file, step), users(dialect)),
  id: `step${step}-id`,
});

describe('dialects: detection', () => {
  it('maps the User-Agents IdPs are known to send', () => {
    expect(detectDialect('Microsoft Azure AD SCIM provisioning 1.0')).to.equal('entra');
    expect(detectDialect('Okta SCIM Client 1.0.0')).to.equal('okta');
    expect(detectDialect('OKTA SCIM Integration')).to.equal('okta');
    expect(detectDialect('OneLogin SCIM')).to.equal('onelogin');
  });

  it('does not map ambiguous or absent User-Agents', () => {
    expect(detectDialect('Apache-HttpClient/4.5.13 (Java/11.0.20)')).to.equal(undefined);
    expect(detectDialect('Google-HTTP-Java-Client/1.43.3 (gzip)')).to.equal(undefined);
    expect(detectDialect(undefined)).to.equal(undefined);
    expect(detectDialect('')).to.equal(undefined);
  });

  it('has a dialect for every name', () => {
    for (const name of DIALECTS) expect(dialectFor(name).name).to.equal(name);
    expect(DialectNameSchema.parse('entra')).to.equal('entra');
    expect(() => DialectNameSchema.parse('azure')).to.throw();
  });
});

describe('dialects: Entra quirks', () => {
  it('ignores client meta and roles: [] on create (entra-02)', () => {
    const doc = normalizeResource(body('entra-02-create-user-enterprise.json', 2), users('entra'));
    expect(doc).to.not.have.property('meta');
    expect(doc).to.not.have.property('roles');
    expect(doc[ENT]).to.deep.equal({ employeeNumber: '100001', department: 'Research' });
  });

  it('applies capitalised Replace ops with a valuePath and a sub-attribute path (entra-05)', () => {
    const { resource } = applyPatch(
      user('entra-05-patch-emails-work-and-familyname.json', 1),
      body('entra-05-patch-emails-work-and-familyname.json', 2),
      users('entra'),
    );
    expect(resource.emails).to.deep.equal([{ primary: true, type: 'work', value: 'b.oconnor@contoso.example' }]);
    expect(resource.name).to.deep.include({ familyName: "O'Connor-Reyes", givenName: 'Brian' });
  });

  it('stores "False" and "True" for active as booleans (entra-06)', () => {
    const file = 'entra-06-disable-legacy-string-boolean.json';
    const off = applyPatch(user(file, 1), body(file, 2), users('entra')).resource;
    expect(off.active).to.equal(false);
    expect(applyPatch(off, body(file, 4), users('entra')).resource.active).to.equal(true);
  });

  it('treats dotted and URN keys of a path-less replace as attribute paths (entra-08)', () => {
    const file = 'entra-08-no-path-replace-dotted-keys.json';
    const { resource } = applyPatch(user(file, 1), body(file, 2), users('entra'));
    expect(resource).to.deep.include({ displayName: 'Elena Rossi-Bianchi' });
    expect(resource.name).to.deep.include({ givenName: 'Elena', familyName: 'Rossi-Bianchi' });
    expect(resource[ENT]).to.deep.equal({ employeeNumber: '200099' });
    expect(Object.keys(resource).filter((k) => k.includes('.') && !k.startsWith('urn:'))).to.deep.equal([]);
  });

  it('stores a bare-string manager id as manager.value (entra-09)', () => {
    const file = 'entra-09-manager-bare-id-and-department.json';
    const { resource } = applyPatch(user(file, 2), body(file, 3), users('entra'));
    expect(resource[ENT]).to.deep.equal({ department: 'Platform Engineering', manager: { value: 'step1-id' } });
  });

  it("accepts the legacy manager path with [{$ref, value}] (Entra's tutorial)", () => {
    const legacy = {
      schemas: [URN.PatchOp],
      Operations: [{ op: 'Add', path: 'manager', value: [{ $ref: '../Users/m9', value: 'm9' }] }],
    };
    expect(
      applyPatch(user('entra-09-manager-bare-id-and-department.json', 2), legacy, users('entra')).resource[ENT],
    ).to.deep.equal({
      department: 'Platform',
      manager: { value: 'm9' },
    });
  });

  it('tolerates the ADSCIM group schema URI and client meta on group create (entra-10)', () => {
    const { group, members } = normalizeGroupBody(body('entra-10-group-lifecycle.json', 2), groups('entra'));
    expect(group).to.deep.equal({
      schemas: [URN.Group],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Finance Approvers',
    });
    expect(members).to.deep.equal([]);
  });

  it('adds batched members with $ref: null and removes only the members a Remove value lists (entra-11)', () => {
    const file = 'entra-11-group-members-legacy-add-remove.json';
    const group = { ...normalizeGroupBody(body(file, 3), groups('entra')).group, id: 'step3-id' };
    expect(applyPatch(group, body(file, 4), groups('entra')).members).to.deep.equal({
      add: [{ value: 'step1-id' }, { value: 'step2-id' }],
      remove: [],
    });
    expect(applyPatch(group, body(file, 6), groups('entra')).members).to.deep.equal({ add: [], remove: ['step1-id'] });
  });

  it('removes a member through members[value eq "id"] (entra-12)', () => {
    const file = 'entra-12-group-member-remove-filter-flag.json';
    const group = { ...normalizeGroupBody(body(file, 3), groups('entra')).group, id: 'step3-id' };
    expect(applyPatch(group, body(file, 5), groups('entra')).members).to.deep.equal({ add: [], remove: ['step2-id'] });
  });

  it('parses AppRoleAssignmentsComplex JSON-string roles and adds them beside the existing ones (entra-14)', () => {
    const file = 'entra-14-approle-json-string-roles.json';
    const created = user(file, 1, 'entra');
    expect(created.roles).to.deep.equal([
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'Reader' },
    ]);
    const { resource } = applyPatch(created, body(file, 2), users('entra'));
    expect(resource.roles).to.deep.equal([
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'Reader' },
      { value: 'Approver', display: 'Approver' },
    ]);
  });

  it('keeps JSON-string roles as sent under a dialect without that quirk', () => {
    const { resource } = applyPatch(
      user('entra-14-approle-json-string-roles.json', 1),
      body('entra-14-approle-json-string-roles.json', 2),
      users('okta'),
    );
    expect((resource.roles as JsonObject[])[1]?.value).to.match(/^\{"id"/);
  });
});

describe('dialects: Okta quirks', () => {
  it('deactivates and reactivates through a path-less replace (okta-07, okta-08)', () => {
    const file = 'okta-08-reactivate-patch.json';
    const off = applyPatch(user(file, 1), body(file, 2), users('okta')).resource;
    expect(off.active).to.equal(false);
    expect(applyPatch(off, body(file, 3), users('okta')).resource.active).to.equal(true);
  });

  it('renames a group from a path-less value that repeats the unchanged read-only id (okta-10)', () => {
    const file = 'okta-10-group-push-lifecycle.json';
    const group = { ...normalizeGroupBody(body(file, 1), groups('okta')).group, id: 'step1-id' };
    const result = applyPatch(group, body(file, 3), groups('okta'));
    expect(result.resource).to.deep.equal({ ...group, displayName: 'Okta Push - Product Design' });
    expect(result.members).to.equal(undefined);
  });

  it('ignores echoed id, meta and groups on PUT and keeps the write-only password (okta-06, okta-09, okta-02)', () => {
    const put = normalizeResource(body('okta-06-get-then-put-profile-update.json', 3), users('okta'));
    expect(put).to.not.have.any.keys('id', 'meta', 'groups');
    expect(put.name).to.deep.equal({ givenName: 'Mateo', middleName: 'Andrés', familyName: 'García' });
    expect(normalizeResource(body('okta-09-deactivate-put-aiw.json', 3), users('okta')).active).to.equal(false);
    expect(normalizeResource(body('okta-02-create-user.json', 2), users('okta')).password).to.equal('t3mp-Pa55-q9Z');
  });

  it('applies a filtered member remove followed by an add in order (okta-11)', () => {
    const group = { schemas: [URN.Group], id: 'step3-id', displayName: 'Okta Push - Support Tier 2' };
    expect(
      applyPatch(group, body('okta-11-group-membership-remove-and-add.json', 5), groups('okta')).members,
    ).to.deep.equal({
      add: [{ value: 'step2-id', display: 'rosa.delgado@acme.example' }],
      remove: ['step1-id'],
    });
  });

  it('replaces all members on replace path members (okta-12)', () => {
    const group = { schemas: [URN.Group], id: 'step4-id', displayName: 'Okta Push - On-call' };
    expect(
      applyPatch(group, body('okta-12-group-replace-members.json', 6), groups('okta')).members?.replaceAll,
    ).to.deep.equal([
      { value: 'step2-id', display: 'tara.quinn@acme.example' },
      { value: 'step3-id', display: 'umar.farouk@acme.example' },
    ]);
  });

  it('keeps emails without a type and the enterprise attributes Okta maps (okta-13)', () => {
    const doc = normalizeResource(body('okta-13-emails-without-type-and-extension-namespace.json', 1), users('okta'));
    expect(doc.emails).to.deep.equal([{ primary: true, value: 'vera.novak@acme.example' }]);
    expect(doc[ENT]).to.deep.equal({ department: 'Field Sales', costCenter: 'CC-4410' });
  });
});

describe('dialects: OneLogin, JumpCloud, Ping, Google and Rippling quirks', () => {
  it('reads a OneLogin template body: string active, id null, unlisted extension, empty managerId (onelogin-02)', () => {
    for (const dialect of ['onelogin', 'generic'] as const) {
      const doc = normalizeResource(body('onelogin-02-create-user-enterprise-template.json', 2), users(dialect));
      expect(doc).to.deep.include({ userName: 'quinn.adebayo@globex.example', active: true });
      expect(doc).to.not.have.property('id');
      expect(doc.schemas).to.deep.equal([URN.User, ENT]);
      expect(doc[ENT]).to.deep.equal({ department: 'Logistics' });
    }
  });

  it('maps a non-empty OneLogin managerId to manager.value under the onelogin and generic dialects only', () => {
    const template = { userName: 'q', [ENT]: { manager: { managerId: 'm7', displayName: 'Boss' } } };
    expect(normalizeResource(template, users('onelogin'))[ENT]).to.deep.equal({ manager: { value: 'm7' } });
    expect(normalizeResource(template, users('generic'))[ENT]).to.deep.equal({ manager: { value: 'm7' } });
    expect(normalizeResource(template, users('okta'))).to.not.have.property(ENT);
  });

  it('removes only the listed members when JumpCloud sends an Entra-style value array [R S34]', () => {
    const remove = {
      schemas: [URN.PatchOp],
      Operations: [{ op: 'remove', path: 'members', value: [{ value: 'u1' }] }],
    };
    const group = { schemas: [URN.Group], id: 'g', displayName: 'Field Ops' };
    expect(applyPatch(group, remove, groups('jumpcloud')).members).to.deep.equal({ add: [], remove: ['u1'] });
  });

  it('takes a PingFederate full PUT as the whole new user (pingfederate-01)', () => {
    const doc = normalizeResource(body('pingfederate-01-put-updates-and-group-scan.json', 3), users('ping'));
    expect(doc[ENT]).to.deep.equal({ department: 'Treasury Operations' });
    expect(doc).to.not.have.property('id');
  });

  it('handles Google and Rippling as plain RFC clients (google-01, rippling-01)', () => {
    expect(
      normalizeResource(body('google-01-autoprovision-probe-create-delete.json', 2), users('google')).userName,
    ).to.equal('zoe.campbell@stark.example');
    const file = 'rippling-01-discovery-create-deactivate.json';
    expect(applyPatch(user(file, 2, 'rippling'), body(file, 3), users('rippling')).resource.active).to.equal(false);
  });
});

describe('dialects: RFC baseline bodies', () => {
  it('rejects an unknown path, a malformed path and an id change (rfc-02, rfc-03)', () => {
    const doc = user('rfc-02-patch-unknown-path.json', 1);
    const reject = (file: string, step: number, scimType: string) =>
      expect(() => applyPatch(doc, body(file, step), users()))
        .to.throw(ScimError)
        .that.satisfies((e: ScimError) => e.status === 400 && e.scimType === scimType);
    reject('rfc-02-patch-unknown-path.json', 2, 'invalidPath');
    reject('rfc-02-patch-unknown-path.json', 3, 'invalidPath');
    reject('rfc-03-readonly-mutability.json', 2, 'mutability');
  });

  it('removes a non-member without error and without touching the group (rfc-08)', () => {
    const group = {
      ...normalizeGroupBody(body('rfc-08-remove-missing-member.json', 3), groups()).group,
      id: 'step3-id',
    };
    const result = applyPatch(group, body('rfc-08-remove-missing-member.json', 4), groups());
    expect(result.resource).to.deep.equal(group);
    expect(result.members).to.deep.equal({ add: [], remove: ['step2-id'] });
  });
});
