// test/integration/store-contract/accounts-webhooks.test.ts: local accounts and webhook deliveries behave the same on
// SQLite and PostgreSQL: shapes, order, uniqueness, idempotence, and no lost update or shared sequence number when
// calls for one account run at the same time.
import { expect } from 'chai';
import type { AccountSpec } from '../../../domain/accounts/account-spec';
import { UniqueViolationError } from '../../../store/errors';
import type { WebhookDelivery } from '../../../store/webhook-deliveries';
import { StaleWebhookEventError } from '../../../store/webhook-deliveries';
import { describeEachStore } from '../../helpers/store-kinds';

const AT = '2026-12-01T10:00:00.000Z';
const LATER = '2026-12-01T11:00:00.000Z';
const spec = (userName: string, more: Partial<AccountSpec> = {}): AccountSpec => ({ userName, active: true, ...more });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachStore('local accounts', (ctx) => {
  const accounts = () => ctx.stores.localAccounts;

  it('inserts an account and reads it back by id, with its attributes and no entitlements', async function () {
    const full = spec('Ada', { externalId: 'ext-1', displayName: 'Ada L', emails: [{ value: 'ada@example.com' }] });
    await accounts().insert('app-1', 'acc-1', full, AT);
    await accounts().insert('app-1', 'acc-2', spec('bob', { active: false }), AT);
    expect(await accounts().get('app-1', 'acc-1')).to.deep.equal({
      id: 'acc-1',
      userName: 'Ada',
      externalId: 'ext-1',
      active: true,
      entitlements: [],
      doc: full,
    });
    const bob = await accounts().get('app-1', 'acc-2');
    expect(bob).to.deep.equal({
      id: 'acc-2',
      userName: 'bob',
      active: false,
      entitlements: [],
      doc: spec('bob', { active: false }),
    });
    expect(bob).not.to.have.property('externalId');
    expect(await accounts().get('app-1', 'nope')).to.equal(undefined);
    expect(await accounts().get('app-2', 'acc-1')).to.equal(undefined);
  });

  it('refuses a second account of the same userName in an app (case-insensitively), not in another app', async function () {
    await accounts().insert('app-1', 'acc-1', spec('Ada'), AT);
    const err = await accounts()
      .insert('app-1', 'acc-2', spec('ADA'), AT)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(UniqueViolationError);
    expect((err as Error).message).to.equal('an account named ADA exists already');
    await accounts().insert('app-2', 'acc-2', spec('ada'), AT);
    expect((await accounts().list('app-1')).map((a) => a.id)).to.deep.equal(['acc-1']);
    expect((await accounts().list('app-2')).map((a) => a.id)).to.deep.equal(['acc-2']);
  });

  it('refuses a second account of the same id in an app and keeps the first', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await expect(accounts().insert('app-1', 'acc-1', spec('bob'), AT)).to.be.rejected;
    expect((await accounts().list('app-1')).map((a) => a.userName)).to.deep.equal(['ada']);
  });

  it('finds accounts by userName case-insensitively and by externalId (exactly), by lower-cased userName', async function () {
    await accounts().insert('app-1', 'b', spec('Ada', { externalId: 'E1' }), AT);
    await accounts().insert('app-1', 'a', spec('bob', { externalId: 'E1' }), AT);
    await accounts().insert('app-1', 'c', spec('cy', { externalId: 'e1' }), AT);
    await accounts().insert('app-2', 'd', spec('ada', { externalId: 'E1' }), AT);
    await accounts().insert('app-1', 'z', spec('Aaron', { externalId: 'E1' }), AT);
    expect((await accounts().find('app-1', 'userName', 'aDA')).map((a) => a.id)).to.deep.equal(['b']);
    expect((await accounts().find('app-1', 'externalId', 'E1')).map((a) => a.id)).to.deep.equal(['z', 'b', 'a']);
    expect((await accounts().find('app-1', 'externalId', 'e1')).map((a) => a.id)).to.deep.equal(['c']);
    expect(await accounts().find('app-1', 'userName', 'nobody')).to.deep.equal([]);
    expect(await accounts().find('app-1', 'externalId', 'none')).to.deep.equal([]);
    const [found] = await accounts().find('app-1', 'userName', 'ada');
    expect(found).to.deep.equal(await accounts().get('app-1', 'b'));
  });

  it('pages by id order (byte order) with the app total', async function () {
    for (const id of ['b', 'a', 'D', 'c', 'é']) await accounts().insert('app-1', id, spec(`user-${id}`), AT);
    await accounts().insert('app-2', 'z', spec('other'), AT);
    const ids = async (count: number, offset: number) => {
      const { accounts: page, total } = await accounts().page('app-1', count, offset);
      return { ids: page.map((a) => a.id), total };
    };
    expect(await ids(2, 0)).to.deep.equal({ ids: ['D', 'a'], total: 5 });
    expect(await ids(2, 2)).to.deep.equal({ ids: ['b', 'c'], total: 5 });
    expect(await ids(2, 4)).to.deep.equal({ ids: ['é'], total: 5 });
    expect(await ids(10, 9)).to.deep.equal({ ids: [], total: 5 });
    expect(await ids(0, 0)).to.deep.equal({ ids: [], total: 5 });
    expect(await accounts().page('app-3', 10, 0)).to.deep.equal({ accounts: [], total: 0 });
    const { accounts: page } = await accounts().page('app-1', 1, 0);
    expect(page[0]).to.deep.equal(await accounts().get('app-1', 'D'));
  });

  it('lists an app by lower-cased userName, without the attributes', async function () {
    await accounts().insert('app-1', '1', spec('carol', { externalId: 'x' }), AT);
    await accounts().insert('app-1', '2', spec('Bob'), AT);
    await accounts().insert('app-1', '3', spec('alice', { active: false }), AT);
    await accounts().insert('app-2', '4', spec('aaron'), AT);
    expect(await accounts().list('app-1')).to.deep.equal([
      { id: '3', userName: 'alice', active: false, entitlements: [] },
      { id: '2', userName: 'Bob', active: true, entitlements: [] },
      { id: '1', userName: 'carol', externalId: 'x', active: true, entitlements: [] },
    ]);
    expect(await accounts().list('app-9')).to.deep.equal([]);
  });

  it('updates every attribute of the spec, keeps the entitlements, and ignores an unknown account', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada', { externalId: 'e', displayName: 'Ada' }), AT);
    await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('reader'), AT);
    await accounts().update('app-1', 'acc-1', spec('Ada.L', { active: false }), LATER);
    expect(await accounts().get('app-1', 'acc-1')).to.deep.equal({
      id: 'acc-1',
      userName: 'Ada.L',
      active: false,
      entitlements: ['reader'],
      doc: spec('Ada.L', { active: false }),
    });
    expect((await accounts().find('app-1', 'userName', 'ada.l')).map((a) => a.id)).to.deep.equal(['acc-1']);
    expect(await accounts().find('app-1', 'userName', 'ada')).to.deep.equal([]);
    await accounts().update('app-1', 'nope', spec('ghost'), LATER);
    expect(await accounts().get('app-1', 'nope')).to.equal(undefined);
  });

  it('refuses an update to a userName another account of the app holds', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await accounts().insert('app-1', 'acc-2', spec('bob'), AT);
    await expect(accounts().update('app-1', 'acc-2', spec('ADA'), LATER)).to.be.rejected;
    expect((await accounts().get('app-1', 'acc-2'))?.userName).to.equal('bob');
  });

  it('disables an account in the column and in the attributes, keeping the rest', async function () {
    const attrs = spec('ada', { externalId: 'e', displayName: 'Ada', name: { givenName: 'Ada' } });
    await accounts().insert('app-1', 'acc-1', attrs, AT);
    await accounts().disable('app-1', 'acc-1', LATER);
    const got = await accounts().get('app-1', 'acc-1');
    expect(got).to.include({ active: false, userName: 'ada', externalId: 'e' });
    expect(got?.doc).to.deep.equal({ ...attrs, active: false });
    await accounts().disable('app-1', 'acc-1', LATER); // again: nothing more to do
    expect((await accounts().get('app-1', 'acc-1'))?.doc).to.deep.equal({ ...attrs, active: false });
    await accounts().disable('app-1', 'nope', LATER);
    expect(await accounts().get('app-1', 'nope')).to.equal(undefined);
  });

  it('deletes an account of one app only, and ignores an unknown one', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await accounts().insert('app-2', 'acc-1', spec('ada'), AT);
    await accounts().delete('app-1', 'acc-1');
    await accounts().delete('app-1', 'nope');
    expect(await accounts().get('app-1', 'acc-1')).to.equal(undefined);
    expect(await accounts().get('app-2', 'acc-1')).to.not.equal(undefined);
    await accounts().insert('app-1', 'acc-2', spec('ADA'), AT); // the userName is free again
  });

  it('changes entitlements (sorted, deduplicated), and answers false for an unknown account', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    expect(await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('writer'), AT)).to.equal(true);
    expect(await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('admin'), AT)).to.equal(true);
    expect(await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('writer'), AT)).to.equal(true);
    expect((await accounts().get('app-1', 'acc-1'))?.entitlements).to.deep.equal(['admin', 'writer']);
    await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.delete('admin'), AT);
    await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.delete('never-held'), AT);
    expect((await accounts().get('app-1', 'acc-1'))?.entitlements).to.deep.equal(['writer']);
    let called = false;
    const changed = await accounts().changeEntitlements('app-1', 'nope', () => (called = true), AT);
    expect(changed).to.equal(false);
    expect(called).to.equal(false);
    expect((await accounts().list('app-1')).map((a) => a.entitlements)).to.deep.equal([['writer']]);
  });

  it('leaves the entitlements as they were when the change throws', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('reader'), AT);
    await expect(
      accounts().changeEntitlements(
        'app-1',
        'acc-1',
        (held) => {
          held.clear();
          throw new Error('no');
        },
        LATER,
      ),
    ).to.be.rejectedWith('no');
    expect((await accounts().get('app-1', 'acc-1'))?.entitlements).to.deep.equal(['reader']);
  });

  it('loses no entitlement when many changes to one account run at the same time', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('old'), AT);
    const names = Array.from({ length: 24 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    const results = await Promise.all([
      ...names.map((e) => accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add(e), AT)),
      accounts().changeEntitlements('app-1', 'acc-1', (held) => held.delete('old'), AT),
    ]);
    expect(results.every((r) => r)).to.equal(true);
    expect((await accounts().get('app-1', 'acc-1'))?.entitlements).to.deep.equal(names);
  });

  it('loses neither a disable, an update nor an entitlement change of one account that run at the same time', async function () {
    const ids = Array.from({ length: 8 }, (_, i) => `acc-${i}`);
    for (const id of ids) await accounts().insert('app-1', id, spec(`user-${id}`, { displayName: 'Old' }), AT);
    await Promise.all(
      ids.flatMap((id) => [
        accounts().disable('app-1', id, LATER),
        accounts().update('app-1', id, spec(`user-${id}`, { displayName: 'New' }), LATER),
        accounts().changeEntitlements('app-1', id, (held) => held.add('reader'), LATER),
      ]),
    );
    for (const id of ids) {
      const got = await accounts().get('app-1', id);
      // Disabled then updated (active again), or updated then disabled: never the old attributes written back.
      expect(got?.doc).to.deep.equal(spec(`user-${id}`, { displayName: 'New', active: got?.active ?? true }));
      expect(got?.entitlements).to.deep.equal(['reader']);
    }
  });

  it('rolls an entitlement change back with the transaction it ran in', async function () {
    await accounts().insert('app-1', 'acc-1', spec('ada'), AT);
    await expect(
      ctx.stores.atomically(async () => {
        await accounts().changeEntitlements('app-1', 'acc-1', (held) => held.add('reader'), AT);
        throw new Error('later failure');
      }),
    ).to.be.rejectedWith('later failure');
    expect((await accounts().get('app-1', 'acc-1'))?.entitlements).to.deep.equal([]);
  });
});

describeEachStore('webhook deliveries', (ctx) => {
  const hooks = () => ctx.stores.webhooks;
  const event = (eventId: string, remoteId = 'acc-1', changeSeq = 0, appId = 'app-1') => ({
    appId,
    eventId,
    remoteId,
    type: 'account.updated',
    changeSeq,
  });
  const body = (sequence: number, createdAt: string) => JSON.stringify({ sequence, createdAt });
  const prepare = (eventId: string, remoteId = 'acc-1', changeSeq = 0, appId = 'app-1') =>
    hooks().prepare(event(eventId, remoteId, changeSeq, appId), body);
  const ids = (rows: WebhookDelivery[]) => rows.map((d) => d.eventId);

  it('builds a new event with the next sequence, and reads it back', async function () {
    const before = new Date().toISOString();
    let built: [number, string] | undefined;
    const first = await hooks().prepare(
      { appId: 'app-1', eventId: 'ev-1', remoteId: 'acc-1', type: 'account.created', changeSeq: 7 },
      (sequence, createdAt) => {
        built = [sequence, createdAt];
        return `body ${sequence}`;
      },
    );
    expect(built?.[0]).to.equal(1);
    expect(first).to.deep.equal({
      appId: 'app-1',
      eventId: 'ev-1',
      remoteId: 'acc-1',
      sequence: 1,
      type: 'account.created',
      body: 'body 1',
      createdAt: built?.[1],
      attempts: 0,
      lastStatus: null,
      lastError: null,
      lastAttemptAt: null,
      deliveredAt: null,
      deadLetteredAt: null,
      changeSeq: 7,
    });
    expect(first.createdAt >= before).to.equal(true);
    expect(await hooks().get('app-1', 'ev-1')).to.deep.equal(first);
    expect(await hooks().get('app-1', 'nope')).to.equal(undefined);
    expect(await hooks().get('app-2', 'ev-1')).to.equal(undefined);
  });

  it('answers a retry with the event as first built, without building it again', async function () {
    const first = await prepare('ev-1');
    await prepare('ev-2');
    const again = await hooks().prepare({ ...event('ev-1'), type: 'other', changeSeq: 3 }, () => {
      throw new Error('must not build');
    });
    expect(again).to.deep.equal(first);
  });

  it('numbers each account of each app on its own: 1, 2, 3…', async function () {
    expect((await prepare('a1', 'acc-1')).sequence).to.equal(1);
    expect((await prepare('b1', 'acc-2')).sequence).to.equal(1);
    expect((await prepare('a2', 'acc-1')).sequence).to.equal(2);
    expect((await prepare('x1', 'acc-1', 0, 'app-2')).sequence).to.equal(1);
    expect((await prepare('a3', 'acc-1')).sequence).to.equal(3);
    expect((await prepare('b2', 'acc-2')).sequence).to.equal(2);
  });

  it('refuses a new event for an older change than one built for the account, and nothing is stored', async function () {
    await prepare('ev-5', 'acc-1', 5);
    await prepare('ev-other', 'acc-2', 9);
    const err = await prepare('ev-3', 'acc-1', 3).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StaleWebhookEventError);
    expect(err).to.include({ changeSeq: 3, newerSeq: 5 });
    expect((err as Error).message).to.equal(
      'an event for change 5 was already built for this account: change 3 is stale',
    );
    expect(await hooks().get('app-1', 'ev-3')).to.equal(undefined);
    // The same change, a newer one, or no change known still go out, under the next numbers.
    expect((await prepare('ev-5b', 'acc-1', 5)).sequence).to.equal(2);
    expect((await prepare('ev-0', 'acc-1', 0)).sequence).to.equal(3);
    expect((await prepare('ev-6', 'acc-1', 6)).sequence).to.equal(4);
    await expect(prepare('ev-8', 'acc-2', 8)).to.be.rejectedWith(StaleWebhookEventError);
  });

  it('stores nothing when building the body throws, and the number is not used up', async function () {
    await expect(
      hooks().prepare(event('ev-1'), () => {
        throw new Error('cannot build');
      }),
    ).to.be.rejectedWith('cannot build');
    expect(await hooks().get('app-1', 'ev-1')).to.equal(undefined);
    expect((await prepare('ev-1')).sequence).to.equal(1);
  });

  it('gives events prepared for one account at the same time distinct consecutive sequences', async function () {
    await prepare('ev-0', 'acc-1', 1);
    const n = 30;
    const built = await Promise.all([
      ...Array.from({ length: n }, (_, i) => prepare(`ev-${i + 1}`, 'acc-1', 1)),
      ...Array.from({ length: 5 }, (_, i) => prepare(`other-${i}`, 'acc-2', 1)),
    ]);
    const mine = built.filter((d) => d.remoteId === 'acc-1').map((d) => d.sequence);
    expect([...mine].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: n }, (_, i) => i + 2));
    const others = built.filter((d) => d.remoteId === 'acc-2').map((d) => d.sequence);
    expect([...others].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
    for (const d of built) expect(JSON.parse(d.body)).to.deep.equal({ sequence: d.sequence, createdAt: d.createdAt });
  });

  it('builds an event prepared twice at the same time once', async function () {
    let builds = 0;
    const build = (sequence: number) => `body ${sequence} #${++builds}`;
    const both = await Promise.all(Array.from({ length: 6 }, () => hooks().prepare(event('ev-1'), build)));
    expect(builds).to.equal(1);
    for (const d of both) expect(d).to.deep.equal(both[0]);
    expect(both[0]).to.include({ sequence: 1, body: 'body 1 #1' });
  });

  it('refuses a stale event racing a newer one for the same account, never numbering it after the newer', async function () {
    // Connections open first (other accounts' events), so that the two really run side by side on PostgreSQL.
    await Promise.all(Array.from({ length: 4 }, (_, i) => prepare(`warm-${i}`, `acc-w${i}`)));
    const results = await Promise.allSettled([prepare('new', 'acc-1', 10), prepare('old', 'acc-1', 4)]);
    const built = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (refused.length > 0) {
      expect(refused).to.have.length(1);
      expect(refused[0]).to.be.instanceOf(StaleWebhookEventError);
      expect(ids(built)).to.deep.equal(['new']);
    } else {
      // The old one went first: it holds the lower number.
      expect(built.map((d) => [d.eventId, d.sequence])).to.deep.equal([
        ['new', 2],
        ['old', 1],
      ]);
    }
  });

  it('moves the group feed cursor forward only, per app', async function () {
    expect(await hooks().groupFeedCursor('app-1')).to.equal(0);
    await hooks().advanceGroupFeed('app-1', 5);
    expect(await hooks().groupFeedCursor('app-1')).to.equal(5);
    await hooks().advanceGroupFeed('app-1', 3);
    expect(await hooks().groupFeedCursor('app-1')).to.equal(5);
    await hooks().advanceGroupFeed('app-1', 9);
    await hooks().advanceGroupFeed('app-2', 2);
    expect(await hooks().groupFeedCursor('app-1')).to.equal(9);
    expect(await hooks().groupFeedCursor('app-2')).to.equal(2);
    await Promise.all([40, 12, 33, 7].map((seq) => hooks().advanceGroupFeed('app-3', seq)));
    expect(await hooks().groupFeedCursor('app-3')).to.equal(40);
  });

  it('records attempts: failures, then the acknowledgement, whose time stays the first one', async function () {
    await prepare('ev-1');
    await hooks().attempted('app-1', 'ev-1', { status: 503, error: 'HTTP 503' });
    const failed = await hooks().get('app-1', 'ev-1');
    expect(failed).to.include({ attempts: 1, lastStatus: 503, lastError: 'HTTP 503', deliveredAt: null });
    expect(failed?.lastAttemptAt).to.be.a('string');
    await hooks().attempted('app-1', 'ev-1', { status: 0, error: 'timeout' });
    expect(await hooks().get('app-1', 'ev-1')).to.include({ attempts: 2, lastStatus: 0, lastError: 'timeout' });
    await hooks().attempted('app-1', 'ev-1', { status: 200 });
    const acked = await hooks().get('app-1', 'ev-1');
    expect(acked).to.include({ attempts: 3, lastStatus: 200, lastError: null });
    expect(acked?.deliveredAt).to.equal(acked?.lastAttemptAt);
    await sleep(5);
    await hooks().attempted('app-1', 'ev-1', { status: 204 });
    const again = await hooks().get('app-1', 'ev-1');
    expect(again).to.include({ attempts: 4, lastStatus: 204, deliveredAt: acked?.deliveredAt });
    expect(again?.lastAttemptAt).to.not.equal(acked?.deliveredAt);
    // A failure after the acknowledgement does not take it back.
    await hooks().attempted('app-1', 'ev-1', { status: 500, error: 'late' });
    expect(await hooks().get('app-1', 'ev-1')).to.include({ attempts: 5, deliveredAt: acked?.deliveredAt });
    await hooks().attempted('app-1', 'nope', { status: 200 });
    expect(await hooks().get('app-1', 'nope')).to.equal(undefined);
  });

  it('counts every attempt made at the same time', async function () {
    await prepare('ev-1');
    await Promise.all(
      Array.from({ length: 12 }, () => hooks().attempted('app-1', 'ev-1', { status: 500, error: 'x' })),
    );
    expect(await hooks().get('app-1', 'ev-1')).to.include({ attempts: 12 });
  });

  it('dead-letters an unacknowledged event once, and never an acknowledged one', async function () {
    await prepare('ev-1');
    await prepare('ev-2');
    await hooks().attempted('app-1', 'ev-2', { status: 200 });
    await hooks().deadLetter('app-1', 'ev-1');
    await hooks().deadLetter('app-1', 'ev-2');
    const dead = await hooks().get('app-1', 'ev-1');
    expect(dead?.deadLetteredAt).to.be.a('string');
    expect((await hooks().get('app-1', 'ev-2'))?.deadLetteredAt).to.equal(null);
    await sleep(5);
    await hooks().deadLetter('app-1', 'ev-1');
    expect((await hooks().get('app-1', 'ev-1'))?.deadLetteredAt).to.equal(dead?.deadLetteredAt);
    await hooks().deadLetter('app-1', 'nope');
  });

  it('redelivers dead-lettered events (newest first, as they were), those picked or all, once', async function () {
    for (const id of ['ev-1', 'ev-2', 'ev-3']) await prepare(id);
    await prepare('ev-b', 'acc-2');
    await prepare('ev-x', 'acc-1', 0, 'app-2');
    for (const id of ['ev-1', 'ev-3', 'ev-b']) await hooks().deadLetter('app-1', id);
    await hooks().deadLetter('app-2', 'ev-x');
    const picked = await hooks().redeliver('app-1', (d) => d.remoteId === 'acc-1');
    expect(ids(picked)).to.deep.equal(['ev-3', 'ev-1']);
    for (const d of picked) expect(d.deadLetteredAt).to.be.a('string');
    expect((await hooks().get('app-1', 'ev-3'))?.deadLetteredAt).to.equal(null);
    expect(ids(await hooks().list('app-1', { dead: true }))).to.deep.equal(['ev-b']);
    expect(ids(await hooks().redeliver('app-1'))).to.deep.equal(['ev-b']);
    expect(await hooks().redeliver('app-1')).to.deep.equal([]);
    expect(ids(await hooks().list('app-2', { dead: true }))).to.deep.equal(['ev-x']);
    expect(await hooks().redeliver('app-3')).to.deep.equal([]);
  });

  it('hands each dead-lettered event to one of several redelivers running at the same time', async function () {
    const all = Array.from({ length: 10 }, (_, i) => `ev-${i + 1}`);
    await Promise.all(
      all.map(async (id) => {
        await prepare(id, `acc-${id}`);
        await hooks().deadLetter('app-1', id);
      }),
    );
    const [a, b, c] = await Promise.all([
      hooks().redeliver('app-1'),
      hooks().redeliver('app-1'),
      hooks().redeliver('app-1'),
    ]);
    expect([...ids(a), ...ids(b), ...ids(c)].sort()).to.deep.equal(all.sort());
    expect(await hooks().list('app-1', { dead: true })).to.deep.equal([]);
  });

  it("lists an account's unacknowledged events before a sequence, oldest first", async function () {
    for (let i = 1; i <= 5; i++) await prepare(`ev-${i}`);
    await prepare('ev-b1', 'acc-2');
    await prepare('ev-x1', 'acc-1', 0, 'app-2');
    await hooks().attempted('app-1', 'ev-2', { status: 200 });
    await hooks().deadLetter('app-1', 'ev-3');
    expect(ids(await hooks().pendingBefore('app-1', 'acc-1', 5))).to.deep.equal(['ev-1', 'ev-3', 'ev-4']);
    expect(ids(await hooks().pendingBefore('app-1', 'acc-1', 1))).to.deep.equal([]);
    expect(ids(await hooks().pendingBefore('app-1', 'acc-1', 100))).to.deep.equal(['ev-1', 'ev-3', 'ev-4', 'ev-5']);
    expect(ids(await hooks().pendingBefore('app-1', 'acc-2', 100))).to.deep.equal(['ev-b1']);
    expect(await hooks().pendingBefore('app-1', 'acc-9', 100)).to.deep.equal([]);
  });

  it('lists an app newest first: all, pending, dead, one account, at most a limit', async function () {
    await prepare('a1', 'acc-a');
    await sleep(3);
    await prepare('b1', 'acc-b');
    await sleep(3);
    await prepare('a2', 'acc-a');
    await sleep(3);
    await prepare('b2', 'acc-b');
    await prepare('x1', 'acc-a', 0, 'app-2');
    await hooks().attempted('app-1', 'b1', { status: 200 });
    await hooks().deadLetter('app-1', 'a1');
    expect(ids(await hooks().list('app-1'))).to.deep.equal(['b2', 'a2', 'b1', 'a1']);
    expect(ids(await hooks().list('app-1', { pending: true }))).to.deep.equal(['b2', 'a2', 'a1']);
    expect(ids(await hooks().list('app-1', { dead: true }))).to.deep.equal(['a1']);
    expect(ids(await hooks().list('app-1', { remoteId: 'acc-b' }))).to.deep.equal(['b2', 'b1']);
    expect(ids(await hooks().list('app-1', { remoteId: 'acc-a', pending: true, limit: 1 }))).to.deep.equal(['a2']);
    expect(ids(await hooks().list('app-1', { limit: 2 }))).to.deep.equal(['b2', 'a2']);
    expect(ids(await hooks().list('app-1', { pending: true, dead: true, remoteId: 'acc-a' }))).to.deep.equal(['a1']);
    expect(await hooks().list('app-1', { remoteId: 'nobody' })).to.deep.equal([]);
    expect(await hooks().list('app-9')).to.deep.equal([]);
    const [newest] = await hooks().list('app-1');
    expect(newest).to.deep.equal(await hooks().get('app-1', 'b2'));
  });

  it('breaks a tie of creation time by sequence, newest first, and lists 100 by default', async function () {
    // Prepared back to back, many share a millisecond: the sequence orders them.
    for (let i = 1; i <= 105; i++) await prepare(`ev-${i}`);
    const listed = await hooks().list('app-1');
    expect(listed).to.have.length(100);
    expect(listed.map((d) => d.sequence)).to.deep.equal(Array.from({ length: 100 }, (_, i) => 105 - i));
  });
});
