// store/policies.ts: versioned entitlement policy documents per directory (validated by domain/policy before storing).
import type { Db } from './db';
import { nowIso } from './db';

export class PolicyStore {
  constructor(private readonly db: Db) {}

  /** Stores a new version; returns its number. */
  put(directoryId: string, policy: unknown): number {
    return this.db.transaction(() => {
      const row = this.db
        .prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM policies WHERE directory_id = ?')
        .get(directoryId);
      const version = (row?.v ?? 0) + 1;
      this.db
        .prepare('INSERT INTO policies (directory_id, version, policy_json, created_at) VALUES (?, ?, ?, ?)')
        .run(directoryId, version, JSON.stringify(policy), nowIso());
      return version;
    })();
  }

  latest(directoryId: string): { version: number; policy: unknown } | undefined {
    const row = this.db
      .prepare<[string], { version: number; policy_json: string }>(
        'SELECT version, policy_json FROM policies WHERE directory_id = ? ORDER BY version DESC LIMIT 1',
      )
      .get(directoryId);
    return row ? { version: row.version, policy: JSON.parse(row.policy_json) } : undefined;
  }

  history(directoryId: string): { version: number; createdAt: string }[] {
    return this.db
      .prepare<[string], { version: number; created_at: string }>(
        'SELECT version, created_at FROM policies WHERE directory_id = ? ORDER BY version',
      )
      .all(directoryId)
      .map((r) => ({ version: r.version, createdAt: r.created_at }));
  }
}
