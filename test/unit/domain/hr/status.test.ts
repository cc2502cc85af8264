// test/unit/domain/hr/status.test.ts: what HR says of a person at an instant, folded from the events in force.
import { expect } from 'chai';
import fc from 'fast-check';
import type { HrFact } from '../../../../domain/hr/status';
import { hrHold, hrStatusAt } from '../../../../domain/hr/status';

const at = (iso: string) => new Date(iso);
let seq = 0;
const fact = (type: HrFact['type'], effectiveAt: string, extra: Partial<HrFact> = {}): HrFact => ({
  eventId: `e${++seq}`,
  type,
  effectiveAt,
  seq,
  ...extra,
});

describe('hrStatusAt', function () {
  it('holds a termination from its effective instant, not before, and names the next change', function () {
    const facts = [fact('termination', '2026-12-10T17:00:00.000Z')];
    const before = hrStatusAt(facts, at('2026-12-10T16:59:59.999Z'));
    expect(before.terminated).to.equal(null);
    expect(before.nextChangeAt).to.equal('2026-12-10T17:00:00.000Z');
    const after = hrStatusAt(facts, at('2026-12-10T17:00:00.000Z'));
    expect(after.terminated?.at).to.equal('2026-12-10T17:00:00.000Z');
    expect(after.nextChangeAt).to.equal(null);
    expect(hrHold(after)).to.include({ reason: 'terminated' });
  });

  it('lifts a termination only with a rehire that takes effect after it', function () {
    const t = fact('termination', '2026-12-10T00:00:00.000Z');
    const early = fact('rehire', '2026-12-09T00:00:00.000Z');
    expect(hrStatusAt([t, early], at('2026-12-11T00:00:00Z')).terminated).to.not.equal(null);
    const later = fact('rehire', '2026-12-12T00:00:00.000Z');
    expect(hrStatusAt([t, later], at('2026-12-11T00:00:00Z')).terminated).to.not.equal(null);
    expect(hrStatusAt([t, later], at('2026-12-12T00:00:00Z')).terminated).to.equal(null);
  });

  it('suspends during a leave until the return; a termination outranks a leave', function () {
    const leave = fact('leave.started', '2026-01-01T00:00:00.000Z');
    const back = fact('leave.ended', '2026-02-01T00:00:00.000Z');
    expect(hrHold(hrStatusAt([leave, back], at('2026-01-15T00:00:00Z')))).to.include({ reason: 'on-leave' });
    expect(hrHold(hrStatusAt([leave, back], at('2026-02-02T00:00:00Z')))).to.equal(null);
    const t = fact('termination', '2026-01-10T00:00:00.000Z');
    expect(hrHold(hrStatusAt([leave, t, back], at('2026-02-02T00:00:00Z')))).to.include({ reason: 'terminated' });
  });

  it('applies movers in order, the last one per field winning', function () {
    const facts = [
      fact('mover', '2026-01-02T00:00:00.000Z', { changes: { department: 'Sales', title: 'AE' } }),
      fact('mover', '2026-01-01T00:00:00.000Z', { changes: { department: 'Support' } }),
      fact('mover', '2026-03-01T00:00:00.000Z', { changes: { title: null } }),
    ];
    expect(hrStatusAt(facts, at('2026-02-01T00:00:00Z')).attributes).to.deep.equal({
      department: 'Sales',
      title: 'AE',
    });
    expect(hrStatusAt(facts, at('2026-04-01T00:00:00Z')).attributes).to.deep.equal({
      department: 'Sales',
      title: null,
    });
  });

  it('does not depend on the order facts are given in (property)', function () {
    const types = ['termination', 'rehire', 'leave.started', 'leave.ended'] as const;
    const arbFact = fc.record({
      type: fc.constantFrom(...types),
      day: fc.integer({ min: 1, max: 28 }),
    });
    fc.assert(
      fc.property(fc.array(arbFact, { maxLength: 8 }), fc.integer({ min: 1, max: 28 }), (raw, nowDay) => {
        const facts = raw.map((r, i) => ({
          eventId: `p${i}`,
          type: r.type,
          effectiveAt: `2026-01-${String(r.day).padStart(2, '0')}T00:00:00.000Z`,
          seq: i + 1,
        }));
        const now = at(`2026-01-${String(nowDay).padStart(2, '0')}T12:00:00.000Z`);
        expect(hrStatusAt([...facts].reverse(), now)).to.deep.equal(hrStatusAt(facts, now));
        const status = hrStatusAt(facts, now);
        // The next change is always in the future, and the earliest one there.
        const future = facts
          .map((f) => f.effectiveAt)
          .filter((t) => t > now.toISOString())
          .sort();
        expect(status.nextChangeAt).to.equal(future[0] ?? null);
      }),
    );
  });
});
