// store/pg/app-throttle.ts: per-app admission (rate limit, concurrency, circuit breaker) shared by every worker of
// every host, on PostgreSQL.
import crypto from 'node:crypto';
import type { AppLimits, Breaker, Bucket } from '../../domain/apps/throttle';
import { admit, afterCall, CLOSED, takeToken } from '../../domain/apps/throttle';
import type { AppThrottleStore, Entry, ThrottleStatus } from '../app-throttle';
import { LEASE_MS } from '../app-throttle';
import type { Async } from '../connection-gate';
import type { PgSession } from './session';

interface Row {
  tokens: number | null;
  /** bigint, read as float8 (epoch milliseconds are exact in a double). */
  refilled_at: number | null;
  breaker_json: string | null;
}

const COLUMNS = 'tokens, refilled_at::float8 AS refilled_at, breaker_json';

const breakerOf = (row: Row | undefined): Breaker =>
  row?.breaker_json ? (JSON.parse(row.breaker_json) as Breaker) : CLOSED;

const bucketOf = (row: Row | undefined): Bucket | null =>
  row?.refilled_at == null ? null : { tokens: row.tokens ?? 0, refilledAt: row.refilled_at };

/**
 * SQLite made each decision safe with its one write lock: a worker read the app's state, decided and wrote it back
 * before any other could read it. Here workers of several processes decide at once, so every read-decide-write of one
 * app runs in a transaction that first locks the app's `app_throttle` row (`lockedRow`): a second worker's decision
 * waits for the first to commit and then reads what it wrote (the last concurrency slot, the last token and the
 * half-open probe are each taken once). Locks are taken in one order, the app's row then its leases, so that `enter`
 * and `leave` never wait on each other in a cycle.
 */
export class PgAppThrottleStore implements Async<AppThrottleStore> {
  constructor(private readonly session: PgSession) {}

  private row(appId: string): Promise<Row | undefined> {
    return this.session.one<Row>(`SELECT ${COLUMNS} FROM app_throttle WHERE app_id = $1`, [appId]);
  }

  /**
   * The app's row, locked until the caller's transaction ends. A missing row is created first (all nulls: a closed
   * breaker and no bucket, what no row means), since only an existing row can be locked; the insert that loses a race
   * to create it does nothing.
   */
  private async lockedRow(appId: string): Promise<Row> {
    const select = `SELECT ${COLUMNS} FROM app_throttle WHERE app_id = $1 FOR UPDATE`;
    const found = await this.session.one<Row>(select, [appId]);
    if (found) return found;
    await this.session.run('INSERT INTO app_throttle (app_id) VALUES ($1) ON CONFLICT (app_id) DO NOTHING', [appId]);
    return (await this.session.one<Row>(select, [appId]))!;
  }

  private async write(appId: string, bucket: Bucket | null, breaker: Breaker): Promise<void> {
    await this.session.run(
      `INSERT INTO app_throttle (app_id, tokens, refilled_at, breaker_json) VALUES ($1, $2, $3, $4)
       ON CONFLICT (app_id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at,
         breaker_json = excluded.breaker_json`,
      [appId, bucket?.tokens ?? null, bucket?.refilledAt ?? null, JSON.stringify(breaker)],
    );
  }

  /**
   * May a request go to the app now? A closed breaker and no limits cost one read; otherwise the decision and its
   * bookkeeping (token taken, lease written, probe marked) are one transaction holding the app's row lock, so workers
   * never both take the last slot.
   */
  async enter(appId: string, limits: AppLimits, now: number = Date.now()): Promise<Entry> {
    const quick = await this.row(appId);
    if (!limits.maxConcurrency && !limits.ratePerSecond && breakerOf(quick).state === 'closed')
      return { ok: true, leaseId: null };
    return this.session.atomically(async (): Promise<Entry> => {
      const row = await this.lockedRow(appId);
      const breaker = admit(breakerOf(row), now);
      if (!breaker.ok) {
        const last = breaker.state.lastError ? `: ${breaker.state.lastError}` : '';
        return {
          ok: false,
          waitMs: breaker.waitMs,
          reason: `circuit open after ${breaker.state.failures} failures${last}`,
        };
      }
      let bucket = bucketOf(row);
      if (limits.ratePerSecond) {
        const token = takeToken(bucket, limits.ratePerSecond, now);
        if (!token.ok) {
          await this.write(appId, token.state, breakerOf(row)); // the refill is kept; the probe is not taken
          return { ok: false, waitMs: token.waitMs, reason: `rate limit ${limits.ratePerSecond}/s` };
        }
        bucket = token.state;
      }
      let leaseId: string | null = null;
      if (limits.maxConcurrency) {
        // Counted under the app's row lock: no other `enter` of this app counts or inserts until this one commits.
        await this.session.run('DELETE FROM app_leases WHERE app_id = $1 AND expires_at <= $2', [appId, now]);
        const inFlight = await this.inFlight(appId);
        if (inFlight >= limits.maxConcurrency) {
          // A slot frees when a call ends: ask again soon (jittered, so waiters do not come back together).
          const waitMs = 200 + Math.floor(Math.random() * 300);
          return { ok: false, waitMs, reason: `concurrency limit ${limits.maxConcurrency} reached` };
        }
        leaseId = crypto.randomUUID();
        await this.session.run('INSERT INTO app_leases (id, app_id, expires_at) VALUES ($1, $2, $3)', [
          leaseId,
          appId,
          now + LEASE_MS,
        ]);
      }
      await this.write(appId, bucket, breaker.state);
      return { ok: true, leaseId };
    });
  }

  /** The request ended: its lease is freed and its outcome moves the breaker (writes only when something changes). */
  async leave(
    appId: string,
    leaseId: string | null,
    outcome: 'answered' | 'transient' | 'cancelled',
    error?: string,
    now = Date.now(),
  ): Promise<void> {
    // A read first, so the common case (no lease, nothing to move) writes nothing; the move itself is computed again
    // inside the transaction, on the locked row, from the state other workers may have changed meanwhile.
    const before = breakerOf(await this.row(appId));
    const after = outcome === 'cancelled' ? before : afterCall(before, outcome, now, error?.slice(0, 500));
    if (!leaseId && after === before) return;
    await this.session.atomically(async () => {
      // The app's row before its lease (the order `enter` takes them in).
      const current = after !== before ? await this.lockedRow(appId) : undefined;
      if (leaseId) await this.session.run('DELETE FROM app_leases WHERE id = $1', [leaseId]);
      if (current) {
        const moved = afterCall(breakerOf(current), outcome as 'answered' | 'transient', now, error?.slice(0, 500));
        await this.write(appId, bucketOf(current), moved);
      }
    });
  }

  private async inFlight(appId: string, now: number = Date.now()): Promise<number> {
    const row = await this.session.one<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM app_leases WHERE app_id = $1 AND expires_at > $2',
      [appId, now],
    );
    return row?.n ?? 0;
  }

  async status(appId: string, now: number = Date.now()): Promise<ThrottleStatus> {
    // One statement, so the breaker and the count are read in one snapshot (as SQLite's synchronous pair was).
    const row = await this.session.one<{ breaker_json: string | null; n: number }>(
      `SELECT (SELECT breaker_json FROM app_throttle WHERE app_id = $1) AS breaker_json,
         (SELECT COUNT(*)::int FROM app_leases WHERE app_id = $1 AND expires_at > $2) AS n`,
      [appId, now],
    );
    return {
      breaker: breakerOf({ tokens: null, refilled_at: null, breaker_json: row?.breaker_json ?? null }),
      inFlight: row?.n ?? 0,
    };
  }

  /** Forgets an app's state (the app was removed, or an operator resets its breaker). */
  async reset(appId: string): Promise<void> {
    await this.session.atomically(async () => {
      await this.session.run('DELETE FROM app_throttle WHERE app_id = $1', [appId]);
      await this.session.run('DELETE FROM app_leases WHERE app_id = $1', [appId]);
    });
  }
}
