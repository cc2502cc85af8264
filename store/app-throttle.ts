// store/app-throttle.ts: per-app admission (rate limit, concurrency, circuit breaker) shared by every worker.
import crypto from 'node:crypto';
import type { AppLimits, Breaker, Bucket } from '../domain/apps/throttle';
import { admit, afterCall, CLOSED, takeToken } from '../domain/apps/throttle';
import type { Db } from './db';
import type { Transactor } from './transact';
import { transactor } from './transact';

/** A lease outlives the longest call it covers; one left by a crashed worker frees its slot after this. */
export const LEASE_MS = 2 * 60_000;

export type Entry = { ok: true; leaseId: string | null } | { ok: false; waitMs: number; reason: string };

export interface ThrottleStatus {
  breaker: Breaker;
  inFlight: number;
}

interface Row {
  tokens: number | null;
  refilled_at: number | null;
  breaker_json: string | null;
}

export class AppThrottleStore {
  private readonly tx: Transactor;

  constructor(private readonly db: Db) {
    this.tx = transactor(db);
  }

  private row(appId: string): Row | undefined {
    return this.db
      .prepare<[string], Row>('SELECT tokens, refilled_at, breaker_json FROM app_throttle WHERE app_id = ?')
      .get(appId);
  }

  private static breakerOf(row: Row | undefined): Breaker {
    return row?.breaker_json ? (JSON.parse(row.breaker_json) as Breaker) : CLOSED;
  }

  private static bucketOf(row: Row | undefined): Bucket | null {
    return row?.refilled_at == null ? null : { tokens: row.tokens ?? 0, refilledAt: row.refilled_at };
  }

  private write(appId: string, bucket: Bucket | null, breaker: Breaker): void {
    this.db
      .prepare(
        `INSERT INTO app_throttle (app_id, tokens, refilled_at, breaker_json) VALUES (?, ?, ?, ?)
         ON CONFLICT (app_id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at,
           breaker_json = excluded.breaker_json`,
      )
      .run(appId, bucket?.tokens ?? null, bucket?.refilledAt ?? null, JSON.stringify(breaker));
  }

  /**
   * May a request go to the app now? A closed breaker and no limits cost one read; otherwise the decision and its
   * bookkeeping (token taken, lease written, probe marked) are one write transaction, so workers never both take the
   * last slot.
   */
  enter(appId: string, limits: AppLimits, now: number = Date.now()): Entry {
    const quick = this.row(appId);
    if (!limits.maxConcurrency && !limits.ratePerSecond && AppThrottleStore.breakerOf(quick).state === 'closed')
      return { ok: true, leaseId: null };
    return this.tx.run((): Entry => {
      const row = this.row(appId);
      const breaker = admit(AppThrottleStore.breakerOf(row), now);
      if (!breaker.ok) {
        const last = breaker.state.lastError ? `: ${breaker.state.lastError}` : '';
        return {
          ok: false,
          waitMs: breaker.waitMs,
          reason: `circuit open after ${breaker.state.failures} failures${last}`,
        };
      }
      let bucket = AppThrottleStore.bucketOf(row);
      if (limits.ratePerSecond) {
        const token = takeToken(bucket, limits.ratePerSecond, now);
        if (!token.ok) {
          this.write(appId, token.state, AppThrottleStore.breakerOf(row)); // the refill is kept; the probe is not taken
          return { ok: false, waitMs: token.waitMs, reason: `rate limit ${limits.ratePerSecond}/s` };
        }
        bucket = token.state;
      }
      let leaseId: string | null = null;
      if (limits.maxConcurrency) {
        this.db.prepare('DELETE FROM app_leases WHERE app_id = ? AND expires_at <= ?').run(appId, now);
        const inFlight = this.inFlight(appId);
        if (inFlight >= limits.maxConcurrency) {
          // A slot frees when a call ends: ask again soon (jittered, so waiters do not come back together).
          const waitMs = 200 + Math.floor(Math.random() * 300);
          return { ok: false, waitMs, reason: `concurrency limit ${limits.maxConcurrency} reached` };
        }
        leaseId = crypto.randomUUID();
        this.db
          .prepare('INSERT INTO app_leases (id, app_id, expires_at) VALUES (?, ?, ?)')
          .run(leaseId, appId, now + LEASE_MS);
      }
      this.write(appId, bucket, breaker.state);
      return { ok: true, leaseId };
    });
  }

  /** The request ended: its lease is freed and its outcome moves the breaker (writes only when something changes). */
  leave(
    appId: string,
    leaseId: string | null,
    outcome: 'answered' | 'transient' | 'cancelled',
    error?: string,
    now = Date.now(),
  ): void {
    // A read first, so the common case (no lease, nothing to move) writes nothing; the move itself is computed again
    // inside the transaction, on the state other workers may have changed meanwhile.
    const row = this.row(appId);
    const before = AppThrottleStore.breakerOf(row);
    const after = outcome === 'cancelled' ? before : afterCall(before, outcome, now, error?.slice(0, 500));
    if (!leaseId && after === before) return;
    this.tx.run(() => {
      if (leaseId) this.db.prepare('DELETE FROM app_leases WHERE id = ?').run(leaseId);
      if (after !== before) {
        const current = this.row(appId);
        const moved = afterCall(
          AppThrottleStore.breakerOf(current),
          outcome as 'answered' | 'transient',
          now,
          error?.slice(0, 500),
        );
        this.write(appId, AppThrottleStore.bucketOf(current), moved);
      }
    });
  }

  private inFlight(appId: string, now: number = Date.now()): number {
    return (
      this.db
        .prepare<[string, number], { n: number }>(
          'SELECT COUNT(*) AS n FROM app_leases WHERE app_id = ? AND expires_at > ?',
        )
        .get(appId, now)?.n ?? 0
    );
  }

  status(appId: string, now: number = Date.now()): ThrottleStatus {
    return { breaker: AppThrottleStore.breakerOf(this.row(appId)), inFlight: this.inFlight(appId, now) };
  }

  /** Forgets an app's state (the app was removed, or an operator resets its breaker). */
  reset(appId: string): void {
    this.tx.run(() => {
      this.db.prepare('DELETE FROM app_throttle WHERE app_id = ?').run(appId);
      this.db.prepare('DELETE FROM app_leases WHERE app_id = ?').run(appId);
    });
  }
}
