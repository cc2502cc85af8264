// test/integration/store-contract/scim-core.test.ts: users, groups, their memberships and the directory's event log
// behave the same on SQLite and PostgreSQL: shapes, order, paging, uniqueness (also between concurrent inserts), a
// gapless log under concurrent writes, tombstones, triggers that keep `groups` in step, and group names never stale.
import { expect } from 'chai';
import type { Stores } from '../../../store';
import { ResourceGoneError, UniqueViolationError } from '../../../store/errors';
import type { EventRow, NewEvent } from '../../../store/event-log';
import { FOREIGN_WRITE_CHECK_MS } from '../../../store/group-names';
import { withRequestId } from '../../../store/request-context';
import type { Doc, StoredResource } from '../../../store/resources';
import { withText } from '../../../store/resources';
import { describeEachStore, openOther } from '../../helpers/store-kinds';

const AT = '2026-12-01T10:00:00.000Z';
const LATER = '2026-12-01T11:00:00.000Z';
const LATEST = '2026-12-01T12:00:00.000Z';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every public field of a stored resource, parsed document and group list included. */
const fields = (r: StoredResource | undefined) =>
  r && {
    directoryId: r.directoryId,
    id: r.id,
    type: r.type,
    docText: r.docText,
    doc: r.doc,
    version: r.version,
    active: r.active,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deletedAt: r.deletedAt,
    deactivatedAt: r.deactivatedAt,
    deactivatedSeq: r.deactivatedSeq,
    groupIds: r.groupIds,
  };

const user = (userName: string, more: Doc = {}): Doc => ({ userName, active: true, ...more });
const group = (displayName: unknown, more: Doc = {}): Doc => ({ displayName, ...more });
const settled = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  const r = await settled(p);
  if (r.ok) throw new Error('expected a rejection');
  return r.err;
};
const seqs = (events: EventRow[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeEachStore('scim core: resources', (ctx) => {
  const resources = () => ctx.stores.resources;
  const newDirectory = async (name = 'core') =>
    (await ctx.stores.directories.create({ name, dialect: 'generic' })).directory.id;

  it('inserts a user and a group, answers them as stored, and logs their creation', async function () {
    const dir = await newDirectory();
    const ada = await resources().insert(dir, 'User', user('Ada@X.test', { externalId: 'e1', displayName: 'Ada' }));
    const r = ada.resource;
    expect(r).to.include({ directoryId: dir, type: 'User', version: 1, active: true, deletedAt: null });
    expect(r.docText).to.equal(JSON.stringify(user('Ada@X.test', { externalId: 'e1', displayName: 'Ada' })));
    expect(r.createdAt).to.equal(r.updatedAt);
    expect(r).to.include({ deactivatedAt: null, deactivatedSeq: null });
    expect(r.groupIds).to.deep.equal([]);
    expect(ada.events).to.deep.equal([
      {
        directoryId: dir,
        seq: 1,
        identityId: r.id,
        resourceType: 'User',
        kind: 'created',
        detail: {},
        createdAt: r.createdAt,
        deliveredAt: null,
      },
    ]);
    expect(fields(await resources().get(dir, 'User', r.id))).to.deep.equal(fields(r));
    expect(fields(await resources().getAnyState(dir, r.id))).to.deep.equal(fields(r));

    const team = await resources().insert(dir, 'Group', group('Team'));
    expect(team.events).to.have.length(1);
    expect(team.events[0]).to.include({ seq: 2, kind: 'group.created', resourceType: 'Group' });
    // Group events have no workflow to wait for: delivered as they are written.
    expect(team.events[0]!.deliveredAt).to.equal(team.resource.createdAt);
    expect(fields(await resources().get(dir, 'Group', team.resource.id))).to.deep.equal(fields(team.resource));
  });

  it('records an inactive new user as deactivated by its creation event', async function () {
    const dir = await newDirectory();
    const { resource, events } = await resources().insert(dir, 'User', user('off', { active: false }));
    expect(resource.active).to.equal(false);
    expect(resource.deactivatedAt).to.equal(resource.createdAt);
    expect(resource.deactivatedSeq).to.equal(events[0]!.seq);
    expect(fields(await resources().get(dir, 'User', resource.id))).to.deep.equal(fields(resource));
    // A document without `active` is an active user; a group is always active.
    const absent = await resources().insert(dir, 'User', { userName: 'absent' });
    expect(absent.resource.active).to.equal(true);
    const g = await resources().insert(dir, 'Group', group('G', { active: false }));
    expect(g.resource.active).to.equal(true);
  });

  it('finds nothing for an unknown id, the other type, or another directory', async function () {
    const dir = await newDirectory('a');
    const other = await newDirectory('b');
    const { resource } = await resources().insert(dir, 'User', user('ada'));
    expect(await resources().get(dir, 'Group', resource.id)).to.equal(undefined);
    expect(await resources().get(other, 'User', resource.id)).to.equal(undefined);
    expect(await resources().get(dir, 'User', 'nope')).to.equal(undefined);
    expect(await resources().getAnyState(other, resource.id)).to.equal(undefined);
    expect(await resources().getAnyState(dir, 'nope')).to.equal(undefined);
  });

  it('refuses a taken userName case-insensitively, per directory, and frees it when the user is deleted', async function () {
    const dir = await newDirectory('a');
    const other = await newDirectory('b');
    const first = await resources().insert(dir, 'User', user('Ada@X.test'));
    const err = await rejection(resources().insert(dir, 'User', user('ada@x.TEST')));
    expect(err).to.be.instanceOf(UniqueViolationError);
    expect((err as Error).message).to.equal('a resource with that unique attribute already exists');
    // The refused write left nothing behind: no row, no event, no seq taken.
    expect(await resources().count(dir, 'User')).to.equal(1);
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(1);
    expect((await resources().insert(dir, 'User', user('bob'))).events[0]!.seq).to.equal(2);
    // Groups have no userName; another directory has its own names.
    await resources().insert(dir, 'Group', group('x', { userName: 'ADA@x.test' }));
    await resources().insert(other, 'User', user('ADA@X.TEST'));
    await resources().remove(first.resource);
    const again = await resources().insert(dir, 'User', user('ada@x.test'));
    expect((await resources().findBy(dir, 'User', 'userName', 'ADA@X.TEST')).map((r) => r.id)).to.deep.equal([
      again.resource.id,
    ]);
  });

  it('lets exactly one of two concurrent inserts of one userName win (different case)', async function () {
    const dir = await newDirectory();
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        settled(resources().insert(dir, 'User', user(`Same${round}@x.test`))),
        settled(resources().insert(dir, 'User', user(`sAME${round}@X.TEST`))),
      ]);
      const won = [a, b].filter((r) => r.ok);
      const lost = [a, b].flatMap((r) => (r.ok ? [] : [r.err]));
      expect(won).to.have.length(1);
      expect(lost).to.have.length(1);
      expect(lost[0]).to.be.instanceOf(UniqueViolationError);
    }
    expect(await resources().count(dir, 'User')).to.equal(5);
    // The losers took no seq: the log is 1..5 with no hole.
    expect(seqs(await ctx.stores.events.list(dir))).to.deep.equal(range(1, 5));
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(5);
  });

  it('gives concurrent writes gapless consecutive seqs, each transaction a consecutive range', async function () {
    const dir = await newDirectory();
    const other = await newDirectory('other');
    const inserts = Array.from({ length: 12 }, (_, i) => resources().insert(dir, 'User', user(`u${i}`)));
    const transactions = Array.from({ length: 4 }, (_, i) =>
      ctx.stores.atomically(async () => {
        const one = await resources().insert(dir, 'User', user(`t${i}a`));
        await sleep(1);
        const two = await resources().insert(dir, 'User', user(`t${i}b`));
        const extra = await ctx.stores.events.append(
          dir,
          [{ identityId: two.resource.id, resourceType: 'User', kind: 'hr' }],
          AT,
        );
        return [...one.events, ...two.events, ...extra];
      }),
    );
    const elsewhere = Array.from({ length: 5 }, (_, i) => resources().insert(other, 'User', user(`o${i}`)));
    const results = await Promise.all([...inserts, ...elsewhere]);
    const grouped = await Promise.all(transactions);
    const all = [...results.slice(0, 12).flatMap((r) => r.events), ...grouped.flat()];
    expect(seqs(all).sort((a, b) => a - b)).to.deep.equal(range(1, 24));
    // A transaction's appends are consecutive: no other writer of the directory took a seq between them.
    for (const events of grouped) expect(seqs(events)).to.deep.equal(range(events[0]!.seq, events[0]!.seq + 2));
    expect(seqs(await ctx.stores.events.list(dir))).to.deep.equal(range(1, 24));
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(24);
    expect(seqs(results.slice(12).flatMap((r) => r.events)).sort((a, b) => a - b)).to.deep.equal(range(1, 5));
  });

  it('replaces a user: version, events for updates, deactivation and reactivation, indexed columns', async function () {
    const dir = await newDirectory();
    const created = (await resources().insert(dir, 'User', user('ada', { displayName: 'Ada', externalId: 'x1' })))
      .resource;
    const renamed = await resources().replace(created, withText(user('ada.l', { displayName: 'Ada L' })), {
      changed: true,
    });
    expect(renamed.events.map((e) => [e.seq, e.kind, e.identityId])).to.deep.equal([[2, 'updated', created.id]]);
    expect(renamed.resource).to.include({ version: 2, active: true, createdAt: created.createdAt });
    expect(renamed.resource.updatedAt).to.equal(renamed.events[0]!.createdAt);
    expect(fields(await resources().get(dir, 'User', created.id))).to.deep.equal(fields(renamed.resource));
    expect(await resources().findBy(dir, 'User', 'userName', 'ada')).to.deep.equal([]);
    expect(await resources().findBy(dir, 'User', 'externalId', 'x1')).to.deep.equal([]);
    expect((await resources().findBy(dir, 'User', 'displayName', 'ada l')).map((r) => r.id)).to.deep.equal([
      created.id,
    ]);

    const off = await resources().replace(renamed.resource, withText(user('ada.l', { active: false })), {
      changed: true,
    });
    expect(off.events.map((e) => e.kind)).to.deep.equal(['deactivated']);
    expect(off.resource).to.include({ active: false, version: 3, deactivatedSeq: off.events[0]!.seq });
    expect(off.resource.deactivatedAt).to.equal(off.events[0]!.createdAt);
    expect(fields(await resources().get(dir, 'User', created.id))).to.deep.equal(fields(off.resource));

    // Still inactive: the deactivation keeps its time and seq.
    const stillOff = await resources().replace(off.resource, withText(user('ada.m', { active: false })), {
      changed: true,
    });
    expect(stillOff.events.map((e) => e.kind)).to.deep.equal(['updated']);
    expect(stillOff.resource).to.include({
      deactivatedAt: off.resource.deactivatedAt,
      deactivatedSeq: off.resource.deactivatedSeq,
    });

    const on = await resources().replace(stillOff.resource, withText(user('ada.m')), { changed: true });
    expect(on.events.map((e) => e.kind)).to.deep.equal(['reactivated']);
    expect(on.resource).to.include({ active: true, deactivatedAt: null, deactivatedSeq: null, version: 5 });
    expect(fields(await resources().get(dir, 'User', created.id))).to.deep.equal(fields(on.resource));
  });

  it('records nothing for an unchanged write, and only the extra events for a write with no document change', async function () {
    const dir = await newDirectory();
    const created = (await resources().insert(dir, 'User', user('ada'))).resource;
    const same = await resources().replace(created, withText(created.doc), { changed: false });
    expect(same.events).to.deep.equal([]);
    expect(same.resource).to.equal(created);
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(1);
    expect((await resources().get(dir, 'User', created.id))!.version).to.equal(1);

    const extra: NewEvent[] = [{ identityId: 'someone', resourceType: 'User', kind: 'membership', detail: { x: 1 } }];
    const g = (await resources().insert(dir, 'Group', group('G'))).resource;
    const touched = await resources().replace(g, withText(g.doc), { changed: false, extraEvents: extra });
    expect(touched.events.map((e) => [e.seq, e.kind, e.identityId, e.detail])).to.deep.equal([
      [3, 'membership', 'someone', { x: 1 }],
    ]);
    expect(touched.resource.version).to.equal(2);
    const both = await resources().replace(touched.resource, withText(group('H')), {
      changed: true,
      extraEvents: extra,
    });
    expect(both.events.map((e) => e.kind)).to.deep.equal(['group.updated', 'membership']);
    // A group's own list is read afresh by the caller (it may have been added to itself in the same transaction).
    expect(both.resource.groupIds).to.equal(undefined);
    const stored = await resources().get(dir, 'Group', g.id);
    expect({ ...fields(stored), groupIds: undefined }).to.deep.equal(fields(both.resource));
  });

  it('loses no update when read-modify-write transactions of one resource run at the same time', async function () {
    const dir = await newDirectory();
    const { resource } = await resources().insert(dir, 'User', user('counter', { n: 0 }));
    // Five at once: a transaction that read an old document runs again, at most once per other writer's commit.
    const increments = range(1, 5).map(() =>
      ctx.stores.atomically(async () => {
        const current = (await resources().get(dir, 'User', resource.id))!;
        await resources().replace(current, withText({ ...current.doc, n: Number(current.doc.n) + 1 }), {
          changed: true,
        });
      }),
    );
    await Promise.all(increments);
    const final = (await resources().get(dir, 'User', resource.id))!;
    expect(final.doc.n).to.equal(5);
    expect(final.version).to.equal(6);
    expect(seqs(await ctx.stores.events.list(dir))).to.deep.equal(range(1, 6));
  });

  it('refuses to replace a deleted resource, and a rename onto a taken userName, writing nothing', async function () {
    const dir = await newDirectory();
    const ada = (await resources().insert(dir, 'User', user('ada'))).resource;
    const bob = (await resources().insert(dir, 'User', user('bob'))).resource;
    const taken = await rejection(resources().replace(bob, withText(user('ADA')), { changed: true }));
    expect(taken).to.be.instanceOf(UniqueViolationError);
    expect(fields(await resources().get(dir, 'User', bob.id))).to.deep.equal(fields(bob));
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(2);

    await resources().remove(ada);
    const gone = await rejection(resources().replace(ada, withText(user('ada2')), { changed: true }));
    expect(gone).to.be.instanceOf(ResourceGoneError);
    expect((gone as Error).message).to.equal('the resource was deleted concurrently');
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(3);
    expect((await resources().getAnyState(dir, ada.id))!.doc).to.deep.equal(user('ada'));
  });

  it('tombstones a user and a group, with their events and the deactivation of a live user', async function () {
    const dir = await newDirectory();
    const ada = (await resources().insert(dir, 'User', user('ada'))).resource;
    const extra: NewEvent[] = [{ identityId: 'member', resourceType: 'User', kind: 'membership' }];
    const events = await resources().remove(ada, extra);
    expect(events.map((e) => [e.seq, e.kind, e.identityId])).to.deep.equal([
      [2, 'deleted', ada.id],
      [3, 'membership', 'member'],
    ]);
    expect(await resources().get(dir, 'User', ada.id)).to.equal(undefined);
    const tomb = (await resources().getAnyState(dir, ada.id))!;
    expect(tomb).to.include({
      deletedAt: events[0]!.createdAt,
      active: false,
      version: 2,
      deactivatedAt: events[0]!.createdAt,
      deactivatedSeq: 2,
      updatedAt: ada.updatedAt,
    });

    // An inactive user keeps the time and seq of its deactivation.
    const off = (await resources().insert(dir, 'User', user('off', { active: false }))).resource;
    await resources().remove(off);
    expect(await resources().getAnyState(dir, off.id)).to.include({
      deactivatedAt: off.deactivatedAt,
      deactivatedSeq: off.deactivatedSeq,
    });

    const g = (await resources().insert(dir, 'Group', group('G'))).resource;
    const groupEvents = await resources().remove(g);
    expect(groupEvents.map((e) => e.kind)).to.deep.equal(['group.deleted']);
    expect(await resources().getAnyState(dir, g.id)).to.include({ active: false, deactivatedAt: null, version: 2 });
    expect(await resources().count(dir, 'User')).to.equal(0);
    expect(await resources().count(dir, 'Group')).to.equal(0);
  });

  it('touches live resources: version and lastModified, twice for an id listed twice, never a tombstone', async function () {
    const dir = await newDirectory();
    const a = (await resources().insert(dir, 'Group', group('A'))).resource;
    const b = (await resources().insert(dir, 'Group', group('B'))).resource;
    const c = (await resources().insert(dir, 'Group', group('C'))).resource;
    await resources().remove(c);
    await sleep(5);
    await resources().touch(dir, [a.id, b.id, b.id, c.id, 'nope']);
    await resources().touch(dir, []);
    const [a2, b2] = [await resources().get(dir, 'Group', a.id), await resources().get(dir, 'Group', b.id)];
    expect([a2!.version, b2!.version]).to.deep.equal([2, 3]);
    expect(a2!.updatedAt > a.updatedAt).to.equal(true);
    expect((await resources().getAnyState(dir, c.id))!.version).to.equal(2);
    expect(await ctx.stores.events.latestSeq(dir)).to.equal(4); // touching logs nothing
  });

  it('lists every identity that ever held a userName: the live one first, then deleted ones newest first', async function () {
    const dir = await newDirectory();
    const first = (await resources().insert(dir, 'User', user('Ada'))).resource;
    await resources().remove(first);
    await sleep(3);
    const second = (await resources().insert(dir, 'User', user('ADA'))).resource;
    await resources().remove(second);
    const live = (await resources().insert(dir, 'User', user('ada'))).resource;
    await resources().insert(dir, 'User', user('bob'));
    const found = await resources().userIdentities(dir, 'aDa');
    expect(found.map((f) => f.id)).to.deep.equal([live.id, second.id, first.id]);
    expect(found[0]!.deletedAt).to.equal(null);
    expect(found[1]!.deletedAt! > found[2]!.deletedAt!).to.equal(true);
    expect(await resources().userIdentities(dir, 'nobody')).to.deep.equal([]);
    // userIds: every user, deleted ones included, oldest first; no groups.
    await resources().insert(dir, 'Group', group('G'));
    const all = await resources().userIds(dir);
    expect(all.slice(0, 3)).to.deep.equal([first.id, second.id, live.id]);
    expect(all).to.have.length(4);
  });

  it('finds by id, userName, externalId and displayName, live resources of the asked type only', async function () {
    const dir = await newDirectory();
    const ada = (await resources().insert(dir, 'User', user('Ada', { externalId: 'Ext', displayName: 'Same Name' })))
      .resource;
    const bob = (await resources().insert(dir, 'User', user('bob', { externalId: 'Ext', displayName: 'SAME name' })))
      .resource;
    const gone = (await resources().insert(dir, 'User', user('gone', { externalId: 'Ext', displayName: 'same name' })))
      .resource;
    await resources().remove(gone);
    const g = (await resources().insert(dir, 'Group', group('Same Name', { externalId: 'Ext' }))).resource;
    const ids = async (
      type: 'User' | 'Group',
      attribute: 'id' | 'userName' | 'externalId' | 'displayName',
      v: string,
    ) => (await resources().findBy(dir, type, attribute, v)).map((r) => r.id);
    expect(await ids('User', 'id', ada.id)).to.deep.equal([ada.id]);
    expect(await ids('Group', 'id', ada.id)).to.deep.equal([]);
    expect(await ids('User', 'id', gone.id)).to.deep.equal([]);
    expect(await ids('User', 'userName', 'ADA')).to.deep.equal([ada.id]);
    expect(await ids('User', 'userName', 'gone')).to.deep.equal([]);
    expect(await ids('User', 'externalId', 'Ext')).to.deep.equal([ada.id, bob.id]); // creation order
    expect(await ids('User', 'externalId', 'ext')).to.deep.equal([]); // case-sensitive
    expect(await ids('User', 'displayName', 'same NAME')).to.deep.equal([ada.id, bob.id]);
    expect(await ids('Group', 'displayName', 'same name')).to.deep.equal([g.id]);
    expect(await ids('Group', 'externalId', 'Ext')).to.deep.equal([g.id]);
    const [found] = await resources().findBy(dir, 'User', 'userName', 'ada');
    expect(fields(found)).to.deep.equal(fields(await resources().get(dir, 'User', ada.id)));
  });

  it('matches a displayName longer than the index prefix on the whole value', async function () {
    const dir = await newDirectory();
    const prefix = 'É'.repeat(600);
    const long = (await resources().insert(dir, 'User', user('long', { displayName: `${prefix}a` }))).resource;
    const twin = (await resources().insert(dir, 'User', user('twin', { displayName: `${prefix}b` }))).resource;
    const huge = `${'x'.repeat(64 * 1024)}y`;
    const big = (await resources().insert(dir, 'User', user('big', { displayName: huge }))).resource;
    const ids = async (v: string) => (await resources().findBy(dir, 'User', 'displayName', v)).map((r) => r.id);
    expect(await ids(`${prefix}A`.toLowerCase())).to.deep.equal([long.id]);
    expect(await ids(`${prefix}B`)).to.deep.equal([twin.id]);
    expect(await ids(prefix)).to.deep.equal([]);
    expect(await ids(huge.toUpperCase())).to.deep.equal([big.id]);
  });

  it('pages live resources in creation order, by offset and after a resource, and counts them', async function () {
    const dir = await newDirectory();
    const made: StoredResource[] = [];
    for (let i = 0; i < 7; i++) made.push((await resources().insert(dir, 'User', user(`u${i}`))).resource);
    await resources().insert(dir, 'Group', group('not a user'));
    await resources().remove(made[3]!);
    const live = made.filter((_, i) => i !== 3).map((r) => r.id);
    const page = async (offset: number, limit: number) =>
      (await resources().page(dir, 'User', offset, limit)).map((r) => r.id);
    expect(await page(0, 100)).to.deep.equal(live);
    expect(await page(2, 2)).to.deep.equal(live.slice(2, 4));
    expect(await page(10, 2)).to.deep.equal([]);
    const scan = async (after: { createdAt: string; id: string } | undefined, limit: number) =>
      (await resources().scanPage(dir, 'User', after, limit)).map((r) => r.id);
    expect(await scan(undefined, 4)).to.deep.equal(live.slice(0, 4));
    expect(await scan(made[4], 4)).to.deep.equal(live.slice(4));
    expect(await scan(made[3], 2)).to.deep.equal(live.slice(3, 5)); // after a deleted one too
    expect(await scan(made[6], 4)).to.deep.equal([]);
    // The cursor is (createdAt, id): resources created in the same millisecond follow by id.
    const cursor = { createdAt: made[2]!.createdAt, id: '' };
    const sameMs = made.filter((m, i) => i !== 3 && m.createdAt === cursor.createdAt).map((m) => m.id);
    expect((await scan(cursor, 100)).slice(0, sameMs.length)).to.deep.equal(sameMs);
    const [first] = await resources().page(dir, 'User', 0, 1);
    expect(fields(first)).to.deep.equal(fields(made[0]));
    expect(await resources().count(dir, 'User')).to.equal(6);
    expect(await resources().count(dir, 'Group')).to.equal(1);
    expect(await resources().count('elsewhere', 'User')).to.equal(0);
  });

  it('rejects a write to a directory that does not exist and keeps nothing', async function () {
    const err = await rejection(resources().insert('no-such-directory', 'User', user('x')));
    expect((err as Error).message).to.equal('directory no-such-directory does not exist');
    expect(await resources().count('no-such-directory', 'User')).to.equal(0);
  });
});

describeEachStore('scim core: event log', (ctx) => {
  const events = () => ctx.stores.events;
  const newDirectory = async (name = 'log') =>
    (await ctx.stores.directories.create({ name, dialect: 'generic' })).directory.id;
  const ev = (identityId: string, kind: NewEvent['kind'] = 'updated', more: Partial<NewEvent> = {}): NewEvent => ({
    identityId,
    resourceType: 'User',
    kind,
    ...more,
  });

  it('appends consecutive seqs with their details, the request id, and groups delivered at once', async function () {
    const dir = await newDirectory();
    expect(await events().append(dir, [], AT)).to.deep.equal([]);
    const appended = await events().append(
      dir,
      [ev('u1', 'created', { detail: { a: [1, 'two'] } }), ev('g1', 'group.updated', { resourceType: 'Group' })],
      AT,
    );
    expect(appended).to.deep.equal([
      {
        directoryId: dir,
        seq: 1,
        identityId: 'u1',
        resourceType: 'User',
        kind: 'created',
        detail: { a: [1, 'two'] },
        createdAt: AT,
        deliveredAt: null,
      },
      {
        directoryId: dir,
        seq: 2,
        identityId: 'g1',
        resourceType: 'Group',
        kind: 'group.updated',
        detail: {},
        createdAt: AT,
        deliveredAt: AT,
      },
    ]);
    const tagged = await withRequestId('req-7', () => events().append(dir, [ev('u1', 'hr', { detail: { x: 1 } })], AT));
    expect(tagged[0]!.detail).to.deep.equal({ x: 1, requestId: 'req-7' });
    expect(await events().list(dir)).to.deep.equal([...appended, ...tagged]);
    expect(await events().at(dir, 3)).to.deep.equal(tagged[0]);
    expect(await events().at(dir, 4)).to.equal(undefined);
    expect(await events().latestSeq(dir)).to.equal(3);
    expect(await events().latestSeq('nope')).to.equal(0);
    await expect(events().append('nope', [ev('u1')], AT)).to.be.rejectedWith('directory nope does not exist');
  });

  it('gives back the seqs of a rolled-back transaction: the log has no gap', async function () {
    const dir = await newDirectory();
    await events().append(dir, [ev('u1')], AT);
    const err = await rejection(
      ctx.stores.atomically(async () => {
        await events().append(dir, [ev('u2'), ev('u3')], AT);
        throw new Error('rolled back on purpose');
      }),
    );
    expect((err as Error).message).to.equal('rolled back on purpose');
    expect(await events().latestSeq(dir)).to.equal(1);
    expect(seqs(await events().append(dir, [ev('u4')], AT))).to.deep.equal([2]);
    // A savepoint inside a transaction: the inner append is undone, the outer ones kept and consecutive.
    await ctx.stores.atomically(async () => {
      await events().append(dir, [ev('u5')], AT);
      await rejection(
        ctx.stores.atomically(async () => {
          await events().append(dir, [ev('u6')], AT);
          throw new Error('inner');
        }),
      );
      await events().append(dir, [ev('u7')], AT);
    });
    expect((await events().list(dir)).map((e) => [e.seq, e.identityId])).to.deep.equal([
      [1, 'u1'],
      [2, 'u4'],
      [3, 'u5'],
      [4, 'u7'],
    ]);
  });

  it('appends from concurrent writers as gapless disjoint ranges, per directory', async function () {
    const dir = await newDirectory();
    const other = await newDirectory('other');
    const writes = Array.from({ length: 20 }, (_, i) =>
      events().append(i % 4 === 0 ? other : dir, [ev(`a${i}`), ev(`b${i}`), ev(`c${i}`)], AT),
    );
    const done = await Promise.all(writes);
    for (const batch of done) expect(seqs(batch)).to.deep.equal(range(batch[0]!.seq, batch[0]!.seq + 2));
    expect(seqs(await events().list(dir))).to.deep.equal(range(1, 45));
    expect(seqs(await events().list(other))).to.deep.equal(range(1, 15));
  });

  it('lists from a seq, of one identity, up to a limit', async function () {
    const dir = await newDirectory();
    await events().append(dir, [ev('a'), ev('b'), ev('a'), ev('c'), ev('a')], AT);
    expect(seqs(await events().list(dir, { fromSeq: 2 }))).to.deep.equal([2, 3, 4, 5]);
    expect(seqs(await events().list(dir, { identityId: 'a' }))).to.deep.equal([1, 3, 5]);
    expect(seqs(await events().list(dir, { identityId: 'a', fromSeq: 2, limit: 1 }))).to.deep.equal([3]);
    expect(seqs(await events().list(dir, { limit: 2 }))).to.deep.equal([1, 2]);
    expect(await events().list('nope')).to.deep.equal([]);
  });

  it('pages after a cursor by identity and kind, with the newest and the oldest retained seq', async function () {
    const dir = await newDirectory();
    expect(await events().page(dir, { afterSeq: 0, limit: 10 })).to.deep.equal({
      events: [],
      latestSeq: 0,
      oldestSeq: null,
    });
    await events().append(
      dir,
      [
        ev('a', 'created'),
        ev('g', 'group.created', { resourceType: 'Group' }),
        ev('a', 'updated'),
        ev('b', 'created'),
        ev('g', 'group.updated', { resourceType: 'Group' }),
      ],
      AT,
    );
    const all = await events().list(dir);
    expect(await events().page(dir, { afterSeq: 1, limit: 2 })).to.deep.equal({
      events: all.slice(1, 3),
      latestSeq: 5,
      oldestSeq: 1,
    });
    const page = (opts: Parameters<Stores['events']['page']>[1]) =>
      events()
        .page(dir, opts)
        .then((p) => seqs(p.events));
    expect(await page({ afterSeq: 0, limit: 10, identityId: 'a' })).to.deep.equal([1, 3]);
    expect(await page({ afterSeq: 0, limit: 10, kinds: ['group.created', 'group.updated'] })).to.deep.equal([2, 5]);
    expect(await page({ afterSeq: 2, limit: 10, kinds: ['created'], identityId: 'b' })).to.deep.equal([4]);
    expect(await page({ afterSeq: 0, limit: 10, kinds: [] })).to.deep.equal([]);
    expect(await page({ afterSeq: 5, limit: 10 })).to.deep.equal([]);
    expect(await events().page('nope', { afterSeq: 0, limit: 10 })).to.deep.equal({
      events: [],
      latestSeq: 0,
      oldestSeq: null,
    });
    // Inside a snapshot, as the events API reads it.
    const read = await ctx.stores.readConsistently(() => events().page(dir, { afterSeq: 3, limit: 1 }));
    expect(read).to.deep.equal({ events: all.slice(3, 4), latestSeq: 5, oldestSeq: 1 });
  });

  it('marks an identity delivered up to a seq, keeping earlier delivery times', async function () {
    const dir = await newDirectory();
    await events().append(dir, [ev('a'), ev('b'), ev('a'), ev('a')], AT);
    await events().markDelivered(dir, 'a', 1, LATER);
    await events().markDelivered(dir, 'a', 3, LATEST);
    await events().markDelivered(dir, 'a', 3, '2027-01-01T00:00:00.000Z'); // idempotent
    expect((await events().list(dir)).map((e) => [e.seq, e.deliveredAt])).to.deep.equal([
      [1, LATER],
      [2, null],
      [3, LATEST],
      [4, null],
    ]);
    expect(await events().latestSeqFor(dir, 'a')).to.equal(4);
    expect(await events().latestSeqFor(dir, 'b')).to.equal(2);
    expect(await events().latestSeqFor(dir, 'zed')).to.equal(0);
  });

  it('lists undelivered identities older than a time: the newest seq, the oldest event, oldest first', async function () {
    const dir = await newDirectory();
    const other = await newDirectory('other');
    await events().append(dir, [ev('a', 'created')], '2026-12-01T10:00:01.000Z');
    await events().append(other, [ev('x', 'deactivated')], '2026-12-01T10:00:00.000Z');
    await events().append(dir, [ev('b', 'hr.leaver'), ev('a', 'updated')], '2026-12-01T10:00:02.000Z');
    await events().append(dir, [ev('g', 'group.created', { resourceType: 'Group' })], '2026-12-01T10:00:02.000Z');
    await events().append(dir, [ev('c', 'created')], '2026-12-01T10:00:03.000Z');
    await events().append(dir, [ev('d', 'created')], '2026-12-01T10:00:09.000Z'); // not old enough
    await events().markDelivered(dir, 'c', 5, LATER);
    const found = await events().undelivered('2026-12-01T10:00:05.000Z', 10);
    expect(found.map((e) => [e.directoryId, e.identityId, e.seq, e.kind, e.createdAt])).to.deep.equal([
      [other, 'x', 1, 'deactivated', '2026-12-01T10:00:00.000Z'],
      [dir, 'a', 3, 'created', '2026-12-01T10:00:01.000Z'],
      [dir, 'b', 2, 'hr.leaver', '2026-12-01T10:00:02.000Z'],
    ]);
    expect(found.every((e) => e.resourceType === 'User' && e.deliveredAt === null)).to.equal(true);
    expect(found.map((e) => e.detail)).to.deep.equal([{}, {}, {}]);
    expect((await events().undelivered('2026-12-01T10:00:05.000Z', 2)).map((e) => e.identityId)).to.deep.equal([
      'x',
      'a',
    ]);
  });

  it('prunes delivered events older than a time, never at or above a directory’s oldest undelivered one', async function () {
    const dir = await newDirectory();
    const other = await newDirectory('other');
    await events().append(dir, [ev('a'), ev('b'), ev('a'), ev('c')], AT);
    await events().append(dir, [ev('a')], LATEST);
    await events().append(other, [ev('x'), ev('y')], AT);
    await events().markDelivered(dir, 'a', 5, LATER);
    await events().markDelivered(dir, 'c', 4, LATER);
    await events().markDelivered(other, 'x', 1, LATER);
    await events().markDelivered(other, 'y', 2, LATER);
    // dir: b (seq 2) is undelivered, so only seq 1 goes; other: everything is delivered and old.
    expect(await events().prune(LATER)).to.equal(3);
    expect(seqs(await events().list(dir))).to.deep.equal([2, 3, 4, 5]);
    expect(await events().list(other)).to.deep.equal([]);
    expect((await events().page(dir, { afterSeq: 0, limit: 1 })).oldestSeq).to.equal(2);
    expect((await events().page(other, { afterSeq: 0, limit: 1 })).latestSeq).to.equal(2);
    await events().markDelivered(dir, 'b', 2, LATER);
    expect(await events().prune(LATER)).to.equal(3); // seq 5 is newer than the cut
    expect(seqs(await events().list(dir))).to.deep.equal([5]);
    expect(await events().prune(LATER)).to.equal(0);
  });
});

describeEachStore('scim core: group members', (ctx) => {
  const members = () => ctx.stores.members;
  const resources = () => ctx.stores.resources;
  let dir: string;
  beforeEach(async function () {
    dir = (await ctx.stores.directories.create({ name: 'members', dialect: 'generic' })).directory.id;
  });
  const newUser = async (name: string) => (await resources().insert(dir, 'User', user(name))).resource.id;
  const newGroup = async (name: unknown, more: Doc = {}) =>
    (await resources().insert(dir, 'Group', group(name, more))).resource.id;

  it('adds members once, reporting only those really added, with their display and normalised type', async function () {
    const g = await newGroup('G');
    const [u1, u2] = [await newUser('u1'), await newUser('u2')];
    const nested = await newGroup('Nested');
    expect(
      await members().add(dir, g, [
        { value: u2, display: 'Two', type: 'user' },
        { value: u1 },
        { value: u2, display: 'again' },
        { value: nested, type: 'GROUP' },
      ]),
    ).to.deep.equal([u2, u1, nested]);
    expect(
      await members().add(dir, g, [{ value: u1 }, { value: 'dangling', type: 'Other', display: '' }]),
    ).to.deep.equal(['dangling']);
    expect(await members().add(dir, g, [])).to.deep.equal([]);
    const expected = [
      { value: u1 },
      { value: u2, display: 'Two', type: 'User' },
      { value: nested, type: 'Group' },
      { value: 'dangling' },
    ].sort((a, b) => (a.value < b.value ? -1 : 1));
    expect(await members().list(dir, g)).to.deep.equal(expected);
    expect(await members().memberIds(dir, g)).to.deep.equal(expected.map((m) => m.value));
    expect(await members().count(dir, g)).to.equal(4);
    expect(await members().count(dir, 'nope')).to.equal(0);
    expect(await members().list(dir, 'nope')).to.deep.equal([]);
  });

  it('removes members idempotently, reporting only those really removed', async function () {
    const g = await newGroup('G');
    const [u1, u2, u3] = [await newUser('u1'), await newUser('u2'), await newUser('u3')];
    await members().add(dir, g, [{ value: u1 }, { value: u2 }, { value: u3 }]);
    expect(await members().remove(dir, g, [u3, 'absent', u1, u3])).to.deep.equal([u3, u1]);
    expect(await members().remove(dir, g, [u1])).to.deep.equal([]);
    expect(await members().remove(dir, g, [])).to.deep.equal([]);
    expect(await members().memberIds(dir, g)).to.deep.equal([u2]);
  });

  it('names the ids that are not live users, in the order asked', async function () {
    const [u1, u2] = [await newUser('u1'), await newUser('u2')];
    const g = await newGroup('G');
    await resources().remove((await resources().get(dir, 'User', u2))!);
    expect(await members().unknownUsers(dir, ['x', u1, g, u2, 'x'])).to.deep.equal(['x', g, u2, 'x']);
    expect(await members().unknownUsers(dir, [])).to.deep.equal([]);
  });

  it('keeps each member’s groupIds and version in step with membership changes (triggers)', async function () {
    const [gb, ga] = [await newGroup('B'), await newGroup('A')];
    const u = await newUser('u');
    await members().add(dir, gb, [{ value: u }]);
    await members().add(dir, ga, [{ value: u }]);
    const after = (await resources().get(dir, 'User', u))!;
    expect(after.groupIds).to.deep.equal([ga, gb].sort());
    expect(after.version).to.equal(3);
    await members().remove(dir, gb, [u]);
    expect((await resources().get(dir, 'User', u))!.groupIds).to.deep.equal([ga]);
    // Inside a transaction that rolls back, the change and its bump go with it.
    await rejection(
      ctx.stores.atomically(async () => {
        await members().add(dir, gb, [{ value: u }]);
        expect((await resources().get(dir, 'User', u))!.groupIds).to.deep.equal([ga, gb].sort());
        throw new Error('undo');
      }),
    );
    expect(await resources().get(dir, 'User', u)).to.include({ version: 4 });
    expect((await resources().get(dir, 'User', u))!.groupIds).to.deep.equal([ga]);
  });

  it('names a resource’s live groups in the order of its groupIds, exactly as written', async function () {
    const odd = 'Team \ud800 "quoted" \u2028 \\ é';
    const [g1, g2, g3, g4] = [
      await newGroup(odd, { externalId: 'ext-1' }),
      await newGroup(42),
      await newGroup('Gone'),
      await newGroup('Plain'),
    ];
    const u = await newUser('u');
    for (const g of [g1, g2, g3, g4]) await members().add(dir, g, [{ value: u }]);
    await resources().remove((await resources().get(dir, 'Group', g3))!);
    const ids = [g4, g3, g1, 'unknown', g2];
    expect(await members().groupsByIds(dir, ids)).to.deep.equal([
      { value: g4, display: 'Plain', externalId: null },
      { value: g1, display: odd, externalId: 'ext-1' },
      { value: g2, display: '', externalId: null },
    ]);
    expect(await members().groupsByIds(dir, [g1])).to.deep.equal([{ value: g1, display: odd, externalId: 'ext-1' }]);
    expect(await members().groupsByIds(dir, [g3])).to.deep.equal([]);
    expect(await members().groupsByIds(dir, [])).to.deep.equal([]);
    // From the member index: sorted by group id, deleted groups left out (g3's row is gone with it only on delete).
    const of = await members().groupsOf(dir, u);
    expect(of.map((g) => g.value)).to.deep.equal([g1, g2, g3, g4].filter((g) => g !== g3).sort());
    expect(of.find((g) => g.value === g1)).to.deep.equal({ value: g1, display: odd, externalId: 'ext-1' });
    expect(await members().groupsOf(dir, 'nobody')).to.deep.equal([]);
  });

  it('never shows an old group name, whoever renamed it', async function () {
    const g = await newGroup('Before');
    const u = await newUser('u');
    await members().add(dir, g, [{ value: u }]);
    const shown = async () => (await members().groupsByIds(dir, [g])).map((x) => x.display);
    expect(await shown()).to.deep.equal(['Before']);
    const rename = async (stores: Stores, name: string) =>
      stores.resources.replace((await stores.resources.get(dir, 'Group', g))!, withText(group(name)), {
        changed: true,
      });
    await rename(ctx.stores, 'After');
    expect(await shown()).to.deep.equal(['After']);
    // A rename rolled back is never shown afterwards.
    await rejection(
      ctx.stores.atomically(async () => {
        await rename(ctx.stores, 'Uncommitted');
        expect(await shown()).to.deep.equal(['Uncommitted']);
        throw new Error('undo');
      }),
    );
    expect(await shown()).to.deep.equal(['After']);
    // Another process's rename: SQLite notices it within its check interval, PostgreSQL reads every time.
    const other = await openOther(ctx.stores, ctx.target);
    try {
      await rename(other.stores, 'Elsewhere');
      await sleep(FOREIGN_WRITE_CHECK_MS + 20);
      expect(await shown()).to.deep.equal(['Elsewhere']);
      await other.stores.resources.remove((await other.stores.resources.get(dir, 'Group', g))!);
      await sleep(FOREIGN_WRITE_CHECK_MS + 20);
      expect(await shown()).to.deep.equal([]);
    } finally {
      await other.close();
    }
  });

  // The ids come as a set: SQLite answers in the rows' insertion order (rowid), which PostgreSQL does not keep.
  it('empties a group and removes a member everywhere, answering the ids affected', async function () {
    const groups = [await newGroup('A'), await newGroup('B'), await newGroup('C')];
    const users = [await newUser('u1'), await newUser('u2'), await newUser('u3')];
    for (const g of [...groups].reverse())
      await members().add(
        dir,
        g,
        [...users].reverse().map((value) => ({ value })),
      );
    const nested = await newGroup('N');
    await members().add(dir, groups[0]!, [{ value: nested, type: 'Group' }]);
    expect((await members().removeEverywhere(dir, users[1]!)).sort()).to.deep.equal([...groups].sort());
    expect(await members().removeEverywhere(dir, users[1]!)).to.deep.equal([]);
    expect((await resources().get(dir, 'User', users[1]!))!.groupIds).to.deep.equal([]);
    expect((await members().removeGroup(dir, groups[0]!)).sort()).to.deep.equal([users[0]!, users[2]!, nested].sort());
    expect(await members().removeGroup(dir, groups[0]!)).to.deep.equal([]);
    expect((await resources().get(dir, 'User', users[0]!))!.groupIds).to.deep.equal(groups.slice(1).sort());
    expect((await resources().get(dir, 'Group', nested))!.groupIds).to.deep.equal([]);
  });

  it('runs concurrent membership writes and member writes of one directory to completion', async function () {
    const groups = [await newGroup('A'), await newGroup('B')];
    const users = await Promise.all(range(1, 6).map((i) => newUser(`c${i}`)));
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, g] of groups.entries())
        work.push(
          ctx.stores.atomically(async () => {
            const order = i === 0 ? users : [...users].reverse();
            const added = await members().add(
              dir,
              g,
              order.map((value) => ({ value })),
            );
            const current = (await resources().get(dir, 'Group', g))!;
            await resources().replace(current, withText(current.doc), {
              changed: false,
              extraEvents: added.map((id) => ({ identityId: id, resourceType: 'User', kind: 'membership' })),
            });
            await members().remove(dir, g, order);
          }),
        );
      for (const u of users)
        work.push(
          ctx.stores.atomically(async () => {
            const current = (await resources().get(dir, 'User', u))!;
            await resources().replace(current, withText({ ...current.doc, title: `r${round}` }), { changed: true });
          }),
        );
    }
    await Promise.all(work);
    const log = await ctx.stores.events.list(dir, { limit: 10_000 });
    expect(seqs(log)).to.deep.equal(range(1, log.length));
    for (const u of users) {
      const r = (await resources().get(dir, 'User', u))!;
      expect(r.groupIds).to.deep.equal([]);
      expect(['r0', 'r1', 'r2']).to.include(r.doc.title);
      // Created (1), three replaces, and a join and a leave per group and round (the triggers' bumps).
      expect(r.version).to.equal(1 + 3 + 2 * 2 * 3);
    }
  });
});
