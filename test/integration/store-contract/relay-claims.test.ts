// test/integration/store-contract/relay-claims.test.ts: the relay's claims on undelivered events behave the same on
// SQLite and PostgreSQL: what is old enough or handed over is claimed once until its lease ends, never what is
// delivered; two relays claiming at once (two processes) take different events; wake-ups reach the relay.
import { expect } from 'chai';
import type { EventRow, NewEvent, RelayClaim } from '../../../store/event-log';
import { HANDED_OVER } from '../../../store/event-log';
import { describeEachStore, openOther } from '../../helpers/store-kinds';

const T0 = '2026-12-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const ev = (identityId: string, kind: NewEvent['kind'] = 'updated'): NewEvent => ({
  identityId,
  resourceType: 'User',
  kind,
});
/** A relay's claim at `now` seconds: events older than 10 s, held for 30 s. */
const claimAt = (now: number, limit = 100): RelayClaim => ({
  before: at(now - 10),
  now: at(now),
  until: at(now + 30),
  limit,
});
const ids = (rows: EventRow[]) => rows.map((e) => [e.identityId, e.seq]);

describeEachStore('relay claims', (ctx) => {
  let dir: string;
  const events = () => ctx.stores.events;
  beforeEach(async function () {
    dir = (await ctx.stores.directories.create({ name: 'relay', dialect: 'generic' })).directory.id;
  });

  it('claims what is old enough, per identity (newest seq, oldest kind), once until the lease ends', async function () {
    await events().append(dir, [ev('a', 'created')], at(0));
    await events().append(dir, [ev('b', 'deactivated'), ev('a')], at(1));
    await events().append(dir, [ev('young', 'created')], at(15)); // 5 s old at 20 s: still its writer's
    const first = await events().claimUndelivered(claimAt(20));
    expect(first.map((e) => [e.identityId, e.seq, e.kind, e.createdAt])).to.deep.equal([
      ['a', 3, 'created', at(0)],
      ['b', 2, 'deactivated', at(1)],
    ]);
    expect(await events().claimUndelivered(claimAt(21))).to.deep.equal([]); // held by the claim
    expect(ids(await events().claimUndelivered(claimAt(51)))).to.deep.equal([
      ['a', 3],
      ['b', 2],
      ['young', 4],
    ]); // a's and b's lease ended at 50 s; young is old enough now
  });

  it('never claims what was delivered, and claims a handed-over event at once, whatever its age', async function () {
    await events().append(dir, [ev('done', 'created'), ev('fresh', 'created')], at(0));
    await events().markDelivered(dir, 'done', 1, at(1));
    await events().relayFrom([{ directoryId: dir, identityId: 'fresh', seq: 2 }], HANDED_OVER);
    expect(ids(await events().claimUndelivered(claimAt(2)))).to.deep.equal([['fresh', 2]]);
    expect(await events().claimUndelivered(claimAt(3))).to.deep.equal([]);
  });

  it('defers a relay’s failed event to the time it is given (not before), then claims it', async function () {
    await events().append(dir, [ev('a', 'created')], at(0));
    expect(ids(await events().claimUndelivered(claimAt(20)))).to.deep.equal([['a', 1]]);
    await events().relayFrom([{ directoryId: dir, identityId: 'a', seq: 1 }], at(25)); // its poke failed at 20 s
    expect(await events().claimUndelivered(claimAt(24))).to.deep.equal([]);
    expect(ids(await events().claimUndelivered(claimAt(26)))).to.deep.equal([['a', 1]]);
  });

  it('hands over only the events up to the seq given, and only undelivered ones', async function () {
    await events().append(dir, [ev('a', 'created'), ev('a'), ev('a')], at(0));
    await events().markDelivered(dir, 'a', 1, at(0));
    await events().relayFrom([{ directoryId: dir, identityId: 'a', seq: 2 }], HANDED_OVER);
    expect(ids(await events().claimUndelivered(claimAt(1)))).to.deep.equal([['a', 2]]); // seq 3 is still its writer's
  });

  it('gives two relays claiming at the same moment (two processes) different events, together all of them', async function () {
    const other = await openOther(ctx.stores, ctx.target);
    try {
      for (let i = 0; i < 40; i++) await events().append(dir, [ev(`u${i}`, 'created')], at(i % 5));
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? ctx.stores : other.stores).events.claimUndelivered(claimAt(20, 10)),
        ),
      );
      const claimed = claims.flat().map((e) => e.identityId);
      expect(claimed).to.have.length(40);
      expect(new Set(claimed).size).to.equal(40);
    } finally {
      await other.close();
    }
  });

  it('wakes the relay when a writer hands events over', async function () {
    let woken = 0;
    const unsubscribe = await events().onRelayWake(() => (woken += 1));
    try {
      // PostgreSQL listens on a connection of its own: the LISTEN may take a moment to be in place.
      const deadline = Date.now() + 10_000;
      while (woken === 0 && Date.now() < deadline) {
        await events().wakeRelays();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(woken).to.be.greaterThan(0);
    } finally {
      unsubscribe();
    }
  });
});
