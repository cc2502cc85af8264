// store/group-names.ts: group id → display name and externalId, cached for rendering users' `groups`.
import type { Db } from './db';

export interface GroupRef {
  value: string;
  display: string;
  externalId: string | null;
}

/** How often, at most, another connection's commits are looked for (PRAGMA data_version). */
export const FOREIGN_WRITE_CHECK_MS = 100;
const MAX_ENTRIES = 100_000;

/** A group row as both queries select it: its display name as JSON text (SQLite `->`, escapes intact). */
export interface GroupRow {
  id: string;
  display: unknown;
  external_id: string | null;
}

/** Anything but a JSON string is no name (a group without a string displayName renders with ''). */
export function toGroupRef(row: GroupRow): GroupRef {
  const name: unknown = typeof row.display === 'string' ? JSON.parse(row.display) : undefined;
  return { value: row.id, display: typeof name === 'string' ? name : '', externalId: row.external_id };
}

/**
 * Every rendered user names its groups; a directory has few groups and renames are rare, so their names are kept in
 * memory instead of probing each group's row per request (a tenth of a filtered read). Correctness rules:
 * - this connection's group writes call `forget` (ResourceStore does, for every insert, replace and delete of a group);
 * - another connection's commits (another process) clear everything, noticed within FOREIGN_WRITE_CHECK_MS;
 * - nothing is cached while a write transaction is open, so a name that a later ROLLBACK undoes is never kept.
 */
export class GroupNames {
  private readonly cache = new Map<string, GroupRef | null>();
  private readonly byId;
  private readonly dataVersion;
  private seenVersion: number;
  private checkedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = () => performance.now(),
  ) {
    // `->` gives the JSON text of the name (escapes intact, lone surrogates survive), parsed in JS.
    this.byId = db.prepare<[string, string], GroupRow>(
      `SELECT id, doc -> '$.displayName' AS display, external_id FROM resources
       WHERE directory_id = ? AND id = ? AND deleted_at IS NULL`,
    );
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.seenVersion = this.dataVersion.get()!;
  }

  /** The live group, or undefined when it does not exist (or is deleted). */
  get(directoryId: string, groupId: string): GroupRef | undefined {
    this.dropIfWrittenElsewhere();
    const key = `${directoryId}\u0000${groupId}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const row = this.byId.get(directoryId, groupId);
    const group = row ? toGroupRef(row) : null;
    if (!this.db.inTransaction) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(key, group);
    }
    return group ?? undefined;
  }

  forget(directoryId: string, groupId: string): void {
    this.cache.delete(`${directoryId}\u0000${groupId}`);
  }

  private dropIfWrittenElsewhere(): void {
    const now = this.now();
    if (now - this.checkedAt < FOREIGN_WRITE_CHECK_MS) return;
    this.checkedAt = now;
    const version = this.dataVersion.get()!;
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.cache.clear();
    }
  }
}
