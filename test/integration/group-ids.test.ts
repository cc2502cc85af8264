// test/integration/group-ids.test.ts: resources.group_ids always equals what group_members says (property, real SQLite).
import { expect } from 'chai';
import fc from 'fast-check';
import { directoryContext } from '../../api/directory-context';
import type { DirectoryContext } from '../../api/directory-context';
import { ResourceService } from '../../api/resource-service';
import { ScimError } from '../../domain/scim/errors';
import { URN } from '../../domain/scim/schemas/urns';
import { createStores, scanResources } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { openDatabase } from '../../store/db';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';
import { migrateLatest } from '../../store/migrate';

type Op =
  | { kind: 'user' }
  | { kind: 'group'; members: number[] }
  | { kind: 'add' | 'remove' | 'replace'; group: number; members: number[] }
  | { kind: 'removeWhere'; group: number; member: number }
  | { kind: 'deleteUser'; user: number }
  | { kind: 'deleteGroup'; group: number }
  | { kind: 'nest'; parent: number; child: number };

const pick = fc.nat({ max: 20 });
const some = fc.array(pick, { maxLength: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant<Op>({ kind: 'user' }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('group' as const), members: some }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('add' as const, 'add' as const, 'remove' as const, 'replace' as const),
      group: pick,
      members: some,
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('removeWhere' as const), group: pick, member: pick }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), user: pick }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deleteGroup' as const), group: pick }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('nest' as const), parent: pick, child: pick }), weight: 1 },
);
/** Every run starts with a few users and groups, so that membership operations have something to act on. */
const SETUP: Op[] = [
  { kind: 'user' },
  { kind: 'user' },
  { kind: 'user' },
  { kind: 'group', members: [0, 1] },
  { kind: 'group', members: [] },
];

describe('resources.group_ids', function () {
  let dir: string;
  let file: string;
  let stores: Stores;

  before(async function () {
    ({ dir, file, stores } = await openTempStores('scimflow-group-ids-'));
  });

  after(function () {
    removeTempStores({ dir, stores });
  });

  /** Every live resource's own group list against the member index. */
  let memberships = 0;
  let applied = 0;
  let refused = 0;
  const expectInStep = async (dctx: DirectoryContext) => {
    for (const type of ['User', 'Group'] as const) {
      for await (const resource of scanResources(stores, dctx.directory.id, type)) {
        const fromIndex = (await stores.members.groupsOf(dctx.directory.id, resource.id)).map((g) => g.value);
        expect(resource.groupIds, `${type} ${resource.id}`).to.deep.equal(fromIndex);
        memberships += fromIndex.length;
      }
    }
  };

  it('matches the member index after any sequence of membership changes, nesting and deletions', async function () {
    const patchOp = (op: string, pathText: string | undefined, value?: unknown) => ({
      schemas: [URN.PatchOp],
      Operations: [{ op, ...(pathText ? { path: pathText } : {}), ...(value === undefined ? {} : { value }) }],
    });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const { directory } = await stores.directories.create({ name: `g-${Math.random()}`, dialect: 'entra' });
        const dctx = directoryContext(directory, 'http://scim.test');
        const service = new ResourceService(stores, () => undefined);
        const users: string[] = [];
        const groups: string[] = [];
        const at = <T>(list: T[], i: number) => (list.length === 0 ? undefined : list[i % list.length]);
        const refs = (ids: number[]) => ids.flatMap((i) => (users.length ? [{ value: at(users, i)! }] : []));
        for (const op of [...SETUP, ...ops]) {
          applied += 1;
          try {
            if (op.kind === 'user') {
              const n = users.length + groups.length;
              users.push(
                (await service.create(dctx, 'User', { schemas: [URN.User], userName: `u${n}@x.test` })).resource.id,
              );
            } else if (op.kind === 'group') {
              const body = { schemas: [URN.Group], displayName: `G${groups.length}`, members: refs(op.members) };
              groups.push((await service.create(dctx, 'Group', body)).resource.id);
            } else if (op.kind === 'deleteUser' || op.kind === 'deleteGroup') {
              const list = op.kind === 'deleteUser' ? users : groups;
              const id = at(list, op.kind === 'deleteUser' ? op.user : op.group);
              if (!id) continue;
              await service.remove(dctx, op.kind === 'deleteUser' ? 'User' : 'Group', id);
              list.splice(list.indexOf(id), 1);
            } else if (op.kind === 'nest') {
              const [parent, child] = [at(groups, op.parent), at(groups, op.child)];
              if (!parent || !child || parent === child) continue;
              await service.patch(dctx, 'Group', parent, patchOp('add', 'members', [{ value: child }]));
            } else if (op.kind === 'removeWhere') {
              const [group, member] = [at(groups, op.group), at(users, op.member)];
              if (!group || !member) continue;
              await service.patch(dctx, 'Group', group, patchOp('remove', `members[value eq "${member}"]`));
            } else {
              const group = at(groups, op.group);
              if (!group) continue;
              // Entra's remove-with-value form and a whole-list replace, besides the plain add.
              await service.patch(dctx, 'Group', group, patchOp(op.kind, 'members', refs(op.members)));
            }
          } catch (err) {
            refused += 1;
            if (!(err instanceof ScimError)) throw err; // a refused request changes nothing: still checked below
          }
          await expectInStep(dctx);
        }
      }),
      { numRuns: 40 },
    );
    // The runs really exercised memberships (not only refused requests).
    expect(memberships).to.be.greaterThan(300);
    expect(refused).to.be.lessThan(applied / 2);
  });

  it('follows membership rows written by anyone, in SQL, through triggers', async function () {
    const { directory } = await stores.directories.create({ name: 'foreign', dialect: 'generic' });
    const dctx = directoryContext(directory, 'http://scim.test');
    const service = new ResourceService(stores, () => undefined);
    const user = (await service.create(dctx, 'User', { schemas: [URN.User], userName: 'sql@x.test' })).resource.id;
    const groupIds: string[] = [];
    for (const name of ['B', 'A'])
      groupIds.push((await service.create(dctx, 'Group', { schemas: [URN.Group], displayName: name })).resource.id);
    const [g1, g2] = groupIds;
    // What an older scimflow process (or an operator) would run, unaware of the column.
    const insert = stores.db.prepare('INSERT INTO group_members (directory_id, group_id, member_id) VALUES (?, ?, ?)');
    insert.run(directory.id, g1, user);
    insert.run(directory.id, g2, user);
    expect((await stores.resources.get(directory.id, 'User', user))!.groupIds).to.deep.equal([g1!, g2!].sort());
    stores.db.prepare('DELETE FROM group_members WHERE group_id = ?').run(g1);
    expect((await stores.resources.get(directory.id, 'User', user))!.groupIds).to.deep.equal([g2]);
    // A group made a member of itself: its own row follows too (and a write's answer never claims otherwise).
    const patched = (
      await service.patch(dctx, 'Group', g2!, {
        schemas: [URN.PatchOp],
        Operations: [{ op: 'add', path: 'members', value: [{ value: g2 }] }],
      })
    ).resource;
    expect((await stores.resources.get(directory.id, 'Group', g2!))!.groupIds).to.deep.equal([g2]);
    expect(patched.groupIds).to.equal(undefined);
  });

  it('is filled in for existing rows by the migration that adds it', async function () {
    const { directory } = await stores.directories.create({ name: 'migrated', dialect: 'generic' });
    const dctx = directoryContext(directory, 'http://scim.test');
    const service = new ResourceService(stores, () => undefined);
    const user = (await service.create(dctx, 'User', { schemas: [URN.User], userName: 'old@x.test' })).resource.id;
    const group = await service.create(dctx, 'Group', {
      schemas: [URN.Group],
      displayName: 'Old',
      members: [{ value: user }],
    });
    // Roll the column back to what a database from before the migration holds, then migrate again.
    stores.db.exec("DELETE FROM knex_migrations WHERE name = '20261129000400_resource-group-ids'");
    stores.db.exec('DROP TRIGGER group_members_insert_group_ids');
    stores.db.exec('DROP TRIGGER group_members_delete_group_ids');
    stores.db.exec('ALTER TABLE resources DROP COLUMN group_ids');
    stores.db.close();
    await migrateLatest(file);
    stores = createStores(await openDatabase({ file, synchronous: 'NORMAL' }));
    expect((await stores.resources.get(directory.id, 'User', user))!.groupIds).to.deep.equal([group.resource.id]);
    expect((await stores.resources.get(directory.id, 'Group', group.resource.id))!.groupIds).to.deep.equal([]);
  });
});
