// domain/apps/throttle.ts: pure admission decisions for calls to one app: a token bucket and a circuit breaker.
import { z } from 'zod';

/** Per-app limits, set on `app add` / `app update` and kept in the app's config (every worker reads them). */
export const AppLimitsSchema = z.strictObject({
  /** Requests to the app in flight at once, across every worker. */
  maxConcurrency: z.number().int().positive().max(10_000).optional(),
  /** Requests per second to the app, across every worker (bursts up to one second's worth). */
  ratePerSecond: z.number().positive().max(100_000).optional(),
});
export type AppLimits = z.infer<typeof AppLimitsSchema>;

/** `N`, `N/s` or `off` (undefined) for `--rate-limit`; throws a sentence naming the flag otherwise. */
export function parseRate(text: string): number | undefined {
  if (text === 'off') return undefined;
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text.trim());
  const rate = match ? Number(match[1]) : NaN;
  if (!(rate > 0) || rate > 100_000) throw new Error(`--rate-limit must be N/s with 0 < N <= 100000, or off: ${text}`);
  return rate;
}

export interface Bucket {
  tokens: number;
  refilledAt: number;
}

export type Admission<S> = { ok: true; state: S } | { ok: false; state: S; waitMs: number };

/** Takes one token from the app's bucket (capacity: one second's worth, at least one), refilled at `rate` per second. */
export function takeToken(bucket: Bucket | null, rate: number, now: number): Admission<Bucket> {
  const capacity = Math.max(1, rate);
  const elapsed = bucket ? Math.max(0, now - bucket.refilledAt) : 0;
  const tokens = bucket ? Math.min(capacity, bucket.tokens + (elapsed / 1000) * rate) : capacity;
  if (tokens >= 1) return { ok: true, state: { tokens: tokens - 1, refilledAt: now } };
  return { ok: false, state: { tokens, refilledAt: now }, waitMs: Math.ceil(((1 - tokens) / rate) * 1000) };
}

export interface Breaker {
  state: 'closed' | 'open' | 'half-open';
  /** Transient failures in a row. */
  failures: number;
  openedAt: number | null;
  /** When the next probe may go (open), or when a probe in flight counts as lost (half-open). */
  probeAt: number | null;
  cooldownMs: number;
  lastError: string | null;
}

export const BREAKER_POLICY = {
  /** Transient failures in a row (network, timeouts, 429, 5xx) that open the circuit. */
  failuresToOpen: 5,
  firstCooldownMs: 2_000,
  /**
   * A probe is one request, so a dead app asked every 10 s costs it nothing, and a leaver waiting for an app that came
   * back waits at most that long. (At 30 s, an app up 40 % of the time failed four probes in a row about one time in
   * eight, and its waiting work then stalled for minutes: the flapping-app test's 120 s ran out in CI.)
   */
  maxCooldownMs: 10_000,
  /** A probe time falls anywhere within this fraction either side of the cooldown (see `jittered`). */
  cooldownJitter: 0.25,
  /** While a probe is out, refused calls ask again after at most this long, not when the probe would count as lost. */
  halfOpenRecheckMs: 1_000,
} as const;

/**
 * A cooldown moved by up to `cooldownJitter` either way. A fixed doubling met an app that is down on a fixed period in the
 * same phase every time (the former 30 s cap was twenty 1.5 s flaps): each probe found it down, and the circuit never
 * closed again.
 */
function jittered(cooldownMs: number, random: () => number): number {
  return Math.round(cooldownMs * (1 - BREAKER_POLICY.cooldownJitter + 2 * BREAKER_POLICY.cooldownJitter * random()));
}

export const CLOSED: Breaker = Object.freeze({
  state: 'closed',
  failures: 0,
  openedAt: null,
  probeAt: null,
  cooldownMs: BREAKER_POLICY.firstCooldownMs,
  lastError: null,
});

/**
 * Whether a call may go to the app. Closed: yes. Open: no until its probe time, then one call goes as the probe
 * (half-open). Half-open: no while the probe is out, unless it is lost (its time passed without an outcome); the calls
 * refused meanwhile come back within `halfOpenRecheckMs`, so that a probe which closes the circuit lets the waiting work
 * through at once (they used to sleep until the probe would have counted as lost: up to a whole cooldown after the
 * app was back).
 */
export function admit(breaker: Breaker, now: number): Admission<Breaker> {
  if (breaker.state === 'closed') return { ok: true, state: breaker };
  const probeAt = breaker.probeAt ?? now;
  if (now < probeAt) {
    const remaining = probeAt - now;
    const waitMs = breaker.state === 'half-open' ? Math.min(remaining, BREAKER_POLICY.halfOpenRecheckMs) : remaining;
    return { ok: false, state: breaker, waitMs };
  }
  return { ok: true, state: { ...breaker, state: 'half-open', probeAt: now + breaker.cooldownMs } };
}

/**
 * The breaker after a call's outcome: an answer (even a refusal) closes it; a transient failure counts toward opening.
 * `random` jitters the next probe time.
 */
export function afterCall(
  breaker: Breaker,
  outcome: 'answered' | 'transient',
  now: number,
  error?: string,
  random: () => number = Math.random,
): Breaker {
  if (outcome === 'answered') return breaker.state === 'closed' && breaker.failures === 0 ? breaker : CLOSED;
  const failures = breaker.failures + 1;
  const lastError = error ?? breaker.lastError;
  // A call let through before the circuit opened, failing after it did, says nothing new: only the probe's failure
  // (half-open) lengthens the wait. (Counting those stragglers took a burst's cooldown to 30 s at once and kept pushing
  // the probe back, so a flapping app was asked once a minute.)
  if (breaker.state === 'open') return { ...breaker, failures, lastError };
  if (breaker.state === 'half-open') {
    // The probe failed: stay open, twice as long (capped).
    const cooldownMs = Math.min(BREAKER_POLICY.maxCooldownMs, breaker.cooldownMs * 2);
    return {
      state: 'open',
      failures,
      openedAt: breaker.openedAt ?? now,
      probeAt: now + jittered(cooldownMs, random),
      cooldownMs,
      lastError,
    };
  }
  if (failures < BREAKER_POLICY.failuresToOpen) return { ...breaker, failures, lastError };
  const cooldownMs = BREAKER_POLICY.firstCooldownMs;
  return { state: 'open', failures, openedAt: now, probeAt: now + jittered(cooldownMs, random), cooldownMs, lastError };
}

/**
 * A refusal's wait, spread upwards by up to half (never earlier than asked): steps refused together (a burst that met a
 * hanging app at once) come back at different times instead of in waves that load everyone else.
 */
export function spreadWait(waitMs: number, random: () => number = Math.random): number {
  return Math.round(waitMs * (1 + 0.5 * random()));
}
