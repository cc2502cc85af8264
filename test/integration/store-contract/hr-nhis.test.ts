// test/integration/store-contract/hr-nhis.test.ts: HR signing secrets (sealed, resealed, rotated), HR events (idempotent
// by id, superseded, linked, matched to users) and NHIs with their credentials behave the same on SQLite and PostgreSQL,
// concurrent writers from two processes included.
import crypto from 'node:crypto';
import { expect } from 'chai';
import { ENTERPRISE_URN } from '../../../domain/hr/match';
import { recordHrEvent } from '../../../hr/record';
import type { Stores } from '../../../store';
import { createStores } from '../../../store';
import { openDatabase } from '../../../store/db';
import type { HrEventRow } from '../../../store/hr';
import { openPgStores } from '../../../store/pg';
import { describeEachStore, TEST_SECRET_KEYS } from '../../helpers/store-kinds';

/** A second Stores over the test's database (another process): opening it reseals, as a process start does. */
async function reopen(
  stores: Stores,
  target: string,
  secretKeys = TEST_SECRET_KEYS,
): Promise<{ stores: Stores; close(): Promise<void> }> {
  if (stores.kind === 'postgres') {
    const pg = await openPgStores(target, { secretKeys });
    return { stores: pg, close: () => pg.close() };
  }
  const db = await openDatabase({ file: target, synchronous: 'NORMAL' });
  return { stores: createStores(db, secretKeys), close: async () => void db.close() };
}

/**
 * Another process recording HR events: on PostgreSQL a second pool. On SQLite the same Stores: its transactions await
 * between statements, and a second connection in this process would block the event loop waiting for the first one's
 * write lock (which only this event loop can release); across processes SQLite's lock orders them the same way.
 */
async function recorder(stores: Stores, target: string): Promise<{ stores: Stores; close(): Promise<void> }> {
  return stores.kind === 'postgres' ? reopen(stores, target) : { stores, close: async () => undefined };
}

/** Lets the millisecond clock move on, so rows written next sort after the ones before. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 3));

const newKey = () => crypto.randomBytes(32).toString('base64');
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

type NewHrEvent = Omit<HrEventRow, 'rescindedAt' | 'rescindedBy' | 'supersededBy'>;

describeEachStore('HR events and NHIs', (ctx) => {
  const directory = async (name = 'dir') =>
    (await ctx.stores.directories.create({ name, dialect: 'generic' })).directory.id;
  const user = async (directoryId: string, doc: Record<string, unknown>) =>
    (await ctx.stores.resources.insert(directoryId, 'User', { active: true, ...doc })).resource.id;

  /** A stored HR event: a termination of employee `value` awaiting its identity unless one is given. */
  const hrEvent = (directoryId: string, id: string, over: Partial<NewHrEvent> = {}): NewHrEvent => ({
    directoryId,
    id,
    type: 'termination',
    bodyHash: crypto.createHash('sha256').update(id).digest('hex'),
    body: { id, type: 'termination', person: { employeeNumber: 'E1' } },
    matchKey: 'employeeNumber',
    matchValue: 'e1',
    identityId: null,
    effectiveAt: iso(T0),
    receivedAt: iso(T0),
    source: 'hr',
    seq: null,
    ...over,
  });

  describe('HR signing secrets', function () {
    it('hands out whsec_ secrets, newest first; an overlap keeps the old one valid until it ends', async function () {
      const d = await directory();
      const now = new Date(T0);
      const first = await ctx.stores.hr.newSecret(d, 0, now);
      expect(first.secret).to.match(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(first.id).to.match(/^[0-9a-f-]{36}$/);
      expect(await ctx.stores.hr.secrets(d, now)).to.deep.equal([first.secret]);

      const later = new Date(T0 + 1000);
      const second = await ctx.stores.hr.newSecret(d, 60_000, later);
      expect(await ctx.stores.hr.secrets(d, later)).to.deep.equal([second.secret, first.secret]);
      expect(await ctx.stores.hr.secrets(d, new Date(T0 + 60_999))).to.deep.equal([second.secret, first.secret]);
      expect(await ctx.stores.hr.secrets(d, new Date(T0 + 61_000))).to.deep.equal([second.secret]);

      // No overlap: every older secret retires at once, an overlap already running included.
      const third = await ctx.stores.hr.newSecret(d, 0, new Date(T0 + 2000));
      expect(await ctx.stores.hr.secrets(d, new Date(T0 + 2000))).to.deep.equal([third.secret]);
      expect(await ctx.stores.hr.secrets(d, new Date(T0 - 1))).to.deep.equal([
        third.secret,
        second.secret,
        first.secret,
      ]);
    });

    it('keeps the directories apart: a directory without secrets has none', async function () {
      const [a, b] = [await directory('a'), await directory('b')];
      const { secret } = await ctx.stores.hr.newSecret(a, 0);
      expect(await ctx.stores.hr.secrets(a)).to.deep.equal([secret]);
      expect(await ctx.stores.hr.secrets(b)).to.deep.equal([]);
      expect(await ctx.stores.hr.secrets('no-such-directory')).to.deep.equal([]);
    });

    it('reseals with a new key at the next start, so the old key can be dropped; nothing left to reseal after', async function () {
      const d = await directory();
      const { secret } = await ctx.stores.hr.newSecret(d, 0);
      expect(await ctx.stores.hr.resealSecrets()).to.equal(0);
      const key = newKey();
      const rotated = await reopen(ctx.stores, ctx.target, `${key},${TEST_SECRET_KEYS}`);
      try {
        expect(await rotated.stores.hr.secrets(d)).to.deep.equal([secret]);
        expect(await rotated.stores.hr.resealSecrets()).to.equal(0);
      } finally {
        await rotated.close();
      }
      const onlyNew = await reopen(ctx.stores, ctx.target, key);
      try {
        expect(await onlyNew.stores.hr.secrets(d)).to.deep.equal([secret]);
      } finally {
        await onlyNew.close();
      }
    });

    it('two processes rotating at once leave one secret valid (no overlap), never two', async function () {
      const d = await directory();
      await ctx.stores.hr.newSecret(d, 0);
      const other = await reopen(ctx.stores, ctx.target);
      try {
        const rotations = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? other.stores : ctx.stores).hr.newSecret(d, 0)),
        );
        const valid = await ctx.stores.hr.secrets(d, new Date(Date.now() + 1));
        expect(valid).to.have.length(1);
        expect(rotations.map((r) => r.secret)).to.include(valid[0]);
      } finally {
        await other.close();
      }
    });
  });

  describe('HR events', function () {
    it('stores an event as given and reads it back; unknown ids and other directories find nothing', async function () {
      const [d, other] = [await directory('a'), await directory('b')];
      const row = hrEvent(d, 'ev-1', {
        type: 'mover',
        body: { id: 'ev-1', type: 'mover', person: { email: 'A@x.test' }, changes: { title: 'CTO', manager: null } },
        matchKey: 'email',
        matchValue: 'a@x.test',
        identityId: 'user-1',
        effectiveAt: '2030-02-01T09:00:00.000Z',
        receivedAt: '2030-01-15T10:00:00.123Z',
        source: 'cli',
        seq: 42,
      });
      await ctx.stores.hr.insert(row);
      expect(await ctx.stores.hr.get(d, 'ev-1')).to.deep.equal({
        ...row,
        rescindedAt: null,
        rescindedBy: null,
        supersededBy: null,
      });
      expect(await ctx.stores.hr.get(d, 'ev-2')).to.equal(undefined);
      expect(await ctx.stores.hr.get(other, 'ev-1')).to.equal(undefined);
    });

    it('refuses a second event of the same id in a directory (keeping the first), not in another one', async function () {
      const [d, other] = [await directory('a'), await directory('b')];
      await ctx.stores.hr.insert(hrEvent(d, 'ev-1'));
      await expect(ctx.stores.hr.insert(hrEvent(d, 'ev-1', { type: 'rehire', source: 'import' }))).to.be.rejected;
      expect((await ctx.stores.hr.get(d, 'ev-1'))!.type).to.equal('termination');
      await ctx.stores.hr.insert(hrEvent(other, 'ev-1'));
      expect(await ctx.stores.hr.get(other, 'ev-1')).to.not.equal(undefined);
    });

    it('sets the log sequence and records a rescind; unknown ids change nothing', async function () {
      const d = await directory();
      await ctx.stores.hr.insert(hrEvent(d, 'ev-1'));
      await ctx.stores.hr.setSeq(d, 'ev-1', 7);
      await ctx.stores.hr.rescind(d, 'ev-1', 'rescind-ev-1', iso(T0 + 5));
      expect(await ctx.stores.hr.get(d, 'ev-1')).to.deep.include({
        seq: 7,
        rescindedAt: iso(T0 + 5),
        rescindedBy: 'rescind-ev-1',
        supersededBy: null,
      });
      await ctx.stores.hr.setSeq(d, 'missing', 1);
      await ctx.stores.hr.rescind(d, 'missing', 'x', iso(T0));
      expect(await ctx.stores.hr.list(d)).to.have.length(1);
    });

    it('lists by receipt then log sequence (events not yet in the log first), per identity, up to a limit', async function () {
      const d = await directory();
      await ctx.stores.hr.insert(hrEvent(d, 'c', { receivedAt: iso(T0 + 2), identityId: 'u1', seq: 5 }));
      await ctx.stores.hr.insert(hrEvent(d, 'a', { receivedAt: iso(T0 + 1), identityId: 'u2', seq: 9 }));
      await ctx.stores.hr.insert(hrEvent(d, 'd', { receivedAt: iso(T0 + 2), identityId: 'u1', seq: 3 }));
      await ctx.stores.hr.insert(hrEvent(d, 'b', { receivedAt: iso(T0 + 2), seq: null }));
      await ctx.stores.hr.insert(hrEvent(await directory('other'), 'x'));
      const ids = (rows: HrEventRow[]) => rows.map((r) => r.id);
      expect(ids(await ctx.stores.hr.list(d))).to.deep.equal(['a', 'b', 'd', 'c']);
      expect(ids(await ctx.stores.hr.list(d, { identityId: 'u1' }))).to.deep.equal(['d', 'c']);
      expect(ids(await ctx.stores.hr.list(d, { limit: 2 }))).to.deep.equal(['a', 'b']);
      expect(ids(await ctx.stores.hr.list(d, { identityId: 'u9' }))).to.deep.equal([]);
      expect(await ctx.stores.hr.list('no-such-directory')).to.deep.equal([]);
    });

    it('supersedes the pending terminations of one person, by identity or by match value, once', async function () {
      const d = await directory();
      const at = iso(T0);
      const pending = { type: 'termination' as const, effectiveAt: iso(T0 + 1000) };
      // By identity: pending terminations of u1 only; not in force yet; not rescinded, not superseded; not `by` itself.
      await ctx.stores.hr.insert(hrEvent(d, 't1', { ...pending, identityId: 'u1', receivedAt: iso(T0 - 2) }));
      await ctx.stores.hr.insert(hrEvent(d, 't2', { ...pending, identityId: 'u1', receivedAt: iso(T0 - 1) }));
      await ctx.stores.hr.insert(hrEvent(d, 'in-force', { identityId: 'u1', effectiveAt: at }));
      await ctx.stores.hr.insert(hrEvent(d, 'rescinded', { ...pending, identityId: 'u1' }));
      await ctx.stores.hr.rescind(d, 'rescinded', 'r', at);
      await ctx.stores.hr.insert(hrEvent(d, 'leave', { ...pending, type: 'leave.started', identityId: 'u1' }));
      await ctx.stores.hr.insert(hrEvent(d, 'theirs', { ...pending, identityId: 'u2' }));
      await ctx.stores.hr.insert(hrEvent(d, 'new', { ...pending, identityId: 'u1' }));
      const person = { identityId: 'u1', matchKey: 'employeeNumber', matchValue: 'e1' };
      expect(await ctx.stores.hr.supersedePendingTerminations(d, person, 'new', at)).to.deep.equal(['t1', 't2']);
      expect((await ctx.stores.hr.get(d, 't1'))!.supersededBy).to.equal('new');
      expect((await ctx.stores.hr.get(d, 't2'))!.supersededBy).to.equal('new');
      for (const id of ['in-force', 'rescinded', 'leave', 'theirs', 'new'])
        expect((await ctx.stores.hr.get(d, id))!.supersededBy, id).to.equal(null);
      expect(await ctx.stores.hr.supersedePendingTerminations(d, person, 'new', at)).to.deep.equal([]);

      // By match value: only events still awaiting their identity.
      await ctx.stores.hr.insert(hrEvent(d, 'w1', { ...pending, matchValue: 'e7' }));
      await ctx.stores.hr.insert(hrEvent(d, 'w-other', { ...pending, matchValue: 'e8' }));
      await ctx.stores.hr.insert(hrEvent(d, 'w-linked', { ...pending, matchValue: 'e7', identityId: 'u3' }));
      const awaiting = { identityId: null, matchKey: 'employeeNumber', matchValue: 'e7' };
      expect(await ctx.stores.hr.supersedePendingTerminations(d, awaiting, 'w2', at)).to.deep.equal(['w1']);
      expect((await ctx.stores.hr.get(d, 'w-other'))!.supersededBy).to.equal(null);
      expect((await ctx.stores.hr.get(d, 'w-linked'))!.supersededBy).to.equal(null);
    });

    it('gives the facts that count for an identity: its own and those awaiting it by its values', async function () {
      const d = await directory();
      await ctx.stores.hr.insert(hrEvent(d, 'own', { identityId: 'u1', seq: 4 }));
      await ctx.stores.hr.insert(
        hrEvent(d, 'mover', {
          type: 'mover',
          body: { id: 'mover', type: 'mover', person: { employeeNumber: 'E1' }, changes: { department: 'Ops' } },
          identityId: 'u1',
          effectiveAt: iso(T0 + 10),
          receivedAt: iso(T0 + 1),
        }),
      );
      await ctx.stores.hr.insert(hrEvent(d, 'rescinded', { identityId: 'u1' }));
      await ctx.stores.hr.rescind(d, 'rescinded', 'r', iso(T0));
      await ctx.stores.hr.insert(hrEvent(d, 'superseded', { identityId: 'u1' }));
      await ctx.stores.hr.supersedePendingTerminations(
        d,
        { identityId: 'u1', matchKey: null, matchValue: null },
        'own',
        iso(T0 - 1),
      );
      await ctx.stores.hr.insert(hrEvent(d, 'rescind', { type: 'termination.rescinded', identityId: 'u1' }));
      await ctx.stores.hr.insert(hrEvent(d, 'awaiting', { matchKey: 'email', matchValue: 'a@x.test', seq: 2 }));
      await ctx.stores.hr.insert(hrEvent(d, 'not-theirs', { matchKey: 'email', matchValue: 'b@x.test' }));
      await ctx.stores.hr.insert(hrEvent(d, 'other-user', { identityId: 'u2' }));
      const other = await directory('other');
      await ctx.stores.hr.insert(hrEvent(other, 'elsewhere', { identityId: 'u1' }));

      const values = [
        { key: 'email' as const, value: 'a@x.test' },
        { key: 'employeeNumber' as const, value: 'e9' },
      ];
      const facts = await ctx.stores.hr.factsFor(d, 'u1', values);
      expect([...facts].sort((a, b) => a.eventId.localeCompare(b.eventId))).to.deep.equal([
        { eventId: 'awaiting', type: 'termination', effectiveAt: iso(T0), seq: 2 },
        { eventId: 'mover', type: 'mover', effectiveAt: iso(T0 + 10), seq: 0, changes: { department: 'Ops' } },
        { eventId: 'own', type: 'termination', effectiveAt: iso(T0), seq: 4 },
      ]);
      expect((await ctx.stores.hr.factsFor(d, 'u1', [])).map((f) => f.eventId).sort()).to.deep.equal(['mover', 'own']);
      expect(await ctx.stores.hr.factsFor(d, 'nobody', [])).to.deep.equal([]);
    });

    it('links the events awaiting an identity to it (not rescinds), once, to whichever identity comes first', async function () {
      const d = await directory();
      expect(await ctx.stores.hr.link(d, 'u1', [{ key: 'employeeNumber', value: 'e1' }])).to.equal(0);
      await ctx.stores.hr.insert(hrEvent(d, 'a'));
      await ctx.stores.hr.insert(hrEvent(d, 'b', { type: 'leave.started' }));
      await ctx.stores.hr.insert(hrEvent(d, 'by-email', { matchKey: 'email', matchValue: 'a@x.test' }));
      await ctx.stores.hr.insert(hrEvent(d, 'rescind', { type: 'termination.rescinded' }));
      await ctx.stores.hr.insert(hrEvent(d, 'someone-else', { matchValue: 'e2' }));
      expect(await ctx.stores.hr.link(d, 'u1', [])).to.equal(0);
      expect(await ctx.stores.hr.link(d, 'u1', [{ key: 'userName', value: 'e1' }])).to.equal(0);

      const values = [
        { key: 'employeeNumber' as const, value: 'e1' },
        { key: 'email' as const, value: 'a@x.test' },
      ];
      const other = await reopen(ctx.stores, ctx.target);
      try {
        // Two identities claiming the same values at once (two processes): each event goes to one of them.
        const counts = await Promise.all([ctx.stores.hr.link(d, 'u1', values), other.stores.hr.link(d, 'u2', values)]);
        expect(counts[0] + counts[1]).to.equal(3);
      } finally {
        await other.close();
      }
      for (const id of ['a', 'b', 'by-email'])
        expect((await ctx.stores.hr.get(d, id))!.identityId, id).to.be.oneOf(['u1', 'u2']);
      expect((await ctx.stores.hr.get(d, 'rescind'))!.identityId).to.equal(null);
      expect(await ctx.stores.hr.link(d, 'u3', values)).to.equal(0);
      expect((await ctx.stores.hr.get(d, 'someone-else'))!.identityId).to.equal(null);
    });
  });

  describe('matching HR’s person to users', function () {
    it('matches a live user by userName, externalId, employeeNumber or any email, trimmed, ASCII case folded', async function () {
      const d = await directory();
      const ann = await user(d, {
        userName: 'Ann@X.test',
        externalId: 'EXT-Ann',
        [ENTERPRISE_URN]: { employeeNumber: '  E-100 ', department: 'Ops' },
        emails: [
          { value: 'ann@home.test', type: 'home' },
          { value: ' Ann.Work@X.TEST ', type: 'work', primary: true },
        ],
      });
      await user(d, { userName: 'bob', [ENTERPRISE_URN]: { employeeNumber: 100 } });
      const other = await directory('other');
      await user(other, { userName: 'ann@x.test', externalId: 'ext-ann', emails: [{ value: 'ann@home.test' }] });

      expect(await ctx.stores.hr.usersMatching(d, 'userName', 'ann@x.test')).to.deep.equal([ann]);
      expect(await ctx.stores.hr.usersMatching(d, 'externalId', 'ext-ann')).to.deep.equal([ann]);
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', 'e-100')).to.deep.equal([ann]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'ann@home.test')).to.deep.equal([ann]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'ann.work@x.test')).to.deep.equal([ann]);
      // A number is read as its text; no partial matches.
      const bob = (await ctx.stores.hr.usersMatching(d, 'userName', 'bob'))[0];
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', '100')).to.deep.equal([bob]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'ann@home')).to.deep.equal([]);
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', 'ops')).to.deep.equal([]);
      expect(await ctx.stores.hr.usersMatching('no-such-directory', 'userName', 'ann@x.test')).to.deep.equal([]);
    });

    it('folds ASCII letters only, as SQLite does: a non-ASCII capital is not folded in the stored value', async function () {
      const d = await directory();
      const emile = await user(d, {
        userName: 'emile',
        [ENTERPRISE_URN]: { employeeNumber: 'ÉMILE-1' },
        emails: [{ value: 'Émile@X.test' }],
      });
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', 'ÉMILE-1'.toLowerCase())).to.deep.equal([]);
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', 'Émile-1')).to.deep.equal([emile]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'Émile@x.test')).to.deep.equal([emile]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'émile@x.test')).to.deep.equal([]);
    });

    it('leaves out deleted users and groups; gives the oldest first, at most six', async function () {
      const d = await directory();
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        ids.push(await user(d, { userName: `u${i}`, emails: [{ value: 'shared@x.test' }] }));
        await nextMillisecond();
      }
      const gone = (await ctx.stores.resources.get(d, 'User', ids[1]!))!;
      await ctx.stores.resources.remove(gone);
      await ctx.stores.resources.insert(d, 'Group', { displayName: 'g', emails: [{ value: 'shared@x.test' }] });
      const found = await ctx.stores.hr.usersMatching(d, 'email', 'shared@x.test');
      expect(found).to.deep.equal([ids[0], ...ids.slice(2, 7)]);
      expect(await ctx.stores.hr.usersMatching(d, 'userName', 'u1')).to.deep.equal([]);
    });

    it('still matches when another user’s document holds JSON jsonb cannot read (\\u0000, a lone surrogate)', async function () {
      const d = await directory();
      await user(d, { userName: 'nul', title: 'a\u0000b', emails: [{ value: 'x\u0000@x.test' }] });
      await user(d, { userName: 'half', nickName: '\ud800', [ENTERPRISE_URN]: { employeeNumber: 'e\udc00' } });
      const ann = await user(d, {
        userName: 'ann',
        [ENTERPRISE_URN]: { employeeNumber: 'E-1' },
        emails: [{ value: 'Ann@X.test' }],
      });
      expect(await ctx.stores.hr.usersMatching(d, 'employeeNumber', 'e-1')).to.deep.equal([ann]);
      expect(await ctx.stores.hr.usersMatching(d, 'email', 'ann@x.test')).to.deep.equal([ann]);
      // Inside a transaction too, which must go on afterwards.
      const inside = await ctx.stores.atomically(async () => {
        const found = await ctx.stores.hr.usersMatching(d, 'email', 'ann@x.test');
        await ctx.stores.hr.insert(hrEvent(d, 'after-lookup', { identityId: found[0]! }));
        return found;
      });
      expect(inside).to.deep.equal([ann]);
      expect((await ctx.stores.hr.get(d, 'after-lookup'))!.identityId).to.equal(ann);
    });
  });

  describe('recording HR events from two processes at once', function () {
    /** Both processes receive it at the same instant (each answer's status is as of its own `now`). */
    const record = (stores: Stores, directoryId: string, body: Record<string, unknown>, now = new Date()) =>
      recordHrEvent(stores, directoryId, body, { source: 'hr', matchKey: 'employeeNumber', now });

    it('records the same event once, and both answer it with the same event (one of them a duplicate)', async function () {
      const d = await directory();
      const ann = await user(d, { userName: 'ann', [ENTERPRISE_URN]: { employeeNumber: 'E1' } });
      const other = await recorder(ctx.stores, ctx.target);
      try {
        for (let round = 0; round < 5; round++) {
          const body = { id: `term-${round}`, type: 'leave.started', person: { employeeNumber: 'E1' } };
          const now = new Date();
          const answers = await Promise.all([record(ctx.stores, d, body, now), record(other.stores, d, body, now)]);
          const strip = ({ duplicate: _d, events: _e, ...rest }: (typeof answers)[number]) => rest;
          expect(strip(answers[0])).to.deep.equal(strip(answers[1]));
          expect(answers[0]).to.deep.include({ id: `term-${round}`, identityId: ann, status: 'applied' });
          expect(answers.map((a) => a.duplicate).sort()).to.deep.equal([false, true]);
          expect(answers.map((a) => a.events.length).sort()).to.deep.equal([0, 1]);
        }
        expect(await ctx.stores.hr.list(d)).to.have.length(5);
        const logged = (await ctx.stores.events.list(d, { identityId: ann })).filter((e) => e.kind === 'hr.leaver');
        expect(logged).to.have.length(5);
      } finally {
        await other.close();
      }
    });

    it('rescinds a termination once when two different rescinds arrive at once', async function () {
      const d = await directory();
      const ann = await user(d, { userName: 'ann', [ENTERPRISE_URN]: { employeeNumber: 'E1' } });
      const future = new Date(Date.now() + 86_400_000).toISOString();
      await record(ctx.stores, d, {
        id: 't',
        type: 'termination',
        person: { employeeNumber: 'E1' },
        effectiveAt: future,
      });
      const other = await recorder(ctx.stores, ctx.target);
      try {
        const answers = await Promise.all([
          record(ctx.stores, d, { id: 'r1', type: 'termination.rescinded', rescinds: 't' }),
          record(other.stores, d, { id: 'r2', type: 'termination.rescinded', rescinds: 't' }),
        ]);
        expect(answers.map((a) => a.status)).to.deep.equal(['rescinded', 'rescinded']);
        expect(answers.map((a) => a.events.length).sort()).to.deep.equal([0, 1]);
      } finally {
        await other.close();
      }
      const target = (await ctx.stores.hr.get(d, 't'))!;
      expect(['r1', 'r2']).to.include(target.rescindedBy);
      const rejoins = (await ctx.stores.events.list(d, { identityId: ann })).filter((e) => e.kind === 'hr.rejoin');
      expect(rejoins).to.have.length(1);
    });

    it('two terminations of one person at once: one of them supersedes the other', async function () {
      const d = await directory();
      const other = await recorder(ctx.stores, ctx.target);
      try {
        for (let round = 0; round < 3; round++) {
          const person = { employeeNumber: `E${round}` };
          const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
          await Promise.all([
            record(ctx.stores, d, { id: `a${round}`, type: 'termination', person, effectiveAt: at(1) }),
            record(other.stores, d, { id: `b${round}`, type: 'termination', person, effectiveAt: at(2) }),
          ]);
          const [a, b] = [(await ctx.stores.hr.get(d, `a${round}`))!, (await ctx.stores.hr.get(d, `b${round}`))!];
          expect([a.supersededBy, b.supersededBy].filter((s) => s !== null)).to.have.length(1);
          expect(a.supersededBy === `b${round}` || b.supersededBy === `a${round}`).to.equal(true);
        }
      } finally {
        await other.close();
      }
    });
  });

  describe('NHIs', function () {
    const nhi = (directoryId: string, over: Record<string, unknown> = {}) => ({
      directoryId,
      name: 'build-bot',
      kind: 'service-account' as const,
      ownerId: 'owner-1' as string | null,
      expiresAt: null as string | null,
      rotateBy: null as string | null,
      apps: {} as Record<string, string[]>,
      source: 'admin' as const,
      at: iso(T0),
      ...over,
    });

    it('adds an NHI and reads it back as added; an explicit id is kept and cannot be taken twice', async function () {
      const d = await directory();
      const added = await ctx.stores.nhis.add(
        nhi(d, { apps: { crm: ['read', 'write'], erp: [] }, expiresAt: iso(T0 + 9), rotateBy: iso(T0 + 5) }),
      );
      expect(added.id).to.match(/^nhi-[0-9a-f-]{36}$/);
      expect(added).to.deep.equal({
        directoryId: d,
        id: added.id,
        name: 'build-bot',
        kind: 'service-account',
        ownerId: 'owner-1',
        expiresAt: iso(T0 + 9),
        rotateBy: iso(T0 + 5),
        apps: { crm: ['read', 'write'], erp: [] },
        status: 'active',
        revokedAt: null,
        revokedReason: null,
        revokedSeq: null,
        exception: null,
        source: 'admin',
        createdAt: iso(T0),
        updatedAt: iso(T0),
      });
      expect(await ctx.stores.nhis.get(d, added.id)).to.deep.equal(added);
      expect(await ctx.stores.nhis.get(d, 'nhi-missing')).to.equal(undefined);
      expect(await ctx.stores.nhis.get(await directory('other'), added.id)).to.equal(undefined);

      const scim = await ctx.stores.nhis.add(nhi(d, { id: 'user-7', kind: 'agent', ownerId: null, source: 'scim' }));
      expect(scim).to.deep.include({ id: 'user-7', kind: 'agent', ownerId: null, source: 'scim' });
      await expect(ctx.stores.nhis.add(nhi(d, { id: 'user-7', name: 'again' }))).to.be.rejected;
      expect((await ctx.stores.nhis.get(d, 'user-7'))!.name).to.equal('build-bot');
    });

    it('finds NHIs by name case-insensitively (ASCII, as SQLite), oldest first, in their directory only', async function () {
      const d = await directory();
      const first = await ctx.stores.nhis.add(nhi(d, { name: 'Build-Bot', at: iso(T0) }));
      const second = await ctx.stores.nhis.add(nhi(d, { name: 'build-bot', at: iso(T0 + 1) }));
      await ctx.stores.nhis.add(nhi(d, { name: 'build-bot-2' }));
      await ctx.stores.nhis.add(nhi(await directory('other'), { name: 'build-bot' }));
      const accented = await ctx.stores.nhis.add(nhi(d, { name: 'Émile-bot' }));
      expect((await ctx.stores.nhis.byName(d, 'BUILD-BOT')).map((n) => n.id)).to.deep.equal([first.id, second.id]);
      expect((await ctx.stores.nhis.byName(d, 'Émile-BOT')).map((n) => n.id)).to.deep.equal([accented.id]);
      expect(await ctx.stores.nhis.byName(d, 'émile-bot')).to.deep.equal([]);
      expect(await ctx.stores.nhis.byName(d, 'nobody')).to.deep.equal([]);
    });

    it('lists by creation (then id), per owner; counts and lists the active ones an owner has', async function () {
      const d = await directory();
      const c = await ctx.stores.nhis.add(nhi(d, { id: 'c', at: iso(T0 + 2) }));
      const b = await ctx.stores.nhis.add(nhi(d, { id: 'b', at: iso(T0 + 1) }));
      const a = await ctx.stores.nhis.add(nhi(d, { id: 'a', at: iso(T0 + 2), ownerId: 'owner-2' }));
      const z = await ctx.stores.nhis.add(nhi(d, { id: 'z', at: iso(T0), ownerId: null }));
      await ctx.stores.nhis.add(nhi(await directory('other'), { id: 'x' }));
      await ctx.stores.nhis.revoke(d, 'c', 'expired', 3, iso(T0 + 3));
      expect((await ctx.stores.nhis.list(d)).map((n) => n.id)).to.deep.equal([z.id, b.id, a.id, c.id]);
      expect((await ctx.stores.nhis.list(d, { ownerId: 'owner-1' })).map((n) => n.id)).to.deep.equal(['b', 'c']);
      expect((await ctx.stores.nhis.ownedActive(d, 'owner-1')).map((n) => n.id)).to.deep.equal(['b']);
      expect(await ctx.stores.nhis.countOwnedActive(d, 'owner-1')).to.equal(1);
      expect(await ctx.stores.nhis.countOwnedActive(d, 'owner-2')).to.equal(1);
      expect(await ctx.stores.nhis.countOwnedActive(d, 'nobody')).to.equal(0);
      expect(await ctx.stores.nhis.list(d, { ownerId: 'nobody' })).to.deep.equal([]);
    });

    it('transfers to a new owner (clearing an exception) and sets or clears an exception', async function () {
      const d = await directory();
      const bot = await ctx.stores.nhis.add(nhi(d));
      await ctx.stores.nhis.setException(d, bot.id, 'owner left; no manager', iso(T0 + 1));
      expect(await ctx.stores.nhis.get(d, bot.id)).to.deep.include({
        exception: 'owner left; no manager',
        updatedAt: iso(T0 + 1),
      });
      await ctx.stores.nhis.transfer(d, bot.id, 'owner-2', iso(T0 + 2));
      expect(await ctx.stores.nhis.get(d, bot.id)).to.deep.include({
        ownerId: 'owner-2',
        exception: null,
        updatedAt: iso(T0 + 2),
      });
      await ctx.stores.nhis.setException(d, bot.id, 'x', iso(T0 + 3));
      await ctx.stores.nhis.setException(d, bot.id, null, iso(T0 + 4));
      expect((await ctx.stores.nhis.get(d, bot.id))!.exception).to.equal(null);
      await ctx.stores.nhis.transfer(d, 'missing', 'owner-3', iso(T0));
      expect(await ctx.stores.nhis.get(d, 'missing')).to.equal(undefined);
    });

    it('revokes once: API credentials go with it, manual ones open for a person to confirm', async function () {
      const d = await directory();
      const bot = await ctx.stores.nhis.add(nhi(d));
      const base = { directoryId: d, nhiId: bot.id };
      const api = await ctx.stores.nhis.addCredential({ ...base, name: 'token', appId: 'app-1', revoke: 'account' });
      const manual = await ctx.stores.nhis.addCredential({ ...base, name: 'aws key', appId: null, revoke: 'manual' });
      expect(api).to.deep.equal({
        id: api.id,
        directoryId: d,
        nhiId: bot.id,
        name: 'token',
        appId: 'app-1',
        revoke: 'account',
        status: 'active',
        openedAt: null,
        revokedAt: null,
        confirmedBy: null,
      });
      expect(api.id).to.match(/^cred-[0-9a-f-]{36}$/);
      await ctx.stores.nhis.setException(d, bot.id, 'expiring', iso(T0));

      await ctx.stores.nhis.revoke(d, bot.id, 'owner left', 12, iso(T0 + 1));
      expect(await ctx.stores.nhis.get(d, bot.id)).to.deep.include({
        status: 'revoked',
        revokedAt: iso(T0 + 1),
        revokedReason: 'owner left',
        revokedSeq: 12,
        exception: null,
        updatedAt: iso(T0 + 1),
      });
      expect(await ctx.stores.nhis.credential(api.id)).to.deep.include({
        status: 'revoked',
        revokedAt: iso(T0 + 1),
        openedAt: null,
      });
      expect(await ctx.stores.nhis.credential(manual.id)).to.deep.include({
        status: 'open',
        openedAt: iso(T0 + 1),
        revokedAt: null,
      });

      // Again: nothing changes (the first revocation's record stays).
      await ctx.stores.nhis.revoke(d, bot.id, 'again', 13, iso(T0 + 2));
      expect(await ctx.stores.nhis.get(d, bot.id)).to.deep.include({ revokedReason: 'owner left', revokedSeq: 12 });
      expect((await ctx.stores.nhis.credential(manual.id))!.openedAt).to.equal(iso(T0 + 1));
    });

    it('lists credentials by name then id; a manual one is confirmed once, by one of two at once', async function () {
      const d = await directory();
      const bot = await ctx.stores.nhis.add(nhi(d));
      const base = { directoryId: d, nhiId: bot.id, appId: null, revoke: 'manual' as const };
      const b = await ctx.stores.nhis.addCredential({ ...base, name: 'b' });
      const a = await ctx.stores.nhis.addCredential({ ...base, name: 'a' });
      const B = await ctx.stores.nhis.addCredential({ ...base, name: 'B' });
      expect((await ctx.stores.nhis.credentials(d, bot.id)).map((c) => c.id)).to.deep.equal([B.id, a.id, b.id]);
      expect(await ctx.stores.nhis.credentials(d, 'nhi-missing')).to.deep.equal([]);
      expect(await ctx.stores.nhis.credential('cred-missing')).to.equal(undefined);

      expect(await ctx.stores.nhis.confirm(a.id, 'alice', iso(T0))).to.equal(false); // active, not open
      await ctx.stores.nhis.revoke(d, bot.id, 'expired', 1, iso(T0));
      const other = await reopen(ctx.stores, ctx.target);
      try {
        const confirmed = await Promise.all([
          ctx.stores.nhis.confirm(a.id, 'alice', iso(T0 + 1)),
          other.stores.nhis.confirm(a.id, 'bob', iso(T0 + 2)),
        ]);
        expect(confirmed.filter(Boolean)).to.have.length(1);
      } finally {
        await other.close();
      }
      const done = (await ctx.stores.nhis.credential(a.id))!;
      expect(done.status).to.equal('revoked');
      expect(done.confirmedBy).to.be.oneOf(['alice', 'bob']);
      expect(await ctx.stores.nhis.confirm(a.id, 'carol', iso(T0 + 3))).to.equal(false);
      expect(await ctx.stores.nhis.confirm('cred-missing', 'carol', iso(T0))).to.equal(false);
    });
  });
});
