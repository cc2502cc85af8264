// test/unit/connectors/worker-share.test.ts: one slow app's share of a worker's slots (pure, with a fake clock).
import { expect } from 'chai';
import { SLOW_AFTER_MS, WorkerShare, shareOf } from '../../../connectors/worker-share';

describe('WorkerShare', function () {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  it('holds a slow app to its share, with a wait as long as its oldest request has waited', async function () {
    const share = new WorkerShare({ scheduled: 2, local: 1 }, clock, () => 0);
    const gate = share.gate('hanging', () => false);
    const a = await gate.enter();
    now += 4_000;
    const b = await gate.enter();
    expect(a.ok && b.ok).to.equal(true);
    now += 3_000;
    expect(await gate.enter()).to.deep.equal({
      ok: false,
      waitMs: 7_000,
      reason: '2 requests in flight from this worker (its share is 2)',
    });
    if (a.ok) await gate.leave(a.ticket, 'answered');
    expect((await gate.enter()).ok, 'a slot freed is a slot usable').to.equal(true);
  });

  it('lets a fast app past its share: only an app whose oldest request waits a second is slow', async function () {
    const gate = new WorkerShare({ scheduled: 2, local: 2 }, clock).gate('busy', () => false);
    for (let i = 0; i < 50; i += 1) expect((await gate.enter()).ok, `call ${i}`).to.equal(true);
    now += SLOW_AFTER_MS - 1;
    expect((await gate.enter()).ok).to.equal(true);
    now += 1;
    expect((await gate.enter()).ok).to.equal(false);
  });

  it('keeps the wait between 0.5 s and 30 s before spreading it by up to half', async function () {
    let random = 0;
    const share = new WorkerShare({ scheduled: 1, local: 1 }, clock, () => random);
    const gate = share.gate('app', () => false);
    await gate.enter();
    now += SLOW_AFTER_MS;
    expect(await gate.enter()).to.deep.include({ ok: false, waitMs: 1_000 });
    now += 120_000;
    expect(await gate.enter()).to.deep.include({ ok: false, waitMs: 30_000 });
    random = 0.999; // spread upwards by up to half, so refusals made together come back apart
    expect(await gate.enter()).to.deep.include({ ok: false, waitMs: 44_985 });
  });

  it('counts apps, and fast (local) and scheduled attempts, apart', async function () {
    const share = new WorkerShare({ scheduled: 1, local: 1 }, clock);
    let local = false;
    const hanging = share.gate('hanging', () => local);
    const healthy = share.gate('healthy', () => local);
    expect((await hanging.enter()).ok).to.equal(true);
    local = true;
    expect((await hanging.enter()).ok, 'fast attempts have their own share').to.equal(true);
    now += SLOW_AFTER_MS;
    local = false;
    expect((await hanging.enter()).ok).to.equal(false);
    expect((await healthy.enter()).ok, 'another app is not affected').to.equal(true);
    local = true;
    // A refused fast attempt waits for nothing: the step goes on as a scheduled activity.
    expect(await hanging.enter()).to.deep.include({ ok: false, waitMs: 0 });
  });

  it('ignores a null ticket and an unknown one', async function () {
    const gate = new WorkerShare({ scheduled: 1, local: 1 }, clock).gate('app', () => false);
    await gate.leave(null, 'answered');
    await gate.leave('other/scheduled#9', 'answered');
    expect((await gate.enter()).ok).to.equal(true);
  });

  it('sizes the share at a quarter of each pool, never below 2', async function () {
    expect(shareOf({ activities: 100, localActivities: 100 })).to.deep.equal({ scheduled: 25, local: 25 });
    expect(shareOf({ activities: 4, localActivities: 3 })).to.deep.equal({ scheduled: 2, local: 2 });
  });
});
