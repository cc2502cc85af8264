// store/drift.ts: reconciliation runs and the drift they found (`report drift`), and the lookups a scan needs.
import type { Finding } from '../domain/reconcile/diff';
import type { Db } from './db';
import { nowIso } from './db';

export interface DriftRow extends Finding {
  runId: string;
  appId: string;
  foundAt: string;
  ageSeconds: number;
}

export interface RawFinding {
  run_id: string;
  app_id: string;
  kind: Finding['kind'];
  user_name: string;
  remote_id: string | null;
  identity_id: string | null;
  action: Finding['action'];
  detail_json: string | null;
  found_at: string;
}

/** An applied record of the scanned app, found by the account's remote id. */
export interface AppliedByRemote {
  identityId: string;
  remoteId: string;
}

export class DriftStore {
  constructor(private readonly db: Db) {}

  startRun(run: { id: string; directoryId: string; appId: string; dryRun: boolean }): void {
    this.db
      .prepare('INSERT INTO reconcile_runs (id, directory_id, app_id, dry_run, started_at) VALUES (?, ?, ?, ?, ?)')
      .run(run.id, run.directoryId, run.appId, run.dryRun ? 1 : 0, nowIso());
  }

  finishRun(runId: string, summary: unknown): void {
    this.db
      .prepare('UPDATE reconcile_runs SET finished_at = ?, summary_json = ? WHERE id = ?')
      .run(nowIso(), JSON.stringify(summary), runId);
  }

  record(run: { id: string; directoryId: string; appId: string }, findings: Finding[]): void {
    const insert = this.db.prepare(
      `INSERT INTO drift_findings (run_id, directory_id, app_id, kind, user_name, remote_id, identity_id, action,
         detail_json, found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const at = nowIso();
    this.db.transaction(() => {
      for (const f of findings) {
        const detail = { entitlements: f.entitlements, attributes: f.attributes };
        insert.run(
          run.id,
          run.directoryId,
          run.appId,
          f.kind,
          f.userName,
          f.remoteId,
          f.identityId ?? null,
          f.action,
          JSON.stringify(detail),
          at,
        );
      }
    })();
  }

  /** The findings of each app's latest finished run (not dry runs), newest first, with their ages. */
  latest(directoryId: string, now = Date.now()): DriftRow[] {
    const rows = this.db
      .prepare<[string, string], RawFinding>(
        `SELECT f.* FROM drift_findings f WHERE f.directory_id = ? AND f.run_id IN (
           SELECT r.id FROM reconcile_runs r WHERE r.directory_id = ? AND r.dry_run = 0 AND r.finished_at IS NOT NULL
             AND r.started_at = (SELECT MAX(r2.started_at) FROM reconcile_runs r2 WHERE r2.app_id = r.app_id
                                   AND r2.dry_run = 0 AND r2.finished_at IS NOT NULL))
         ORDER BY f.found_at DESC, f.id`,
      )
      .all(directoryId, directoryId);
    return rows.map((r) => toDriftRow(r, now));
  }

  /** The finished runs of a directory, newest first (their summaries). */
  runs(directoryId: string, limit = 20): { id: string; appId: string; startedAt: string; summary: unknown }[] {
    return this.db
      .prepare<[string, number], { id: string; app_id: string; started_at: string; summary_json: string }>(
        `SELECT id, app_id, started_at, summary_json FROM reconcile_runs
          WHERE directory_id = ? AND finished_at IS NOT NULL AND dry_run = 0 ORDER BY started_at DESC LIMIT ?`,
      )
      .all(directoryId, limit)
      .map((r) => ({ id: r.id, appId: r.app_id, startedAt: r.started_at, summary: JSON.parse(r.summary_json) }));
  }

  /** Which of `remoteIds` scimflow recorded in this app, and for whom (one query per scanned page). */
  appliedByRemoteIds(appId: string, remoteIds: string[]): AppliedByRemote[] {
    if (remoteIds.length === 0) return [];
    const marks = remoteIds.map(() => '?').join(',');
    return this.db
      .prepare<string[], { identity_id: string; remote_id: string }>(
        `SELECT identity_id, remote_id FROM applied_accounts WHERE app_id = ? AND remote_id IN (${marks})`,
      )
      .all(appId, ...remoteIds)
      .map((r) => ({ identityId: r.identity_id, remoteId: r.remote_id }));
  }

  /** Every account scimflow recorded as existing in this app (what a full scan must have seen). */
  recordedAccounts(appId: string): { identityId: string; remoteId: string }[] {
    return this.db
      .prepare<[string], { identity_id: string; remote_id: string }>(
        `SELECT identity_id, remote_id FROM applied_accounts
          WHERE app_id = ? AND remote_id IS NOT NULL AND state IN ('active', 'disabled')`,
      )
      .all(appId)
      .map((r) => ({ identityId: r.identity_id, remoteId: r.remote_id }));
  }

  /** Every entitlement scimflow recorded granting in this app, to anyone. */
  recordedEntitlements(appId: string): string[] {
    return this.db
      .prepare<[string], { e: string }>(
        'SELECT DISTINCT j.value AS e FROM applied_accounts, json_each(applied_accounts.entitlements_json) j WHERE app_id = ?',
      )
      .all(appId)
      .map((r) => r.e);
  }

  /** The live users with this externalId (more than one: the caller refuses to guess). */
  userByExternalId(directoryId: string, externalId: string): string[] {
    return this.db
      .prepare<[string, string], { id: string }>(
        `SELECT id FROM resources WHERE directory_id = ? AND type = 'User' AND external_id = ? AND deleted_at IS NULL`,
      )
      .all(directoryId, externalId)
      .map((r) => r.id);
  }
}

/** A stored finding as `latest` returns it, with its age at `now` (both implementations). */
export function toDriftRow(r: RawFinding, now: number): DriftRow {
  const detail = r.detail_json ? (JSON.parse(r.detail_json) as Partial<Finding>) : {};
  return {
    runId: r.run_id,
    appId: r.app_id,
    kind: r.kind,
    userName: r.user_name,
    remoteId: r.remote_id,
    ...(r.identity_id ? { identityId: r.identity_id } : {}),
    action: r.action,
    ...(detail.entitlements ? { entitlements: detail.entitlements } : {}),
    ...(detail.attributes ? { attributes: detail.attributes } : {}),
    foundAt: r.found_at,
    ageSeconds: Math.max(0, Math.round((now - Date.parse(r.found_at)) / 1000)),
  };
}
