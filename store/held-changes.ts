// store/held-changes.ts: changes the mass-change guard held until an operator approves them.
import crypto from 'node:crypto';
import type { Db } from './db';
import { nowIso } from './db';

export type HeldKind = 'policy' | 'reconcile-orphans';

export interface HeldChange {
  id: string;
  directoryId: string;
  appId: string;
  kind: HeldKind;
  reason: string;
  affected: number;
  payload: unknown;
  heldAt: string;
  approvedAt: string | null;
}

export interface Raw {
  id: string;
  directory_id: string;
  app_id: string;
  kind: HeldKind;
  reason: string;
  affected: number;
  payload_json: string | null;
  held_at: string;
  approved_at: string | null;
}

export const fromRaw = (r: Raw): HeldChange => ({
  id: r.id,
  directoryId: r.directory_id,
  appId: r.app_id,
  kind: r.kind,
  reason: r.reason,
  affected: r.affected,
  payload: r.payload_json === null ? null : JSON.parse(r.payload_json),
  heldAt: r.held_at,
  approvedAt: r.approved_at,
});

export class HeldChangeStore {
  constructor(private readonly db: Db) {}

  hold(change: Pick<HeldChange, 'directoryId' | 'appId' | 'kind' | 'reason' | 'affected' | 'payload'>): HeldChange {
    const id = crypto.randomUUID();
    this.db
      .prepare(
        `INSERT INTO held_changes (id, directory_id, app_id, kind, reason, affected, payload_json, held_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        change.directoryId,
        change.appId,
        change.kind,
        change.reason,
        change.affected,
        JSON.stringify(change.payload ?? null),
        nowIso(),
      );
    return this.get(id)!;
  }

  get(id: string): HeldChange | undefined {
    const row = this.db.prepare('SELECT * FROM held_changes WHERE id = ?').get(id) as Raw | undefined;
    return row && fromRaw(row);
  }

  /** Marks it approved; false when it was approved already (an approval is used once). */
  approve(id: string): boolean {
    return (
      this.db.prepare('UPDATE held_changes SET approved_at = ? WHERE id = ? AND approved_at IS NULL').run(nowIso(), id)
        .changes === 1
    );
  }

  /** Held changes of a directory not approved yet, oldest first. */
  pending(directoryId: string): HeldChange[] {
    return (
      this.db
        .prepare('SELECT * FROM held_changes WHERE directory_id = ? AND approved_at IS NULL ORDER BY held_at')
        .all(directoryId) as Raw[]
    ).map(fromRaw);
  }
}
