// store/pg/group-names.ts: group id → display name and externalId on PostgreSQL, read from the database every time.
import type { GroupRef } from '../group-names';
import type { PgSession } from './session';

/** A group row with its whole document: the name is taken from it in JS (see `groupRefOf`). */
export interface GroupDocRow {
  id: string;
  doc: string;
  external_id: string | null;
}

/**
 * The name as SQLite's `doc -> '$.displayName'` then toGroupRef give it: anything but a JSON string is no name (''). It
 * is parsed in JS, not with PostgreSQL's json operators: those refuse a document holding a lone surrogate (`\ud800`,
 * which a displayName may hold and must render exactly) or `\u0000`, escapes JSON.parse keeps.
 */
export function groupRefOf(row: GroupDocRow): GroupRef {
  const name: unknown = (JSON.parse(row.doc) as { displayName?: unknown }).displayName;
  return { value: row.id, display: typeof name === 'string' ? name : '', externalId: row.external_id };
}

/**
 * SQLite's GroupNames caches names and drops them when PRAGMA data_version says another connection committed.
 * PostgreSQL has no such counter, and a rename committed by another process must never leave a rendered `groups`
 * showing the old name; any invalidation that reads the database per request (a version row, a change counter) costs
 * the primary-key probe it would save, and LISTEN/NOTIFY arrives after the commit (a window with the old name). So
 * nothing is cached: every name is read from the database, on the caller's transaction when it has one (its own
 * uncommitted renames included, and nothing a rollback undoes is ever kept).
 */
export class PgGroupNames {
  constructor(private readonly session: PgSession) {}

  /** The live group, or undefined when it does not exist (or is deleted). */
  async get(directoryId: string, groupId: string): Promise<GroupRef | undefined> {
    const row = await this.session.one<GroupDocRow>(
      'SELECT id, doc, external_id FROM resources WHERE directory_id = $1 AND id = $2 AND deleted_at IS NULL',
      [directoryId, groupId],
    );
    return row ? groupRefOf(row) : undefined;
  }

  /** `get` for several ids in one statement: the live ones, by id. */
  async getMany(directoryId: string, groupIds: readonly string[]): Promise<Map<string, GroupRef>> {
    if (groupIds.length === 0) return new Map();
    const rows = await this.session.query<GroupDocRow>(
      `SELECT id, doc, external_id FROM resources
       WHERE directory_id = $1 AND id = ANY($2::text[]) AND deleted_at IS NULL`,
      [directoryId, groupIds],
    );
    return new Map(rows.map((r) => [r.id, groupRefOf(r)]));
  }
}
