// store/pg/applied-state.ts: what scimflow last applied in each app for each identity, progress, revocations and audit,
// on PostgreSQL.
import type { AppliedAccountState } from '../../domain/planner/types';
import type {
  AppBlock,
  AppliedAccount,
  AppliedAccountChange,
  AppliedStateStore,
  AuditEntry,
  AuditRecord,
  IdentityException,
  RawApplied,
  UnprocessedIdentity,
} from '../applied-state';
import { ageSeconds, auditFromRow, toApplied, UNREVOKED } from '../applied-state';
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { PgSession } from './session';

export class PgAppliedStateStore implements Async<AppliedStateStore> {
  constructor(private readonly session: PgSession) {}

  /**
   * Accounts of an app that may still give access: active, a create intent (the account may exist), or disabled but
   * not yet read back. What `app remove --accounts deprovision` waits for.
   */
  async unrevokedInApp(appId: string): Promise<{ identityId: string; state: AppliedAccountState }[]> {
    const rows = await this.session.query<{ identity_id: string; state: AppliedAccountState }>(
      `SELECT identity_id, state FROM applied_accounts WHERE app_id = $1 AND ${UNREVOKED}`,
      [appId],
    );
    return rows.map((r) => ({ identityId: r.identity_id, state: r.state }));
  }

  /** How many accounts of an app still give access (the mass-change guard's denominator), counted in SQL. */
  async countUnrevokedInApp(appId: string): Promise<number> {
    const row = await this.session.one<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM applied_accounts WHERE app_id = $1 AND ${UNREVOKED}`,
      [appId],
    );
    return row!.n;
  }

  async list(directoryId: string, identityId: string): Promise<AppliedAccount[]> {
    const rows = await this.session.query<RawApplied>(
      'SELECT * FROM applied_accounts WHERE directory_id = $1 AND identity_id = $2 ORDER BY app_id',
      [directoryId, identityId],
    );
    return rows.map(toApplied);
  }

  async get(directoryId: string, identityId: string, appId: string): Promise<AppliedAccount | undefined> {
    const row = await this.session.one<RawApplied>(
      'SELECT * FROM applied_accounts WHERE directory_id = $1 AND identity_id = $2 AND app_id = $3',
      [directoryId, identityId, appId],
    );
    return row ? toApplied(row) : undefined;
  }

  /** Writes the given fields of one (identity, app) row; fields left out keep their value (or their default). */
  async save(
    directoryId: string,
    identityId: string,
    appId: string,
    change: AppliedAccountChange,
  ): Promise<AppliedAccount> {
    // A read, a merge and a write: SQLite ran them as one synchronous call under its single writer. Here another
    // process may save the same (identity, app) meanwhile (a workflow step and `app remove`, say), and a merge of a
    // stale read would undo its fields: the row is locked (FOR UPDATE) before it is read, created first when missing,
    // and written in the same transaction.
    return this.session.atomically(async () => {
      const key = [directoryId, identityId, appId];
      const before = await this.lockedRow(directoryId, identityId, appId);
      const next = {
        remoteId: before.remoteId,
        state: before.state,
        specHash: before.specHash,
        entitlements: before.entitlements,
        unconfirmedEntitlements: before.unconfirmedEntitlements,
        revocationVerified: before.revocationVerified,
        intentKey: before.intentKey,
        ...change,
      };
      const entitlements = [...new Set(next.entitlements)].sort();
      // An entitlement no longer recorded cannot be awaiting confirmation.
      const unconfirmed = [...new Set(next.unconfirmedEntitlements)].filter((e) => entitlements.includes(e)).sort();
      const row = await this.session.one<RawApplied>(
        `UPDATE applied_accounts SET remote_id = $4, state = $5, spec_hash = $6, entitlements_json = $7,
           unconfirmed_entitlements_json = $8, revocation_verified = $9, intent_key = $10, updated_at = $11
         WHERE directory_id = $1 AND identity_id = $2 AND app_id = $3
         RETURNING *`,
        [
          ...key,
          next.remoteId,
          next.state,
          next.specHash,
          JSON.stringify(entitlements),
          JSON.stringify(unconfirmed),
          next.revocationVerified ? 1 : 0,
          next.intentKey,
          nowIso(),
        ],
      );
      return toApplied(row!);
    });
  }

  /**
   * The (identity, app) row, locked until the caller's transaction ends. A missing row is first created with the
   * values `save` gives fields never written (the insert that loses a race to create it does nothing).
   */
  private async lockedRow(directoryId: string, identityId: string, appId: string): Promise<AppliedAccount> {
    const key = [directoryId, identityId, appId];
    const select = `SELECT * FROM applied_accounts WHERE directory_id = $1 AND identity_id = $2 AND app_id = $3
      FOR UPDATE`;
    const found = await this.session.one<RawApplied>(select, key);
    if (found) return toApplied(found);
    await this.session.run(
      `INSERT INTO applied_accounts (directory_id, identity_id, app_id, state, updated_at)
       VALUES ($1, $2, $3, 'deleted', $4) ON CONFLICT (directory_id, identity_id, app_id) DO NOTHING`,
      [...key, nowIso()],
    );
    return toApplied((await this.session.one<RawApplied>(select, key))!);
  }

  /**
   * Whether another identity holds this app account: as its live account, as its pending create, or as an account
   * whose revocation is not verified yet. A predecessor whose revocation is verified has let go of it (a rehire's new
   * identity adopts it).
   */
  async claimedByOther(appId: string, remoteId: string, identityId: string): Promise<boolean> {
    const row = await this.session.one<{ n: number }>(
      `SELECT 1 AS n FROM applied_accounts WHERE app_id = $1 AND remote_id = $2 AND identity_id <> $3
         AND (state IN ('active', 'pending') OR revocation_verified = 0) LIMIT 1`,
      [appId, remoteId, identityId],
    );
    return row !== undefined;
  }

  /** Marks (or, with null, clears) a step that keeps failing in one app. The first failure's time is kept. */
  async setBlocked(directoryId: string, identityId: string, appId: string, block: AppBlock | null): Promise<void> {
    // The row is created if missing and then updated in one transaction, as SQLite's one synchronous call did; the
    // UPDATE itself reads the kept `blocked_since` and writes in one statement, so concurrent calls cannot interleave.
    await this.session.atomically(async () => {
      if (!(await this.get(directoryId, identityId, appId))) await this.save(directoryId, identityId, appId, {});
      await this.session.run(
        `UPDATE applied_accounts SET
           blocked_since = CASE WHEN $1::text IS NULL THEN NULL
             WHEN blocked_kind = $1::text AND blocked_since IS NOT NULL THEN blocked_since ELSE $2::text END,
           blocked_kind = $1::text, blocked_reason = $3::text
         WHERE directory_id = $4 AND identity_id = $5 AND app_id = $6`,
        [block?.kind ?? null, block?.since ?? null, block?.reason ?? null, directoryId, identityId, appId],
      );
    });
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.session.run(
      `INSERT INTO audit_log (directory_id, identity_id, app_id, action, seq, workflow_id, attempt, detail_json, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        entry.directoryId,
        entry.identityId,
        entry.appId ?? null,
        entry.action,
        entry.seq ?? null,
        entry.workflowId ?? null,
        entry.attempt ?? null,
        JSON.stringify(entry.detail ?? {}),
        nowIso(),
      ],
    );
  }

  async auditTrail(
    directoryId: string,
    identityId?: string,
    limit = 1000,
  ): Promise<(AuditEntry & { id: number; at: string })[]> {
    const rows = identityId
      ? await this.session.query<Record<string, unknown>>(
          'SELECT * FROM audit_log WHERE directory_id = $1 AND identity_id = $2 ORDER BY id LIMIT $3',
          [directoryId, identityId, limit],
        )
      : await this.session.query<Record<string, unknown>>(
          'SELECT * FROM audit_log WHERE directory_id = $1 ORDER BY id LIMIT $2',
          [directoryId, limit],
        );
    return rows.map(auditFromRow);
  }

  /**
   * The audit trail in order, from `since` (inclusive), optionally of one identity or app: what changed, where, when,
   * and why (its log event, workflow and attempt); `limit` records after the record `afterId` (an export of millions
   * of rows reads page after page and stays small in memory).
   */
  async auditPage(
    directoryId: string,
    opts: { since?: string; identityId?: string; appId?: string },
    afterId: number,
    limit: number,
  ): Promise<AuditRecord[]> {
    const args: unknown[] = [directoryId, afterId];
    const where = ['a.directory_id = $1', 'a.id > $2'];
    for (const [column, value] of [
      ['a.at', opts.since],
      ['a.identity_id', opts.identityId],
      ['a.app_id', opts.appId],
    ] as const)
      if (value !== undefined) {
        args.push(value);
        where.push(`${column} ${column === 'a.at' ? '>=' : '='} $${args.length}`);
      }
    args.push(limit);
    // The request behind each change: the X-Request-Id its event recorded (while the event is retained). SQLite's
    // `->> '$.requestId'` gives a JSON string as text and anything else as another SQL type, which the mapper drops;
    // jsonb's `->>` gives text for every type, so only a string is taken.
    const rows = await this.session.query<Record<string, unknown>>(
      `SELECT a.*, CASE WHEN jsonb_typeof(e.detail_json::jsonb -> 'requestId') = 'string'
           THEN e.detail_json::jsonb ->> 'requestId' END AS request_id
       FROM audit_log a
       LEFT JOIN events e ON e.directory_id = a.directory_id AND e.seq = a.seq
       WHERE ${where.join(' AND ')} ORDER BY a.id LIMIT $${args.length}`,
      args,
    );
    return rows.map(auditFromRow);
  }

  /** The newest time-to-revoke record's row id (metrics observe only the ones recorded after it). */
  async newestRevocationRowId(): Promise<number> {
    // `row_id` is PostgreSQL's stand-in for SQLite's rowid (migration 20261212000000); bigint comes back as text.
    const row = await this.session.one<{ id: string | null }>('SELECT MAX(row_id) AS id FROM revocations');
    return row?.id == null ? 0 : Number(row.id);
  }

  /** Time-to-revoke records after a row id, oldest first (at most 10,000 per call). */
  async revocationsAfterRowId(rowId: number): Promise<{ rowId: number; directoryId: string; latencyMs: number }[]> {
    const rows = await this.session.query<{ row_id: string; directory_id: string; latency_ms: number }>(
      'SELECT row_id, directory_id, latency_ms FROM revocations WHERE row_id > $1 ORDER BY row_id LIMIT 10000',
      [rowId],
    );
    return rows.map((r) => ({ rowId: Number(r.row_id), directoryId: r.directory_id, latencyMs: r.latency_ms }));
  }

  /** The time-to-revoke records of one identity, oldest first. */
  async revocationsOf(
    directoryId: string,
    identityId: string,
  ): Promise<{ seq: number; requestedAt: string; verifiedAt: string; latencyMs: number }[]> {
    const rows = await this.session.query<{
      seq: number;
      requested_at: string;
      verified_at: string;
      latency_ms: number;
    }>('SELECT * FROM revocations WHERE directory_id = $1 AND identity_id = $2 ORDER BY verified_at', [
      directoryId,
      identityId,
    ]);
    return rows.map((r) => ({
      seq: r.seq,
      requestedAt: r.requested_at,
      verifiedAt: r.verified_at,
      latencyMs: r.latency_ms,
    }));
  }

  async recordProgress(
    directoryId: string,
    identityId: string,
    progress: { processedSeq: number; lifecycle: string; exception: string | null },
  ): Promise<void> {
    // One upsert: PostgreSQL locks the conflicting row, so GREATEST compares against the committed value and a late
    // write of an older seq never moves processed_seq back.
    await this.session.run(
      `INSERT INTO identity_progress
         (directory_id, identity_id, processed_seq, lifecycle, exception, exception_since, updated_at)
       VALUES ($1, $2, $3, $4, $5::text, CASE WHEN $5::text IS NULL THEN NULL ELSE $6::text END, $6::text)
       ON CONFLICT (directory_id, identity_id) DO UPDATE SET
         processed_seq = GREATEST(identity_progress.processed_seq, excluded.processed_seq),
         lifecycle = excluded.lifecycle, exception = excluded.exception,
         exception_since = CASE WHEN excluded.exception IS NULL THEN NULL
           ELSE COALESCE(identity_progress.exception_since, excluded.updated_at) END,
         updated_at = excluded.updated_at`,
      [directoryId, identityId, progress.processedSeq, progress.lifecycle, progress.exception, nowIso()],
    );
  }

  async progress(
    directoryId: string,
    identityId: string,
  ): Promise<{ processedSeq: number; lifecycle: string | null; exception: string | null } | undefined> {
    const row = await this.session.one<{ processed_seq: number; lifecycle: string | null; exception: string | null }>(
      'SELECT processed_seq, lifecycle, exception FROM identity_progress WHERE directory_id = $1 AND identity_id = $2',
      [directoryId, identityId],
    );
    return row ? { processedSeq: row.processed_seq, lifecycle: row.lifecycle, exception: row.exception } : undefined;
  }

  /** Identities that need an operator's eye: an exception, or an app whose convergence keeps failing; oldest first. */
  async exceptions(directoryId: string, now: number = Date.now()): Promise<IdentityException[]> {
    const userNames = `LEFT JOIN resources r ON r.directory_id = x.directory_id AND r.id = x.identity_id`;
    // Both reads in one snapshot, as SQLite's synchronous pair saw one state; in primary-key order, the order SQLite
    // reads them in (it decides the order of equal ages and of an identity's apps).
    const { identities, blocks } = await this.session.readConsistently(async () => ({
      identities: await this.session.query<{
        identity_id: string;
        exception: string;
        since: string;
        user_name: string | null;
      }>(
        `SELECT x.identity_id, x.exception, COALESCE(x.exception_since, x.updated_at) AS since, r.user_name
         FROM identity_progress x ${userNames} WHERE x.directory_id = $1 AND x.exception IS NOT NULL
         ORDER BY x.identity_id`,
        [directoryId],
      ),
      blocks: await this.session.query<{
        identity_id: string;
        app_id: string;
        kind: AppBlock['kind'];
        since: string;
        reason: string | null;
        user_name: string | null;
      }>(
        `SELECT x.identity_id, x.app_id, x.blocked_kind AS kind, x.blocked_since AS since, x.blocked_reason AS reason,
           r.user_name
         FROM applied_accounts x ${userNames} WHERE x.directory_id = $1 AND x.blocked_kind IS NOT NULL
         ORDER BY x.identity_id, x.app_id`,
        [directoryId],
      ),
    }));
    const byIdentity = new Map<string, IdentityException>();
    const entry = (identityId: string, userName: string | null, since: string) => {
      let found = byIdentity.get(identityId);
      if (!found) {
        found = { identityId, userName, exception: null, apps: [], since, ageSeconds: 0 };
        byIdentity.set(identityId, found);
      }
      if (since < found.since) found.since = since;
      return found;
    };
    for (const row of identities) entry(row.identity_id, row.user_name, row.since).exception = row.exception;
    for (const row of blocks)
      entry(row.identity_id, row.user_name, row.since).apps.push({
        appId: row.app_id,
        kind: row.kind,
        since: row.since,
        ageSeconds: ageSeconds(row.since, now),
        reason: row.reason ?? '',
      });
    return [...byIdentity.values()]
      .map((e) => ({ ...e, ageSeconds: ageSeconds(e.since, now) }))
      .sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
  }

  /**
   * Identities of a directory with user events their workflow has not processed, among events after `afterSeq` (the
   * watchdog's low-water mark, so a tick reads only the recent tail of the log through its primary key). `lowestSeq` is
   * the oldest such event (the next low-water mark), or the newest seq read when none is unprocessed.
   */
  async unprocessed(
    directoryId: string,
    afterSeq: number,
  ): Promise<{ identities: UnprocessedIdentity[]; lowestSeq: number }> {
    // PostgreSQL wants `p.exception` grouped (one progress row per identity, so the groups are SQLite's), and gives
    // groups in no particular order: ordered by identity, as SQLite's grouping returns them. Both reads in one
    // snapshot, as SQLite's synchronous pair saw one state.
    const { rows, newest } = await this.session.readConsistently(async () => ({
      rows: await this.session.query<{
        identity_id: string;
        seq: number;
        first_seq: number;
        since: string;
        exception: string | null;
      }>(
        `SELECT e.identity_id, MAX(e.seq) AS seq, MIN(e.seq) AS first_seq, MIN(e.created_at) AS since, p.exception
         FROM events e LEFT JOIN identity_progress p ON p.directory_id = e.directory_id AND p.identity_id = e.identity_id
         WHERE e.directory_id = $1 AND e.seq > $2 AND e.resource_type = 'User' AND e.seq > COALESCE(p.processed_seq, 0)
         GROUP BY e.identity_id, p.exception ORDER BY e.identity_id`,
        [directoryId, afterSeq],
      ),
      newest: (
        await this.session.one<{ seq: number | null }>(
          'SELECT MAX(seq) AS seq FROM events WHERE directory_id = $1 AND seq > $2',
          [directoryId, afterSeq],
        )
      )?.seq,
    }));
    const lowestSeq = rows.length ? Math.min(...rows.map((r) => r.first_seq)) - 1 : (newest ?? afterSeq);
    return {
      identities: rows.map((r) => ({ identityId: r.identity_id, seq: r.seq, since: r.since, exception: r.exception })),
      lowestSeq,
    };
  }

  /**
   * Records an exception found from outside the workflow (its run failed, was terminated, or its tasks keep failing):
   * `report exceptions` shows it, and the workflow's next recorded progress (after `retry`, or a fix) clears it.
   */
  async flagStalled(directoryId: string, identityId: string, exception: string): Promise<void> {
    const at = nowIso();
    await this.session.run(
      `INSERT INTO identity_progress
         (directory_id, identity_id, processed_seq, lifecycle, exception, exception_since, updated_at)
       VALUES ($1, $2, 0, 'stalled', $3, $4, $4)
       ON CONFLICT (directory_id, identity_id) DO UPDATE SET exception = excluded.exception,
         exception_since = COALESCE(identity_progress.exception_since, excluded.exception_since),
         updated_at = excluded.updated_at`,
      [directoryId, identityId, exception, at],
    );
  }

  /** Events of user identities not yet processed by their workflow (lag), per directory. */
  async lag(directoryId: string): Promise<{ newestSeq: number; unprocessedEvents: number; identitiesBehind: number }> {
    // Both reads in one snapshot, as SQLite's synchronous pair saw one state; COUNT is bigint (text) without the cast.
    const { newest, behind } = await this.session.readConsistently(async () => ({
      newest: await this.session.one<{ next_seq: number }>('SELECT next_seq FROM directories WHERE id = $1', [
        directoryId,
      ]),
      behind: (await this.session.one<{ events: number; identities: number }>(
        `SELECT COUNT(*)::int AS events, COUNT(DISTINCT e.identity_id)::int AS identities FROM events e
         LEFT JOIN identity_progress p ON p.directory_id = e.directory_id AND p.identity_id = e.identity_id
         WHERE e.directory_id = $1 AND e.resource_type = 'User' AND e.seq > COALESCE(p.processed_seq, 0)`,
        [directoryId],
      ))!,
    }));
    return { newestSeq: newest?.next_seq ?? 0, unprocessedEvents: behind.events, identitiesBehind: behind.identities };
  }

  /**
   * When the newest app verified a revocation for this departure (audit rows at or after its seq), if one did and the
   * departure has no time-to-revoke record yet: one query, on the load path of every departed identity.
   */
  async unrecordedRevocationVerifiedAt(
    directoryId: string,
    identityId: string,
    seq: number,
  ): Promise<string | undefined> {
    const row = await this.session.one<{ at: string | null }>(
      `SELECT MAX(at) AS at FROM audit_log
       WHERE directory_id = $1 AND identity_id = $2 AND action = 'revocation.verified' AND seq >= $3
         AND NOT EXISTS (SELECT 1 FROM revocations WHERE directory_id = $1 AND identity_id = $2 AND seq = $3)`,
      [directoryId, identityId, seq],
    );
    return row?.at ?? undefined;
  }

  async recordRevocation(
    directoryId: string,
    identityId: string,
    seq: number,
    requestedAt: string,
    verifiedAt: string,
  ): Promise<void> {
    const latency = Date.parse(verifiedAt) - Date.parse(requestedAt);
    // The metrics read "revocations after the last row id seen". SQLite's one writer commits rowids in order; here two
    // transactions could commit row ids out of order (6 visible before 5), and a scrape between them would skip 5 for
    // good. The table lock (it conflicts with itself, not with readers) makes recorders take row ids one at a time,
    // each committed before the next is drawn. Revocations are one per leaver: the wait costs nothing that matters.
    await this.session.atomically(async () => {
      await this.session.run('LOCK TABLE revocations IN SHARE ROW EXCLUSIVE MODE');
      await this.session.run(
        `INSERT INTO revocations (directory_id, identity_id, seq, requested_at, verified_at, latency_ms)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [directoryId, identityId, seq, requestedAt, verifiedAt, latency],
      );
    });
  }

  async revocations(
    directoryId: string,
  ): Promise<{ identityId: string; seq: number; requestedAt: string; verifiedAt: string; latencyMs: number }[]> {
    const rows = await this.session.query<{
      identity_id: string;
      seq: number;
      requested_at: string;
      verified_at: string;
      latency_ms: number;
    }>('SELECT * FROM revocations WHERE directory_id = $1 ORDER BY verified_at', [directoryId]);
    return rows.map((r) => ({
      identityId: r.identity_id,
      seq: r.seq,
      requestedAt: r.requested_at,
      verifiedAt: r.verified_at,
      latencyMs: r.latency_ms,
    }));
  }
}
