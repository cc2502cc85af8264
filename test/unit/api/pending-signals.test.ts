// test/unit/api/pending-signals.test.ts: the poker's queue: one entry per identity, newest seq, leavers first.
import { expect } from 'chai';
import { PendingSignals, priorityOf } from '../../../api/pending-signals';

const at = (identityId: string, seq: number, priority?: 'leaver' | 'rejoin') => ({
  directoryId: 'd',
  identityId,
  seq,
  ...(priority ? { priority } : {}),
});
const drain = (q: PendingSignals, busy: (key: string) => boolean = () => false) => {
  const out: string[] = [];
  for (let next = q.take(busy); next; next = q.take(busy)) out.push(`${next.signal.identityId}@${next.signal.seq}`);
  return out;
};

describe('PendingSignals (the poker queue)', function () {
  it('classifies deactivations and deletions as leavers and reactivations as rejoins', function () {
    expect(priorityOf('deactivated')).to.equal('leaver');
    expect(priorityOf('deleted')).to.equal('leaver');
    expect(priorityOf('reactivated')).to.equal('rejoin');
    expect(priorityOf('created')).to.equal(undefined);
    expect(priorityOf('policy')).to.equal(undefined);
  });

  it('hands out leavers before every joiner queued earlier, each queue in arrival order', function () {
    const q = new PendingSignals();
    for (let i = 0; i < 1_000; i += 1) q.add(at(`joiner${i}`, i + 1));
    q.add(at('leaver-a', 2_000, 'leaver'));
    q.add(at('leaver-b', 2_001, 'leaver'));
    const order = drain(q);
    expect(order.slice(0, 3)).to.deep.equal(['leaver-a@2000', 'leaver-b@2001', 'joiner0@1']);
    expect(order).to.have.length(1_002);
  });

  it('keeps one entry per identity with the newest seq; a later plain update keeps the leaver in front', function () {
    const q = new PendingSignals();
    q.add(at('other', 1));
    q.add(at('u', 2, 'leaver'));
    q.add(at('u', 3));
    expect(q.size).to.equal(2);
    const first = q.take(() => false)!;
    expect(first.signal).to.deep.equal(at('u', 3, 'leaver'));
  });

  it('carries the request id of the newest event that had one', function () {
    const q = new PendingSignals();
    q.add({ ...at('u', 2), requestId: 'req-2' });
    q.add(at('u', 3)); // recorded outside a request (the CLI): the workflow still hears of the newest request
    expect(q.take(() => false)!.signal).to.include({ seq: 3, requestId: 'req-2' });
    q.add({ ...at('u', 5), requestId: 'req-5' });
    q.add({ ...at('u', 4), requestId: 'req-4' }); // an older event arriving late changes nothing
    expect(q.take(() => false)!.signal).to.include({ seq: 5, requestId: 'req-5' });
  });

  it('moves a leaver back among the others when it rejoins before its signal went out', function () {
    const q = new PendingSignals();
    q.add(at('other', 1));
    q.add(at('u', 2, 'leaver'));
    q.add(at('u', 3, 'rejoin'));
    expect(drain(q)).to.deep.equal(['other@1', 'u@3']);
  });

  it('never lets an older event lower the seq or drop the priority change', function () {
    const q = new PendingSignals();
    q.add(at('u', 5));
    q.add(at('u', 4, 'leaver'));
    expect(q.take(() => false)!.signal).to.deep.equal(at('u', 5, 'leaver'));
  });

  it('skips identities with a signal in flight, and hands them out once free', function () {
    const q = new PendingSignals();
    q.add(at('busy', 1, 'leaver'));
    q.add(at('free', 2));
    expect(drain(q, (key) => key === 'd/busy')).to.deep.equal(['free@2']);
    expect(drain(q)).to.deep.equal(['busy@1']);
  });
});
