// store/pg/drift.ts: reconciliation runs and the drift they found (`report drift`), and the lookups a scan needs, on
// PostgreSQL.
import type { Finding } from '../../domain/reconcile/diff';
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { AppliedByRemote, DriftRow, DriftStore, RawFinding } from '../drift';
import { toDriftRow } from '../drift';
import type { PgSession } from './session';

export class PgDriftStore implements Async<DriftStore> {
  constructor(private readonly session: PgSession) {}

  async startRun(run: { id: string; directoryId: string; appId: string; dryRun: boolean }): Promise<void> {
    await this.session.run(
      'INSERT INTO reconcile_runs (id, directory_id, app_id, dry_run, started_at) VALUES ($1, $2, $3, $4, $5)',
      [run.id, run.directoryId, run.appId, run.dryRun ? 1 : 0, nowIso()],
    );
  }

  async finishRun(runId: string, summary: unknown): Promise<void> {
    await this.session.run('UPDATE reconcile_runs SET finished_at = $1, summary_json = $2 WHERE id = $3', [
      nowIso(),
      JSON.stringify(summary),
      runId,
    ]);
  }

  /**
   * One INSERT for the whole list (a scan of a large app may report thousands of orphans): the findings go in as
   * parallel arrays, unnested in list order, so their serial ids keep that order as SQLite's rowids do (`latest`
   * orders a run's findings, which share `found_at`, by id).
   */
  async record(run: { id: string; directoryId: string; appId: string }, findings: Finding[]): Promise<void> {
    if (findings.length === 0) return;
    await this.session.run(
      `INSERT INTO drift_findings (run_id, directory_id, app_id, kind, user_name, remote_id, identity_id, action,
         detail_json, found_at)
       SELECT $1, $2, $3, f.kind, f.user_name, f.remote_id, f.identity_id, f.action, f.detail_json, $4
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
              WITH ORDINALITY AS f(kind, user_name, remote_id, identity_id, action, detail_json, n)
        ORDER BY f.n`,
      [
        run.id,
        run.directoryId,
        run.appId,
        nowIso(),
        findings.map((f) => f.kind),
        findings.map((f) => f.userName),
        findings.map((f) => f.remoteId),
        findings.map((f) => f.identityId ?? null),
        findings.map((f) => f.action),
        findings.map((f) => JSON.stringify({ entitlements: f.entitlements, attributes: f.attributes })),
      ],
    );
  }

  /** The findings of each app's latest finished run (not dry runs), newest first, with their ages. */
  async latest(directoryId: string, now = Date.now()): Promise<DriftRow[]> {
    const rows = await this.session.query<RawFinding>(
      `SELECT f.* FROM drift_findings f WHERE f.directory_id = $1 AND f.run_id IN (
         SELECT r.id FROM reconcile_runs r WHERE r.directory_id = $1 AND r.dry_run = 0 AND r.finished_at IS NOT NULL
           AND r.started_at = (SELECT MAX(r2.started_at) FROM reconcile_runs r2 WHERE r2.app_id = r.app_id
                                 AND r2.dry_run = 0 AND r2.finished_at IS NOT NULL))
       ORDER BY f.found_at DESC, f.id`,
      [directoryId],
    );
    return rows.map((r) => toDriftRow(r, now));
  }

  /**
   * The finished runs of a directory, newest first (their summaries); runs started in the same millisecond by id. A
   * negative limit means none, as SQLite reads `LIMIT -1` (PostgreSQL refuses it; `LIMIT NULL` is none there).
   */
  async runs(
    directoryId: string,
    limit = 20,
  ): Promise<{ id: string; appId: string; startedAt: string; summary: unknown }[]> {
    const rows = await this.session.query<{ id: string; app_id: string; started_at: string; summary_json: string }>(
      `SELECT id, app_id, started_at, summary_json FROM reconcile_runs
        WHERE directory_id = $1 AND finished_at IS NOT NULL AND dry_run = 0 ORDER BY started_at DESC, id LIMIT $2`,
      [directoryId, limit < 0 ? null : limit],
    );
    return rows.map((r) => ({
      id: r.id,
      appId: r.app_id,
      startedAt: r.started_at,
      summary: JSON.parse(r.summary_json),
    }));
  }

  /**
   * Which of `remoteIds` scimflow recorded in this app, and for whom (one query per scanned page). By remote id, as
   * SQLite's index gives them.
   */
  async appliedByRemoteIds(appId: string, remoteIds: string[]): Promise<AppliedByRemote[]> {
    if (remoteIds.length === 0) return [];
    const rows = await this.session.query<{ identity_id: string; remote_id: string }>(
      `SELECT identity_id, remote_id FROM applied_accounts WHERE app_id = $1 AND remote_id = ANY($2::text[])
        ORDER BY remote_id, identity_id`,
      [appId, remoteIds],
    );
    return rows.map((r) => ({ identityId: r.identity_id, remoteId: r.remote_id }));
  }

  /** Every account scimflow recorded as existing in this app (what a full scan must have seen), by remote id. */
  async recordedAccounts(appId: string): Promise<{ identityId: string; remoteId: string }[]> {
    const rows = await this.session.query<{ identity_id: string; remote_id: string }>(
      `SELECT identity_id, remote_id FROM applied_accounts
        WHERE app_id = $1 AND remote_id IS NOT NULL AND state IN ('active', 'disabled')
        ORDER BY remote_id, identity_id`,
      [appId],
    );
    return rows.map((r) => ({ identityId: r.identity_id, remoteId: r.remote_id }));
  }

  /**
   * Every entitlement scimflow recorded granting in this app, to anyone. The recorded list is a JSON array of strings
   * in a text column: jsonb_array_elements_text is SQLite's json_each there. Byte order (the caller sorts anyway).
   */
  async recordedEntitlements(appId: string): Promise<string[]> {
    const rows = await this.session.query<{ e: string }>(
      `SELECT DISTINCT j.e COLLATE "C" AS e
         FROM applied_accounts a, jsonb_array_elements_text(a.entitlements_json::jsonb) AS j(e)
        WHERE a.app_id = $1
        ORDER BY 1`,
      [appId],
    );
    return rows.map((r) => r.e);
  }

  /** The live users with this externalId (more than one: the caller refuses to guess), by id. */
  async userByExternalId(directoryId: string, externalId: string): Promise<string[]> {
    const rows = await this.session.query<{ id: string }>(
      `SELECT id FROM resources WHERE directory_id = $1 AND type = 'User' AND external_id = $2 AND deleted_at IS NULL
        ORDER BY id`,
      [directoryId, externalId],
    );
    return rows.map((r) => r.id);
  }
}
