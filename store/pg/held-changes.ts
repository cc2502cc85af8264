// store/pg/held-changes.ts: changes the mass-change guard held until an operator approves them, on PostgreSQL.
import crypto from 'node:crypto';
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { HeldChange, HeldChangeStore, Raw } from '../held-changes';
import { fromRaw } from '../held-changes';
import type { PgSession } from './session';

export class PgHeldChangeStore implements Async<HeldChangeStore> {
  constructor(private readonly session: PgSession) {}

  async hold(
    change: Pick<HeldChange, 'directoryId' | 'appId' | 'kind' | 'reason' | 'affected' | 'payload'>,
  ): Promise<HeldChange> {
    const row = await this.session.one<Raw>(
      `INSERT INTO held_changes (id, directory_id, app_id, kind, reason, affected, payload_json, held_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING *`,
      [
        crypto.randomUUID(),
        change.directoryId,
        change.appId,
        change.kind,
        change.reason,
        change.affected,
        JSON.stringify(change.payload ?? null),
        nowIso(),
      ],
    );
    return fromRaw(row!);
  }

  async get(id: string): Promise<HeldChange | undefined> {
    const row = await this.session.one<Raw>('SELECT * FROM held_changes WHERE id = $1', [id]);
    return row && fromRaw(row);
  }

  /**
   * Marks it approved; false when it was approved already (an approval is used once). One conditional UPDATE: of two
   * processes approving at once, the second waits for the first's row lock, sees `approved_at` set and touches nothing.
   */
  async approve(id: string): Promise<boolean> {
    const changed = await this.session.run(
      'UPDATE held_changes SET approved_at = $1 WHERE id = $2 AND approved_at IS NULL',
      [nowIso(), id],
    );
    return changed === 1;
  }

  /** Held changes of a directory not approved yet, oldest first (the same millisecond: by id). */
  async pending(directoryId: string): Promise<HeldChange[]> {
    const rows = await this.session.query<Raw>(
      'SELECT * FROM held_changes WHERE directory_id = $1 AND approved_at IS NULL ORDER BY held_at, id',
      [directoryId],
    );
    return rows.map(fromRaw);
  }
}
