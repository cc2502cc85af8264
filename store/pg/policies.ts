// store/pg/policies.ts: versioned entitlement policy documents per directory, on PostgreSQL.
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { PolicyStore } from '../policies';
import type { PgSession } from './session';

export class PgPolicyStore implements Async<PolicyStore> {
  constructor(private readonly session: PgSession) {}

  /**
   * Stores a new version; returns its number. A version is the directory's highest plus one: on SQLite the one write
   * lock kept two writers from reading the same highest; here writers of one directory queue on a transaction-scoped
   * advisory lock (a directory may have no row to lock: policies do not reference directories), held until commit,
   * so the next one reads this version and two concurrent puts never fight over one number.
   */
  async put(directoryId: string, policy: unknown): Promise<number> {
    return this.session.atomically(async () => {
      await this.session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`policies/${directoryId}`]);
      const row = await this.session.one<{ version: number }>(
        `INSERT INTO policies (directory_id, version, policy_json, created_at)
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM policies WHERE directory_id = $1
         RETURNING version`,
        [directoryId, JSON.stringify(policy), nowIso()],
      );
      return row!.version;
    });
  }

  async latest(directoryId: string): Promise<{ version: number; policy: unknown } | undefined> {
    const row = await this.session.one<{ version: number; policy_json: string }>(
      'SELECT version, policy_json FROM policies WHERE directory_id = $1 ORDER BY version DESC LIMIT 1',
      [directoryId],
    );
    return row ? { version: row.version, policy: JSON.parse(row.policy_json) } : undefined;
  }

  async history(directoryId: string): Promise<{ version: number; createdAt: string }[]> {
    const rows = await this.session.query<{ version: number; created_at: string }>(
      'SELECT version, created_at FROM policies WHERE directory_id = $1 ORDER BY version',
      [directoryId],
    );
    return rows.map((r) => ({ version: r.version, createdAt: r.created_at }));
  }
}
