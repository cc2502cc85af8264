// store/applied-state.ts: what scimflow last applied in each app for each identity, progress, revocations and audit.
import type { AppliedAccountState } from '../domain/planner/types';
import type { Db } from './db';
import { nowIso } from './db';

export interface AppliedAccount {
  appId: string;
  remoteId: string | null;
  state: AppliedAccountState;
  specHash: string | null;
  entitlements: string[];
  /**
   * Entitlements recorded (in `entitlements`, before the call) but not yet confirmed by reading the app back: the call
   * failed, or its answer was lost. Always a subset of `entitlements`.
   */
  unconfirmedEntitlements: string[];
  revocationVerified: boolean;
  /** Idempotency key of the last create intended in the app (recorded before the call). */
  intentKey: string | null;
  blocked: AppBlock | null;
  updatedAt: string;
}

/**
 * A step that keeps failing in one app: a revocation or a grant that keeps failing transiently (both retried for ever,
 * the block clears itself), or an exception (a refused grant, an ambiguous match: a human must look).
 */
export interface AppBlock {
  kind: 'revocation' | 'grant' | 'exception';
  since: string;
  reason: string;
}

export type AppliedAccountChange = Partial<
  Pick<
    AppliedAccount,
    'remoteId' | 'state' | 'specHash' | 'entitlements' | 'unconfirmedEntitlements' | 'revocationVerified' | 'intentKey'
  >
>;

export interface RawApplied {
  app_id: string;
  remote_id: string | null;
  state: AppliedAccountState;
  spec_hash: string | null;
  entitlements_json: string;
  unconfirmed_entitlements_json: string;
  revocation_verified: number;
  intent_key: string | null;
  blocked_kind: AppBlock['kind'] | null;
  blocked_since: string | null;
  blocked_reason: string | null;
  updated_at: string;
}

export const toApplied = (r: RawApplied): AppliedAccount => ({
  appId: r.app_id,
  remoteId: r.remote_id,
  state: r.state,
  specHash: r.spec_hash,
  entitlements: JSON.parse(r.entitlements_json) as string[],
  unconfirmedEntitlements: JSON.parse(r.unconfirmed_entitlements_json) as string[],
  revocationVerified: r.revocation_verified === 1,
  intentKey: r.intent_key,
  blocked:
    r.blocked_kind && r.blocked_since
      ? { kind: r.blocked_kind, since: r.blocked_since, reason: r.blocked_reason ?? '' }
      : null,
  updatedAt: r.updated_at,
});

export interface AuditEntry {
  directoryId: string;
  identityId: string;
  appId?: string;
  action: string;
  seq?: number;
  workflowId?: string;
  attempt?: number;
  detail?: Record<string, unknown>;
}

/** An account that still gives access: live or being created, or disabled but not yet verified. */
export const UNREVOKED = `(state IN ('active', 'pending') OR (state = 'disabled' AND revocation_verified = 0))`;

export type AuditRecord = AuditEntry & { id: number; at: string; requestId?: string };

export function auditFromRow(r: Record<string, unknown>): AuditRecord {
  return {
    id: r.id as number,
    directoryId: r.directory_id as string,
    identityId: r.identity_id as string,
    appId: (r.app_id as string | null) ?? undefined,
    action: r.action as string,
    seq: (r.seq as number | null) ?? undefined,
    workflowId: (r.workflow_id as string | null) ?? undefined,
    attempt: (r.attempt as number | null) ?? undefined,
    detail: JSON.parse(r.detail_json as string) as Record<string, unknown>,
    ...(typeof r.request_id === 'string' ? { requestId: r.request_id } : {}),
    at: r.at as string,
  };
}

/** An identity whose workflow has not processed its newest events (the watchdog's view). */
export interface UnprocessedIdentity {
  identityId: string;
  /** Newest unprocessed event. */
  seq: number;
  /** When the oldest unprocessed event was recorded. */
  since: string;
  exception: string | null;
}

export interface IdentityException {
  identityId: string;
  userName: string | null;
  /** The identity-level exception (a refused grant, a failed workflow), if any. */
  exception: string | null;
  /** Apps whose convergence is blocked: a revocation retried for ever, or a grant the app refused. */
  apps: { appId: string; kind: AppBlock['kind']; since: string; ageSeconds: number; reason: string }[];
  since: string;
  ageSeconds: number;
}

export const ageSeconds = (since: string, now: number) => Math.max(0, Math.round((now - Date.parse(since)) / 1000));

export class AppliedStateStore {
  constructor(private readonly db: Db) {}

  /**
   * Accounts of an app that may still give access: active, a create intent (the account may exist), or disabled but
   * not yet read back. What `app remove --accounts deprovision` waits for.
   */
  unrevokedInApp(appId: string): { identityId: string; state: AppliedAccountState }[] {
    return this.db
      .prepare<[string], { identity_id: string; state: AppliedAccountState }>(
        `SELECT identity_id, state FROM applied_accounts WHERE app_id = ? AND ${UNREVOKED}`,
      )
      .all(appId)
      .map((r) => ({ identityId: r.identity_id, state: r.state }));
  }

  /** How many accounts of an app still give access (the mass-change guard's denominator), counted in SQL. */
  countUnrevokedInApp(appId: string): number {
    return this.db
      .prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM applied_accounts WHERE app_id = ? AND ${UNREVOKED}`)
      .get(appId)!.n;
  }

  list(directoryId: string, identityId: string): AppliedAccount[] {
    return this.db
      .prepare<[string, string], RawApplied>(
        'SELECT * FROM applied_accounts WHERE directory_id = ? AND identity_id = ? ORDER BY app_id',
      )
      .all(directoryId, identityId)
      .map(toApplied);
  }

  get(directoryId: string, identityId: string, appId: string): AppliedAccount | undefined {
    const row = this.db
      .prepare<[string, string, string], RawApplied>(
        'SELECT * FROM applied_accounts WHERE directory_id = ? AND identity_id = ? AND app_id = ?',
      )
      .get(directoryId, identityId, appId);
    return row ? toApplied(row) : undefined;
  }

  /** Writes the given fields of one (identity, app) row; fields left out keep their value (or their default). */
  save(directoryId: string, identityId: string, appId: string, change: AppliedAccountChange): AppliedAccount {
    const before = this.get(directoryId, identityId, appId);
    const next = {
      remoteId: before?.remoteId ?? null,
      state: before?.state ?? 'deleted',
      specHash: before?.specHash ?? null,
      entitlements: before?.entitlements ?? [],
      unconfirmedEntitlements: before?.unconfirmedEntitlements ?? [],
      revocationVerified: before?.revocationVerified ?? false,
      intentKey: before?.intentKey ?? null,
      ...change,
    };
    const entitlements = [...new Set(next.entitlements)].sort();
    // An entitlement no longer recorded cannot be awaiting confirmation.
    const unconfirmed = [...new Set(next.unconfirmedEntitlements)].filter((e) => entitlements.includes(e)).sort();
    this.db
      .prepare(
        `INSERT INTO applied_accounts (directory_id, identity_id, app_id, remote_id, state, spec_hash, entitlements_json,
           unconfirmed_entitlements_json, revocation_verified, intent_key, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (directory_id, identity_id, app_id) DO UPDATE SET remote_id = excluded.remote_id,
           state = excluded.state, spec_hash = excluded.spec_hash, entitlements_json = excluded.entitlements_json,
           unconfirmed_entitlements_json = excluded.unconfirmed_entitlements_json,
           revocation_verified = excluded.revocation_verified, intent_key = excluded.intent_key,
           updated_at = excluded.updated_at`,
      )
      .run(
        directoryId,
        identityId,
        appId,
        next.remoteId,
        next.state,
        next.specHash,
        JSON.stringify(entitlements),
        JSON.stringify(unconfirmed),
        next.revocationVerified ? 1 : 0,
        next.intentKey,
        nowIso(),
      );
    return this.get(directoryId, identityId, appId)!;
  }

  /**
   * Whether another identity holds this app account: as its live account, as its pending create, or as an account
   * whose revocation is not verified yet. A predecessor whose revocation is verified has let go of it (a rehire's new
   * identity adopts it).
   */
  claimedByOther(appId: string, remoteId: string, identityId: string): boolean {
    return (
      this.db
        .prepare<[string, string, string], { n: number }>(
          `SELECT 1 AS n FROM applied_accounts WHERE app_id = ? AND remote_id = ? AND identity_id <> ?
             AND (state IN ('active', 'pending') OR revocation_verified = 0) LIMIT 1`,
        )
        .get(appId, remoteId, identityId) !== undefined
    );
  }

  /** Marks (or, with null, clears) a step that keeps failing in one app. The first failure's time is kept. */
  setBlocked(directoryId: string, identityId: string, appId: string, block: AppBlock | null): void {
    if (!this.get(directoryId, identityId, appId)) this.save(directoryId, identityId, appId, {});
    this.db
      .prepare(
        `UPDATE applied_accounts SET
           blocked_since = CASE WHEN @kind IS NULL THEN NULL
             WHEN blocked_kind = @kind AND blocked_since IS NOT NULL THEN blocked_since ELSE @since END,
           blocked_kind = @kind, blocked_reason = @reason
         WHERE directory_id = @directoryId AND identity_id = @identityId AND app_id = @appId`,
      )
      .run({
        kind: block?.kind ?? null,
        since: block?.since ?? null,
        reason: block?.reason ?? null,
        directoryId,
        identityId,
        appId,
      });
  }

  audit(entry: AuditEntry): void {
    this.db
      .prepare(
        `INSERT INTO audit_log (directory_id, identity_id, app_id, action, seq, workflow_id, attempt, detail_json, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.directoryId,
        entry.identityId,
        entry.appId ?? null,
        entry.action,
        entry.seq ?? null,
        entry.workflowId ?? null,
        entry.attempt ?? null,
        JSON.stringify(entry.detail ?? {}),
        nowIso(),
      );
  }

  auditTrail(directoryId: string, identityId?: string, limit = 1000): (AuditEntry & { id: number; at: string })[] {
    const rows = this.db
      .prepare<unknown[], Record<string, unknown>>(
        `SELECT * FROM audit_log WHERE directory_id = ? ${identityId ? 'AND identity_id = ?' : ''} ORDER BY id LIMIT ?`,
      )
      .all(...(identityId ? [directoryId, identityId, limit] : [directoryId, limit]));
    return rows.map(auditFromRow);
  }

  /**
   * The audit trail in order, from `since` (inclusive), optionally of one identity or app: what changed, where, when,
   * and why (its log event, workflow and attempt); `limit` records after the record `afterId` (an export of millions
   * of rows reads page after page and stays small in memory).
   */
  auditPage(
    directoryId: string,
    opts: { since?: string; identityId?: string; appId?: string },
    afterId: number,
    limit: number,
  ): AuditRecord[] {
    const where = ['a.directory_id = ?', 'a.id > ?'];
    const args: unknown[] = [directoryId, afterId];
    for (const [column, value] of [
      ['a.at >= ?', opts.since],
      ['a.identity_id = ?', opts.identityId],
      ['a.app_id = ?', opts.appId],
    ] as const)
      if (value !== undefined) {
        where.push(column);
        args.push(value);
      }
    // The request behind each change: the X-Request-Id its event recorded (while the event is retained).
    return this.db
      .prepare<unknown[], Record<string, unknown>>(
        `SELECT a.*, e.detail_json ->> '$.requestId' AS request_id FROM audit_log a
         LEFT JOIN events e ON e.directory_id = a.directory_id AND e.seq = a.seq
         WHERE ${where.join(' AND ')} ORDER BY a.id LIMIT ?`,
      )
      .all(...args, limit)
      .map(auditFromRow);
  }

  /** The newest time-to-revoke record's rowid (metrics observe only the ones recorded after it). */
  newestRevocationRowId(): number {
    return this.db.prepare<[], { id: number | null }>('SELECT MAX(rowid) AS id FROM revocations').get()!.id ?? 0;
  }

  /** Time-to-revoke records after a rowid, oldest first (at most 10,000 per call). */
  revocationsAfterRowId(rowId: number): { rowId: number; directoryId: string; latencyMs: number }[] {
    return this.db
      .prepare<[number], { row_id: number; directory_id: string; latency_ms: number }>(
        'SELECT rowid AS row_id, directory_id, latency_ms FROM revocations WHERE rowid > ? ORDER BY rowid LIMIT 10000',
      )
      .all(rowId)
      .map((r) => ({ rowId: r.row_id, directoryId: r.directory_id, latencyMs: r.latency_ms }));
  }

  /** The time-to-revoke records of one identity, oldest first. */
  revocationsOf(
    directoryId: string,
    identityId: string,
  ): { seq: number; requestedAt: string; verifiedAt: string; latencyMs: number }[] {
    return this.db
      .prepare<[string, string], { seq: number; requested_at: string; verified_at: string; latency_ms: number }>(
        'SELECT * FROM revocations WHERE directory_id = ? AND identity_id = ? ORDER BY verified_at',
      )
      .all(directoryId, identityId)
      .map((r) => ({ seq: r.seq, requestedAt: r.requested_at, verifiedAt: r.verified_at, latencyMs: r.latency_ms }));
  }

  recordProgress(
    directoryId: string,
    identityId: string,
    progress: { processedSeq: number; lifecycle: string; exception: string | null },
  ): void {
    this.db
      .prepare(
        `INSERT INTO identity_progress (directory_id, identity_id, processed_seq, lifecycle, exception, exception_since, updated_at)
         VALUES (@directoryId, @identityId, @processedSeq, @lifecycle, @exception, CASE WHEN @exception IS NULL THEN NULL ELSE @at END, @at)
         ON CONFLICT (directory_id, identity_id) DO UPDATE SET processed_seq = MAX(processed_seq, excluded.processed_seq),
           lifecycle = excluded.lifecycle, exception = excluded.exception,
           exception_since = CASE WHEN excluded.exception IS NULL THEN NULL ELSE COALESCE(exception_since, excluded.updated_at) END,
           updated_at = excluded.updated_at`,
      )
      .run({
        directoryId,
        identityId,
        processedSeq: progress.processedSeq,
        lifecycle: progress.lifecycle,
        exception: progress.exception,
        at: nowIso(),
      });
  }

  progress(
    directoryId: string,
    identityId: string,
  ): { processedSeq: number; lifecycle: string | null; exception: string | null } | undefined {
    const row = this.db
      .prepare<[string, string], { processed_seq: number; lifecycle: string | null; exception: string | null }>(
        'SELECT processed_seq, lifecycle, exception FROM identity_progress WHERE directory_id = ? AND identity_id = ?',
      )
      .get(directoryId, identityId);
    return row ? { processedSeq: row.processed_seq, lifecycle: row.lifecycle, exception: row.exception } : undefined;
  }

  /** Identities that need an operator's eye: an exception, or an app whose convergence keeps failing; oldest first. */
  exceptions(directoryId: string, now: number = Date.now()): IdentityException[] {
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
    const userNames = `LEFT JOIN resources r ON r.directory_id = x.directory_id AND r.id = x.identity_id`;
    for (const row of this.db
      .prepare<[string], { identity_id: string; exception: string; since: string; user_name: string | null }>(
        `SELECT x.identity_id, x.exception, COALESCE(x.exception_since, x.updated_at) AS since, r.user_name
         FROM identity_progress x ${userNames} WHERE x.directory_id = ? AND x.exception IS NOT NULL`,
      )
      .all(directoryId))
      entry(row.identity_id, row.user_name, row.since).exception = row.exception;
    for (const row of this.db
      .prepare<
        [string],
        {
          identity_id: string;
          app_id: string;
          kind: AppBlock['kind'];
          since: string;
          reason: string | null;
          user_name: string | null;
        }
      >(
        `SELECT x.identity_id, x.app_id, x.blocked_kind AS kind, x.blocked_since AS since, x.blocked_reason AS reason, r.user_name
         FROM applied_accounts x ${userNames} WHERE x.directory_id = ? AND x.blocked_kind IS NOT NULL`,
      )
      .all(directoryId))
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
  unprocessed(directoryId: string, afterSeq: number): { identities: UnprocessedIdentity[]; lowestSeq: number } {
    const rows = this.db
      .prepare<
        [string, number],
        { identity_id: string; seq: number; first_seq: number; since: string; exception: string | null }
      >(
        `SELECT e.identity_id, MAX(e.seq) AS seq, MIN(e.seq) AS first_seq, MIN(e.created_at) AS since, p.exception
         FROM events e LEFT JOIN identity_progress p ON p.directory_id = e.directory_id AND p.identity_id = e.identity_id
         WHERE e.directory_id = ? AND e.seq > ? AND e.resource_type = 'User' AND e.seq > COALESCE(p.processed_seq, 0)
         GROUP BY e.identity_id`,
      )
      .all(directoryId, afterSeq);
    const newest = this.db
      .prepare<[string, number], { seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM events WHERE directory_id = ? AND seq > ?',
      )
      .get(directoryId, afterSeq)?.seq;
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
  flagStalled(directoryId: string, identityId: string, exception: string): void {
    const at = nowIso();
    this.db
      .prepare(
        `INSERT INTO identity_progress (directory_id, identity_id, processed_seq, lifecycle, exception, exception_since, updated_at)
         VALUES (@directoryId, @identityId, 0, 'stalled', @exception, @at, @at)
         ON CONFLICT (directory_id, identity_id) DO UPDATE SET exception = excluded.exception,
           exception_since = COALESCE(exception_since, excluded.exception_since), updated_at = excluded.updated_at`,
      )
      .run({ directoryId, identityId, exception, at });
  }

  /** Events of user identities not yet processed by their workflow (lag), per directory. */
  lag(directoryId: string): { newestSeq: number; unprocessedEvents: number; identitiesBehind: number } {
    const newest = this.db
      .prepare<[string], { next_seq: number }>('SELECT next_seq FROM directories WHERE id = ?')
      .get(directoryId);
    const behind = this.db
      .prepare<[string], { events: number; identities: number }>(
        `SELECT COUNT(*) AS events, COUNT(DISTINCT e.identity_id) AS identities FROM events e
         LEFT JOIN identity_progress p ON p.directory_id = e.directory_id AND p.identity_id = e.identity_id
         WHERE e.directory_id = ? AND e.resource_type = 'User' AND e.seq > COALESCE(p.processed_seq, 0)`,
      )
      .get(directoryId)!;
    return { newestSeq: newest?.next_seq ?? 0, unprocessedEvents: behind.events, identitiesBehind: behind.identities };
  }

  /**
   * When the newest app verified a revocation for this departure (audit rows at or after its seq), if one did and the
   * departure has no time-to-revoke record yet: one query, on the load path of every departed identity.
   */
  unrecordedRevocationVerifiedAt(directoryId: string, identityId: string, seq: number): string | undefined {
    const row = this.db
      .prepare<[string, string, number, string, string, number], { at: string | null }>(
        `SELECT MAX(at) AS at FROM audit_log
         WHERE directory_id = ? AND identity_id = ? AND action = 'revocation.verified' AND seq >= ?
           AND NOT EXISTS (SELECT 1 FROM revocations WHERE directory_id = ? AND identity_id = ? AND seq = ?)`,
      )
      .get(directoryId, identityId, seq, directoryId, identityId, seq);
    return row?.at ?? undefined;
  }

  recordRevocation(
    directoryId: string,
    identityId: string,
    seq: number,
    requestedAt: string,
    verifiedAt: string,
  ): void {
    const latency = Date.parse(verifiedAt) - Date.parse(requestedAt);
    this.db
      .prepare(
        `INSERT OR IGNORE INTO revocations (directory_id, identity_id, seq, requested_at, verified_at, latency_ms) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(directoryId, identityId, seq, requestedAt, verifiedAt, latency);
  }

  revocations(
    directoryId: string,
  ): { identityId: string; seq: number; requestedAt: string; verifiedAt: string; latencyMs: number }[] {
    return this.db
      .prepare<
        [string],
        { identity_id: string; seq: number; requested_at: string; verified_at: string; latency_ms: number }
      >('SELECT * FROM revocations WHERE directory_id = ? ORDER BY verified_at')
      .all(directoryId)
      .map((r) => ({
        identityId: r.identity_id,
        seq: r.seq,
        requestedAt: r.requested_at,
        verifiedAt: r.verified_at,
        latencyMs: r.latency_ms,
      }));
  }
}
