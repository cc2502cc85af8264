// test/unit/domain/apps/mass-change.test.ts: the mass-change guard's share and minimum (pure).
import { expect } from 'chai';
import { guardOf, parseGuard, trips } from '../../../../domain/apps/mass-change';

describe('mass-change guard (domain/apps/mass-change.ts)', function () {
  it('parses N% or off, and refuses anything else with the flag named', function () {
    expect(parseGuard('20%')).to.deep.equal({ share: 0.2, minimum: 10 });
    expect(parseGuard('100%')).to.deep.equal({ share: 1, minimum: 10 });
    expect(parseGuard('off')).to.equal(null);
    for (const bad of ['0%', '101%', '20', '0.2', '', '20 %', '-5%'])
      expect(() => parseGuard(bad), bad).to.throw(/--mass-change-guard must be a share like 20%/);
  });

  it('trips past the share and only from the minimum count up', function () {
    const guard = parseGuard('20%');
    expect(trips(guard, 10, 49)).to.equal(true); // 20.4 %
    expect(trips(guard, 10, 50)).to.equal(false); // exactly 20 %
    expect(trips(guard, 9, 9)).to.equal(false); // under the minimum: a small app is never held
    expect(trips(null, 1000, 1000)).to.equal(false);
    expect(trips(parseGuard('100%'), 12, 12)).to.equal(false);
  });

  it('reads an app’s setting, 20% when none or a garbled one', function () {
    expect(guardOf({})).to.deep.equal({ share: 0.2, minimum: 10 });
    expect(guardOf({ massChangeGuard: 'off' })).to.equal(null);
    expect(guardOf({ massChangeGuard: '5%' })).to.deep.equal({ share: 0.05, minimum: 10 });
    expect(guardOf({ massChangeGuard: 'bogus' })).to.deep.equal({ share: 0.2, minimum: 10 });
  });
});
