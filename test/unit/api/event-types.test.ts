// test/unit/api/event-types.test.ts: the events API's type names and filters (pure), and the long poll's wake-up.
import { expect } from 'chai';
import { EVENT_TYPES, eventTypeOf, kindsOfTypes } from '../../../api/event-types';
import { LogWatch } from '../../../api/log-watch';
import type { EventKind } from '../../../store/event-log';

describe('events API types', function () {
  it('gives every kind of the log one public type, and every public type comes from one kind', function () {
    const kinds: EventKind[] = ['created', 'membership', 'group.deleted', 'hr.leaver', 'nhi', 'nhi.revoked', 'policy'];
    expect(kinds.map(eventTypeOf)).to.deep.equal([
      'user.created',
      'user.membership',
      'group.deleted',
      'user.hr.leaver',
      'nhi.changed',
      'nhi.revoked',
      'user.policy',
    ]);
    const all = kindsOfTypes(['user.*', 'group.*', 'nhi.*']);
    expect('kinds' in all && all.kinds.map(eventTypeOf).sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  it('reads exact types and families, and names what it does not know', function () {
    expect(kindsOfTypes(['user.deleted', 'group.created'])).to.deep.equal({ kinds: ['deleted', 'group.created'] });
    expect(kindsOfTypes(['user.hr.*'])).to.deep.equal({ kinds: ['hr', 'hr.leaver', 'hr.rejoin'] });
    expect(kindsOfTypes(['user.hr'])).to.deep.equal({ kinds: ['hr'] }); // exact: not the family
    expect(kindsOfTypes(['user.created', 'user.nope', 'deleted'])).to.deep.equal({ unknown: ['user.nope', 'deleted'] });
    expect(kindsOfTypes(['*'])).to.deep.equal({ unknown: ['*'] });
  });
});

describe('LogWatch', function () {
  it("wakes a wait on its directory's commit, not on another directory's, and ends on abort or time", async function () {
    const watch = new LogWatch();
    const never = new AbortController().signal;
    let woke = false;
    const waiting = watch.wait('d1', 60_000, never).then(() => (woke = true));
    watch.notify([{ directoryId: 'd2' }]);
    await new Promise((r) => setImmediate(r));
    expect(woke).to.equal(false);
    watch.notify([{ directoryId: 'd1' }, { directoryId: 'd1' }]);
    await waiting;
    expect(woke).to.equal(true);

    const abort = new AbortController();
    const aborted = watch.wait('d1', 60_000, abort.signal);
    abort.abort();
    await aborted; // resolves instead of hanging for a minute
    await watch.wait('d1', 5, never); // and on its own after the time given
  });
});
