// test/unit/testkit/limited-scim-app-flap.test.ts: the flapping fault's phases (pure).
import { expect } from 'chai';
import { flapIsDown } from '../../../testkit/limited-scim-app-faults';

describe('limited SCIM app: flapIsDown', function () {
  const flap = { upMs: 100, downMs: 300, how: 'unavailable' as const };

  it('is down for downMs, then up for upMs, and repeats', function () {
    expect([0, 299, 300, 399, 400, 699, 700].map((t) => flapIsDown(flap, t))).to.deep.equal([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('is never down without the fault', function () {
    expect(flapIsDown(false, 250)).to.equal(false);
  });
});
