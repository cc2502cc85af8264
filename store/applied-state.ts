// store/applied-state.ts: what scimflow last applied in each app for each identity, progress, revocations and audit.
import type { Db } from './db';
import { nowIso } from './db';

export type AccountState = 'active' | 'disabled' | 'deleted';

export interface AppliedAccount {
  appId: string;
  remoteId: string | null;
  state: AccountState;
  specHash: string | null;
  entitlements: string[];
  updatedAt: string;
}

interface RawApplied {
  app_id: string;
  remote_id: string | null;
  state: AccountState;
  spec_hash: string | null;
  entitlements_json: string;
  updated_at: string;
}

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

export class AppliedStateStore {
  constructor(private readonly db: Db) {}

  list(directoryId: string, identityId: string): AppliedAccount[] {
    return this.db
      .prepare<[string, string], RawApplied>(
        'SELECT * FROM applied_accounts WHERE directory_id = ? AND identity_id = ? ORDER BY app_id',
      )
      .all(directoryId, identityId)
      .map((r) => ({
        appId: r.app_id,
        remoteId: r.remote_id,
        state: r.state,
        specHash: r.spec_hash,
        entitlements: JSON.parse(r.entitlements_json) as string[],
        updatedAt: r.updated_at,
      }));
  }

  upsert(directoryId: string, identityId: string, account: Omit<AppliedAccount, 'updatedAt'>): void {
    this.db
      .prepare(
        `INSERT INTO applied_accounts (directory_id, identity_id, app_id, remote_id, state, spec_hash, entitlements_json, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (directory_id, identity_id, app_id) DO UPDATE SET remote_id = excluded.remote_id, state = excluded.state,
           spec_hash = excluded.spec_hash, entitlements_json = excluded.entitlements_json, updated_at = excluded.updated_at`,
      )
      .run(
        directoryId,
        identityId,
        account.appId,
        account.remoteId,
        account.state,
        account.specHash,
        JSON.stringify([...account.entitlements].sort()),
        nowIso(),
      );
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
    return rows.map((r) => ({
      id: r.id as number,
      directoryId: r.directory_id as string,
      identityId: r.identity_id as string,
      appId: (r.app_id as string | null) ?? undefined,
      action: r.action as string,
      seq: (r.seq as number | null) ?? undefined,
      workflowId: (r.workflow_id as string | null) ?? undefined,
      attempt: (r.attempt as number | null) ?? undefined,
      detail: JSON.parse(r.detail_json as string) as Record<string, unknown>,
      at: r.at as string,
    }));
  }

  recordProgress(
    directoryId: string,
    identityId: string,
    progress: { processedSeq: number; lifecycle: string; exception: string | null },
  ): void {
    this.db
      .prepare(
        `INSERT INTO identity_progress (directory_id, identity_id, processed_seq, lifecycle, exception, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (directory_id, identity_id) DO UPDATE SET processed_seq = MAX(processed_seq, excluded.processed_seq),
           lifecycle = excluded.lifecycle, exception = excluded.exception, updated_at = excluded.updated_at`,
      )
      .run(directoryId, identityId, progress.processedSeq, progress.lifecycle, progress.exception, nowIso());
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

  exceptions(directoryId: string): { identityId: string; exception: string; updatedAt: string }[] {
    return this.db
      .prepare<[string], { identity_id: string; exception: string; updated_at: string }>(
        'SELECT identity_id, exception, updated_at FROM identity_progress WHERE directory_id = ? AND exception IS NOT NULL',
      )
      .all(directoryId)
      .map((r) => ({ identityId: r.identity_id, exception: r.exception, updatedAt: r.updated_at }));
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
