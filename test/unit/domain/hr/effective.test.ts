// test/unit/domain/hr/effective.test.ts: HR effective times: offsets, IANA zones, DST gaps and overlaps, bad input.
import { expect } from 'chai';
import { EffectiveTimeError, parseEffective } from '../../../../domain/hr/effective';

describe('parseEffective', function () {
  it('takes RFC 3339 with Z or an offset exactly', function () {
    expect(parseEffective('2026-12-31T17:00:00Z').toISOString()).to.equal('2026-12-31T17:00:00.000Z');
    expect(parseEffective('2026-12-31T17:00:00+01:00').toISOString()).to.equal('2026-12-31T16:00:00.000Z');
    expect(parseEffective('2026-12-31T17:00:00.250-05:30').toISOString()).to.equal('2026-12-31T22:30:00.250Z');
    expect(parseEffective('2026-12-31t17:00z').toISOString()).to.equal('2026-12-31T17:00:00.000Z');
  });

  it('places a local time in its IANA zone, winter and summer', function () {
    expect(parseEffective('2026-01-15T09:00:00', 'Europe/Paris').toISOString()).to.equal('2026-01-15T08:00:00.000Z');
    expect(parseEffective('2026-07-15T09:00:00', 'Europe/Paris').toISOString()).to.equal('2026-07-15T07:00:00.000Z');
    expect(parseEffective('2026-07-15T09:00', 'America/Los_Angeles').toISOString()).to.equal(
      '2026-07-15T16:00:00.000Z',
    );
    expect(parseEffective('2026-07-15T09:00:00', 'Asia/Kolkata').toISOString()).to.equal('2026-07-15T03:30:00.000Z');
    expect(parseEffective('2026-07-15T09:00:00', 'UTC').toISOString()).to.equal('2026-07-15T09:00:00.000Z');
  });

  it('takes the earlier instant of a repeated local time and the instant after a skipped one', function () {
    // Paris, 25 Oct 2026: 02:30 happens twice (CEST then CET): the first, 00:30Z.
    expect(parseEffective('2026-10-25T02:30:00', 'Europe/Paris').toISOString()).to.equal('2026-10-25T00:30:00.000Z');
    // Paris, 29 Mar 2026: 02:30 does not exist (clocks jump 02:00 → 03:00): taken as 01:30Z (03:30 CEST).
    expect(parseEffective('2026-03-29T02:30:00', 'Europe/Paris').toISOString()).to.equal('2026-03-29T01:30:00.000Z');
  });

  it('refuses a local time without a zone, an unknown zone and impossible dates', function () {
    expect(() => parseEffective('2026-12-31T17:00:00')).to.throw(EffectiveTimeError, /no offset/);
    expect(() => parseEffective('2026-12-31T17:00:00', 'Mars/Olympus')).to.throw(
      EffectiveTimeError,
      /unknown time zone/,
    );
    expect(() => parseEffective('2026-02-30T10:00:00Z')).to.throw(EffectiveTimeError, /not a valid date-time/);
    expect(() => parseEffective('2026-12-31T24:00:00Z')).to.throw(EffectiveTimeError);
    expect(() => parseEffective('2026-12-31T10:00:00+25:00')).to.throw(EffectiveTimeError, /offset/);
    expect(() => parseEffective('tomorrow')).to.throw(EffectiveTimeError, /RFC 3339/);
    expect(() => parseEffective('2026-12-31')).to.throw(EffectiveTimeError);
  });
});
