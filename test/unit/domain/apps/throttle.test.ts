// test/unit/domain/apps/throttle.test.ts: the token bucket and the circuit breaker, as pure decisions over time.
import { expect } from 'chai';
import type { Breaker } from '../../../../domain/apps/throttle';
import { admit, afterCall, BREAKER_POLICY, CLOSED, parseRate, takeToken } from '../../../../domain/apps/throttle';

describe('app throttle', function () {
  describe('token bucket', function () {
    it('lets one second worth of requests through at once, then one per 1/rate', function () {
      let bucket = null;
      const results: boolean[] = [];
      for (let i = 0; i < 4; i += 1) {
        const taken = takeToken(bucket, 3, 1_000);
        results.push(taken.ok);
        bucket = taken.state;
      }
      expect(results).to.deep.equal([true, true, true, false]);
      const denied = takeToken(bucket, 3, 1_000);
      expect(denied).to.deep.include({ ok: false, waitMs: 334 });
      expect(takeToken(bucket, 3, 1_334).ok).to.equal(true);
    });

    it('never holds more than one second worth, however long it was idle', function () {
      const idle = takeToken({ tokens: 0, refilledAt: 0 }, 2, 3_600_000);
      expect(idle.state.tokens).to.equal(1);
    });

    it('lets a rate below one per second through once, then waits the whole period', function () {
      const first = takeToken(null, 0.5, 0);
      expect(first.ok).to.equal(true);
      expect(takeToken(first.state, 0.5, 0)).to.deep.include({ ok: false, waitMs: 2_000 });
    });

    it('parses --rate-limit as N, N/s or off, and refuses anything else', function () {
      expect(parseRate('5/s')).to.equal(5);
      expect(parseRate('2.5')).to.equal(2.5);
      expect(parseRate('off')).to.equal(undefined);
      for (const bad of ['0', '-1/s', 'fast', '5/m', '1e9']) expect(() => parseRate(bad), bad).to.throw(/--rate-limit/);
    });
  });

  describe('circuit breaker', function () {
    // The middle of the probe time's jitter: exactly the cooldown.
    const middle = () => 0.5;
    const failing = (breaker: Breaker, times: number, at: number) => {
      let b = breaker;
      for (let i = 0; i < times; i += 1) b = afterCall(b, 'transient', at, `HTTP 503 #${i}`, middle);
      return b;
    };

    it(`opens after ${BREAKER_POLICY.failuresToOpen} transient failures in a row, not before`, function () {
      const almost = failing(CLOSED, BREAKER_POLICY.failuresToOpen - 1, 0);
      expect(almost.state).to.equal('closed');
      expect(admit(almost, 0).ok).to.equal(true);
      const open = afterCall(almost, 'transient', 10, 'HTTP 503 last', middle);
      expect(open).to.deep.include({ state: 'open', openedAt: 10, lastError: 'HTTP 503 last' });
      expect(admit(open, 11)).to.deep.include({ ok: false, waitMs: BREAKER_POLICY.firstCooldownMs - 1 });
    });

    it('counts an answer, a refusal included, as the app being alive', function () {
      const some = failing(CLOSED, 3, 0);
      expect(afterCall(some, 'answered', 1)).to.deep.equal(CLOSED);
      expect(afterCall(CLOSED, 'answered', 1)).to.equal(CLOSED);
    });

    it('lets one probe through when the cooldown ends; a failed probe doubles the cooldown, a good one closes', function () {
      const open = failing(CLOSED, BREAKER_POLICY.failuresToOpen, 0);
      const probeTime = open.probeAt!;
      const probe = admit(open, probeTime);
      expect(probe.ok).to.equal(true);
      expect(probe.state.state).to.equal('half-open');
      expect(admit(probe.state, probeTime + 1).ok, 'one probe at a time').to.equal(false);

      const reopened = afterCall(probe.state, 'transient', probeTime + 5, 'still down', middle);
      expect(reopened).to.deep.include({ state: 'open', cooldownMs: 2 * BREAKER_POLICY.firstCooldownMs });
      expect(reopened.probeAt).to.equal(probeTime + 5 + 2 * BREAKER_POLICY.firstCooldownMs);

      const second = admit(reopened, reopened.probeAt!);
      expect(afterCall(second.state, 'answered', reopened.probeAt! + 1)).to.deep.equal(CLOSED);
    });

    it('does not lengthen the wait for calls that were already in flight when it opened (a burst)', function () {
      // Eight requests of a burst fail together: five open the circuit, three more report after it opened.
      const b = failing(CLOSED, 8, 100);
      expect(b).to.deep.include({ state: 'open', failures: 8, cooldownMs: BREAKER_POLICY.firstCooldownMs });
      expect(b.probeAt).to.equal(100 + BREAKER_POLICY.firstCooldownMs);
      expect(b.lastError).to.equal('HTTP 503 #7');
    });

    it('caps the cooldown, and lets a new probe go when the last one was lost', function () {
      let b = failing(CLOSED, BREAKER_POLICY.failuresToOpen, 0);
      for (let i = 0; i < 20; i += 1) b = afterCall(admit(b, b.probeAt!).state, 'transient', b.probeAt!, '', middle);
      expect(b.cooldownMs).to.equal(BREAKER_POLICY.maxCooldownMs);
      const probe = admit(b, b.probeAt!).state;
      expect(admit(probe, probe.probeAt!).ok, 'the probe never reported back').to.equal(true);
    });

    it('while a probe is out, refused calls come back within a second, not when the probe would count as lost', function () {
      let b = failing(CLOSED, BREAKER_POLICY.failuresToOpen, 0);
      for (let i = 0; i < 2; i += 1) b = afterCall(admit(b, b.probeAt!).state, 'transient', b.probeAt!, '', middle);
      expect(b.cooldownMs).to.equal(4 * BREAKER_POLICY.firstCooldownMs);
      // Open: the wait is the rest of the cooldown.
      expect(admit(b, b.probeAt! - 5_000)).to.deep.include({ ok: false, waitMs: 5_000 });
      const probe = admit(b, b.probeAt!).state;
      // Half-open: at most a second, so a probe that closes the circuit lets the backlog through at once.
      expect(admit(probe, b.probeAt! + 10)).to.deep.include({ ok: false, waitMs: BREAKER_POLICY.halfOpenRecheckMs });
      expect(admit(probe, probe.probeAt! - 300)).to.deep.include({ ok: false, waitMs: 300 });
      expect(admit(afterCall(probe, 'answered', b.probeAt! + 50), b.probeAt! + 1_010).ok).to.equal(true);
    });

    it('finds the up phase of an app that flaps on a fixed period, even at the longest cooldown', function () {
      // Up 40 % of a period that divides the longest cooldown (as 1.5 s, the flapping app of app-limits.test.ts,
      // divided the former 30 s): without jitter every probe met the app in the phase the last one failed in, for ever.
      const period = BREAKER_POLICY.maxCooldownMs / 20;
      const up = (t: number) => t % period < 0.4 * period;
      let seed = 7; // mulberry32: a seeded generator, so the test is the same every run
      const random = () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
      };
      for (let run = 0; run < 20; run += 1) {
        // At the longest cooldown, the last probe failed 70 % into a period (down).
        const failedAt = 100 * period + 0.7 * period;
        let b: Breaker = {
          ...failing(CLOSED, BREAKER_POLICY.failuresToOpen, 0),
          cooldownMs: BREAKER_POLICY.maxCooldownMs,
          probeAt: failedAt + BREAKER_POLICY.maxCooldownMs,
        };
        let probes = 0;
        for (; probes < 50 && b.state !== 'closed'; probes += 1) {
          const at = b.probeAt!;
          b = afterCall(admit(b, at).state, up(at) ? 'answered' : 'transient', at + 5, '', random);
        }
        // 20 failed probes in a row, each up with a 40 % chance: about 4 in 100,000.
        expect(probes, `run ${run}`).to.be.at.most(20);
      }
    });

    it('spreads probe times by a quarter either side of the cooldown, so a periodic outage cannot keep meeting them', function () {
      const opened = (random: number) =>
        afterCall(failing(CLOSED, BREAKER_POLICY.failuresToOpen - 1, 0), 'transient', 0, 'x', () => random).probeAt;
      expect(opened(0)).to.equal(0.75 * BREAKER_POLICY.firstCooldownMs);
      expect(opened(1)).to.equal(1.25 * BREAKER_POLICY.firstCooldownMs);
      const b = failing(CLOSED, BREAKER_POLICY.failuresToOpen, 0);
      const probe = admit(b, b.probeAt!).state;
      const times = [0, 0.25, 0.5, 0.99].map(
        (r) => afterCall(probe, 'transient', 10_000, '', () => r).probeAt! - 10_000,
      );
      expect(times).to.deep.equal([3_000, 3_500, 4_000, 4_980]);
      for (const r of [0, 0.5, 0.99])
        expect(afterCall(probe, 'transient', 10_000, '', () => r).cooldownMs).to.equal(4_000);
    });
  });
});
