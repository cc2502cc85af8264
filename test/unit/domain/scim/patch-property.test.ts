// test/unit/domain/scim/patch-property.test.ts: fast-check properties of the PATCH engine and of body normalisation.
import { expect } from 'chai';
import fc from 'fast-check';
import { DIALECTS } from '../../../../domain/scim/dialects/dialect';
import { ScimError } from '../../../../domain/scim/errors';
import { matchesFilter } from '../../../../domain/scim/filter/evaluate';
import { parseFilter } from '../../../../domain/scim/filter/parse';
import type { JsonObject } from '../../../../domain/scim/json';
import { normalizeResource } from '../../../../domain/scim/normalize';
import type { MemberRef, ScimContext } from '../../../../domain/scim/normalize';
import { applyPatch } from '../../../../domain/scim/patch/apply';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';

const registry = new SchemaRegistry();
const ENT = URN.EnterpriseUser;

const USER: JsonObject = {
  schemas: [URN.User, ENT],
  id: 'u1',
  userName: 'ada',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'a@w', type: 'work', primary: true },
    { value: 'a@h', type: 'home' },
  ],
  roles: [{ value: 'Reader', primary: true }],
  [ENT]: { department: 'R', manager: { value: 'm0' } },
  meta: { resourceType: 'User' },
};
const GROUP: JsonObject = { schemas: [URN.Group], id: 'g1', displayName: 'Ops' };

const PATHS = [
  'userName',
  'active',
  'title',
  'name',
  'name.givenName',
  'emails',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[primary eq "True"].primary',
  'roles[primary eq true].value',
  'emails.type',
  'phoneNumbers[type eq "mobile"].value',
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  `${ENT}:department`,
  ENT,
  'id',
  'meta',
  'meta.version',
  'schemas',
  'groups',
  'members',
  'members[value eq "u1"]',
  'members[type eq "Group" or display co "a"]',
  'members[value eq "u1"].display',
  'displayName',
  'x509Certificates',
  'emails[type gt true]',
  'emails[',
  'unknown',
  'name[givenName eq "x"]',
  '',
];

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('True', 'false', '', 'm1', '{"value":"Admin","displayName":"A"}'),
  fc.array(
    fc.record(
      { value: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })), primary: fc.constantFrom(true, 'True', 1) },
      { requiredKeys: [] },
    ),
  ),
  fc.dictionary(
    fc.constantFrom(
      'active',
      'id',
      'name.familyName',
      `${ENT}:manager`,
      'members',
      'meta',
      'schemas',
      ENT,
      'Emails',
      '__proto__',
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

const operation = fc.oneof(
  fc.record(
    {
      op: fc.oneof(
        fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'delete', 'constructor'),
        fc.jsonValue({ maxDepth: 0 }),
      ),
      path: fc.oneof(fc.constantFrom(...PATHS), fc.string(), fc.constant(null)),
      value,
    },
    { requiredKeys: ['op'] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const body = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      schemas: fc.constant([URN.PatchOp]),
      Operations: fc.array(operation, { minLength: 1, maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const context = fc.record({
  resourceType: fc.constantFrom('User' as const, 'Group' as const),
  dialect: fc.constantFrom(...DIALECTS),
});

describe('applyPatch: properties', () => {
  it('throws nothing but ScimError, never mutates its input, and returns plain JSON without group members', () => {
    fc.assert(
      fc.property(body, context, (patchBody, { resourceType, dialect }) => {
        const ctx: ScimContext = { registry, resourceType, dialect };
        const input = structuredClone(resourceType === 'User' ? USER : GROUP);
        const snapshot = JSON.stringify(input);
        try {
          const result = applyPatch(input, patchBody, ctx);
          expect(JSON.parse(JSON.stringify(result.resource))).to.deep.equal(result.resource);
          if (resourceType === 'Group') expect(result.resource).to.not.have.property('members');
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          expect(err.status).to.equal(400);
        }
        expect(JSON.stringify(input)).to.equal(snapshot);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same membership when the store applies the folded delta as when each operation is applied in turn', () => {
    const ids = ['u1', 'u2', 'u3', 'g1'];
    const ref = (id: string): MemberRef => ({ value: id, type: id.startsWith('g') ? 'Group' : 'User' });
    const memberOp: fc.Arbitrary<{ op: string; path: string; value?: { value: string }[] }> = fc.oneof(
      fc.subarray(ids).map((list) => ({ op: 'add', path: 'members', value: list.map(ref) })),
      fc.subarray(ids).map((list) => ({ op: 'replace', path: 'members', value: list.map(ref) })),
      fc.constantFrom(...ids).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
      fc.subarray(ids).map((list) => ({ op: 'Remove', path: 'members', value: list.map((value) => ({ value })) })),
      fc.constant({ op: 'remove', path: 'members' }),
      fc.constant({ op: 'remove', path: 'members[type eq "Group"]' }),
    );
    const groupCtx: ScimContext = { registry, resourceType: 'Group', dialect: 'generic' };
    const isGroupMember = parseFilter('members[type eq "Group"]');
    const matching = (r: MemberRef) => matchesFilter({ members: [{ ...r }] }, isGroupMember, groupCtx);
    fc.assert(
      fc.property(fc.subarray(ids), fc.array(memberOp, { minLength: 1, maxLength: 6 }), (initial, ops) => {
        const sequential = new Set(initial);
        for (const op of ops) {
          if (op.op === 'add') op.value?.forEach((m) => sequential.add(m.value));
          else if (op.op === 'replace') {
            sequential.clear();
            op.value?.forEach((m) => sequential.add(m.value));
          } else if (op.path === 'members' && !op.value) sequential.clear();
          else if (op.path === 'members') op.value?.forEach((m) => sequential.delete(m.value));
          else if (op.path.includes('type'))
            [...sequential].filter((id) => matching(ref(id))).forEach((id) => sequential.delete(id));
          else sequential.delete(/"(.+)"/.exec(op.path)![1]!);
        }
        const delta = applyPatch(GROUP, { schemas: [URN.PatchOp], Operations: ops }, groupCtx).members;
        const stored = new Set(delta?.removeAll || delta?.replaceAll ? [] : initial);
        delta?.replaceAll?.forEach((m) => stored.add(m.value));
        if (delta?.removeWhere?.length)
          [...stored].filter((id) => matching(ref(id))).forEach((id) => stored.delete(id));
        delta?.remove.forEach((id) => stored.delete(id));
        delta?.add.forEach((m) => stored.add(m.value));
        expect([...stored].sort()).to.deep.equal([...sequential].sort());
      }),
      { numRuns: 400 },
    );
  });
});

describe('normalizeResource: properties', () => {
  it('throws nothing but ScimError 400 on arbitrary bodies', () => {
    const shaped = fc.dictionary(
      fc.constantFrom(
        'userName',
        'displayName',
        'emails',
        'name',
        'active',
        'members',
        ENT,
        `${ENT}:manager`,
        'roles',
        'Meta',
        'id',
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(
      fc.property(fc.oneof(shaped, fc.jsonValue({ maxDepth: 3 })), context, (raw, { resourceType, dialect }) => {
        try {
          const doc = normalizeResource(raw, { registry, resourceType, dialect });
          expect(JSON.parse(JSON.stringify(doc))).to.deep.equal(doc);
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          expect(err.status).to.equal(400);
        }
      }),
      { numRuns: 400 },
    );
  });
});
