// test/unit/domain/scim/patch-members.test.ts: Group PATCH turns member operations into a MemberDelta for the store.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import type { JsonObject } from '../../../../domain/scim/json';
import type { ScimContext } from '../../../../domain/scim/normalize';
import { applyPatch } from '../../../../domain/scim/patch/apply';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';

const ctx: ScimContext = { registry: new SchemaRegistry(), resourceType: 'Group', dialect: 'generic' };
const group = (): JsonObject => ({ schemas: [URN.Group], id: 'g1', displayName: 'Ops', externalId: 'e1' });
const run = (...Operations: unknown[]) => applyPatch(group(), { schemas: [URN.PatchOp], Operations }, ctx);

describe('applyPatch: Group members', () => {
  it('turns add into the add list and never puts members in the document', () => {
    const result = run({
      op: 'add',
      path: 'members',
      value: [
        { value: 'u1', display: 'Ada' },
        { value: 'u2', $ref: null },
      ],
    });
    expect(result.members).to.deep.equal({ add: [{ value: 'u1', display: 'Ada' }, { value: 'u2' }], remove: [] });
    expect(result.resource).to.deep.equal(group());
    expect(result.changed).to.equal(true);
  });

  it('turns a value-eq filtered remove into the remove list', () => {
    expect(run({ op: 'remove', path: 'members[value eq "u1"]' }).members).to.deep.equal({ add: [], remove: ['u1'] });
    expect(run({ op: 'remove', path: 'members[value eq "u1" or value eq "u2"]' }).members?.remove).to.deep.equal([
      'u1',
      'u2',
    ]);
  });

  it('passes any other member filter to the store as removeWhere', () => {
    const { members } = run({ op: 'remove', path: 'members[type eq "Group"]' });
    expect(members?.removeWhere).to.have.length(1);
    expect(members?.removeWhere?.[0]).to.deep.include({ kind: 'compare', op: 'eq', value: 'Group' });
  });

  it('removes everyone when remove names members without a value', () => {
    expect(run({ op: 'remove', path: 'members' }).members).to.deep.equal({ removeAll: true, add: [], remove: [] });
  });

  it('replaces the whole membership on replace members', () => {
    expect(run({ op: 'replace', path: 'members', value: [{ value: 'u2' }, { value: 'u3' }] }).members).to.deep.equal({
      replaceAll: [{ value: 'u2' }, { value: 'u3' }],
      add: [],
      remove: [],
    });
    expect(run({ op: 'replace', path: 'members', value: [] }).members).to.deep.equal({
      removeAll: true,
      add: [],
      remove: [],
    });
  });

  it('folds operations so that applying the delta in its fixed order matches applying them in sequence', () => {
    expect(
      run({ op: 'add', path: 'members', value: [{ value: 'u1' }] }, { op: 'remove', path: 'members[value eq "u1"]' })
        .members,
    ).to.deep.equal({ add: [], remove: ['u1'] });
    expect(
      run({ op: 'remove', path: 'members[value eq "u1"]' }, { op: 'add', path: 'members', value: [{ value: 'u1' }] })
        .members,
    ).to.deep.equal({ add: [{ value: 'u1' }], remove: ['u1'] });
    expect(
      run({ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'u9' }] }).members,
    ).to.deep.equal({
      replaceAll: [{ value: 'u9' }],
      add: [],
      remove: [],
    });
    const filtered = run(
      {
        op: 'add',
        path: 'members',
        value: [
          { value: 'g2', type: 'Group' },
          { value: 'u1', type: 'User' },
        ],
      },
      {
        op: 'remove',
        path: 'members[type eq "Group"]',
      },
    ).members;
    expect(filtered?.add).to.deep.equal([{ value: 'u1', type: 'User' }]);
  });

  it('applies path-less member values with the semantics of their op', () => {
    expect(run({ op: 'add', value: { members: [{ value: 'u1' }] } }).members).to.deep.equal({
      add: [{ value: 'u1' }],
      remove: [],
    });
    expect(run({ op: 'replace', value: { displayName: 'New', members: [{ value: 'u2' }] } })).to.deep.equal({
      resource: { ...group(), displayName: 'New' },
      members: { replaceAll: [{ value: 'u2' }], add: [], remove: [] },
      changed: true,
    });
  });

  it('refuses paths into member sub-attributes and filtered adds', () => {
    const refused = (op: unknown, scimType: string) =>
      expect(() => run(op))
        .to.throw(ScimError)
        .that.satisfies((e: ScimError) => e.scimType === scimType);
    refused({ op: 'replace', path: 'members[value eq "u1"].display', value: 'x' }, 'mutability');
    refused({ op: 'add', path: 'members[value eq "u1"]', value: [{ value: 'u1' }] }, 'invalidPath');
    refused({ op: 'add', path: 'members', value: [{ display: 'no id' }] }, 'invalidValue');
  });

  it('reports no member change for an empty member list', () => {
    const result = run({ op: 'add', path: 'members', value: [] }, { op: 'remove', path: 'members', value: [] });
    expect(result.members).to.equal(undefined);
    expect(result.changed).to.equal(false);
  });
});
