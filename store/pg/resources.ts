// store/pg/resources.ts: SCIM users and groups of a directory on PostgreSQL, each write recorded with its events in
// one transaction.
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import { DatabaseBusyError, ResourceGoneError, UniqueViolationError } from '../errors';
import type { EventRow, NewEvent } from '../event-log';
import { newResourceId } from '../ids';
import { DISPLAY_NAME_INDEX_PREFIX } from '../migrations/20261211000000_postgres-column-types';
import type {
  Doc,
  DocWithText,
  IndexedAttribute,
  RawResource,
  ResourceStore,
  ResourceType,
  WriteResult,
} from '../resources';
import {
  indexColumns,
  replacedResource,
  RESOURCE_COLUMNS,
  StoredResource,
  toResource,
  userEventKind,
  withText,
} from '../resources';
import { typeLiteral } from '../statements';
import type { PgEventLog } from './event-log';
import type { PgGroupNames } from './group-names';
import type { PgSession } from './session';
import { isPgUniqueViolation } from './session';

/**
 * `current` no longer holds what is stored: another transaction (another process) wrote the row after the caller read
 * it. A serialization failure (SQLSTATE 40001): PgSession runs a whole transaction again, which reads `current` afresh;
 * where it reaches the API instead, it is a 503 to retry.
 */
function changedConcurrently(): Error {
  return Object.assign(new DatabaseBusyError('the resource was changed concurrently'), { code: '40001' });
}

/**
 * Lock order on PostgreSQL: every write takes the directory's counter row (events.append, or PgGroupMemberStore and
 * `touch` before they change resource rows) before any resource row, so two writers of one directory queue on that
 * row instead of deadlocking on each other's resource rows.
 */
export class PgResourceStore implements Async<ResourceStore> {
  constructor(
    private readonly session: PgSession,
    private readonly events: PgEventLog,
    // SQLite's store tells its group-name cache about every group write; PgGroupNames keeps no cache (it reads the
    // database every time), so there is nothing to tell it.
    _groupNames: PgGroupNames,
  ) {}

  async get(directoryId: string, type: ResourceType, id: string): Promise<StoredResource | undefined> {
    const row = await this.session.one<RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources
       WHERE directory_id = $1 AND id = $2 AND type = ${typeLiteral(type)} AND deleted_at IS NULL`,
      [directoryId, id],
    );
    return row ? toResource(row) : undefined;
  }

  /** Includes tombstones: the identity workflow must see that a user was deleted. */
  async getAnyState(directoryId: string, id: string): Promise<StoredResource | undefined> {
    const row = await this.session.one<RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE directory_id = $1 AND id = $2`,
      [directoryId, id],
    );
    return row ? toResource(row) : undefined;
  }

  /**
   * Runs `fn` in the caller's transaction (no savepoint: a failing write fails the caller's transaction, which the
   * group commit and the Bulk route isolate), or in one of its own; unique-index violations become
   * UniqueViolationError. Between two concurrent inserts of one userName the unique index decides: the second waits for
   * the first to commit, then fails.
   */
  private async transaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.session.join(fn);
    } catch (err) {
      if (isPgUniqueViolation(err))
        throw new UniqueViolationError('a resource with that unique attribute already exists');
      throw err;
    }
  }

  /** Creates the resource; a group's members, and their events, are added after it in the same transaction. */
  async insert(directoryId: string, type: ResourceType, doc: Doc): Promise<WriteResult> {
    const next = withText(doc);
    return this.transaction(async () => {
      const id = newResourceId();
      const at = nowIso();
      const cols = indexColumns(type, next.doc);
      const kind = type === 'User' ? 'created' : 'group.created';
      const events = await this.events.append(directoryId, [{ identityId: id, resourceType: type, kind }], at);
      const inactive = type === 'User' && !cols.active;
      const deactivatedAt = inactive ? at : null;
      const deactivatedSeq = inactive ? events[0]!.seq : null;
      await this.session.run(
        `INSERT INTO resources (directory_id, id, type, user_name, user_name_lower, external_id, display_name_lower,
           active, version, doc, created_at, updated_at, deactivated_at, deactivated_seq, group_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $11, $12, '[]')`,
        [
          directoryId,
          id,
          type,
          cols.userName,
          cols.userNameLower,
          cols.externalId,
          cols.displayNameLower,
          cols.active ? 1 : 0,
          next.text,
          at,
          deactivatedAt,
          deactivatedSeq,
        ],
      );
      const resource = new StoredResource(
        {
          directoryId,
          id,
          type,
          docText: next.text,
          version: 1,
          active: cols.active,
          createdAt: at,
          updatedAt: at,
          deletedAt: null,
          deactivatedAt,
          deactivatedSeq,
          groupIdsJson: null,
        },
        next.doc,
        { ids: [] }, // new: in no group yet (members are added after the row exists)
      );
      return { resource, events };
    });
  }

  /**
   * Replaces the document. `changed` false (an identical PUT, a no-op PATCH) records nothing and keeps the version.
   * Extra events (group membership deltas) are appended in the same transaction.
   *
   * SQLite's caller reads `current` under the database's one write lock, so nothing can change it before this write.
   * Here another process may have written the row in between: the UPDATE applies only if the row still holds
   * `current`'s document (a lost update otherwise: `next` was computed from it). Group membership changes by others
   * touch only `group_ids` and `version` (triggers), never the document, and are no conflict.
   */
  async replace(
    current: StoredResource,
    next: DocWithText,
    opts: { changed: boolean; extraEvents?: NewEvent[] },
  ): Promise<WriteResult> {
    return this.transaction(async () => {
      const extra = opts.extraEvents ?? [];
      if (!opts.changed && extra.length === 0) return { resource: current, events: [] };
      const at = nowIso();
      const cols = indexColumns(current.type, next.doc);
      const own: NewEvent[] = [];
      if (opts.changed) {
        const kind = current.type === 'User' ? userEventKind(current.active, cols.active) : 'group.updated';
        own.push({ identityId: current.id, resourceType: current.type, kind });
      }
      const events = await this.events.append(current.directoryId, [...own, ...extra], at);
      const deactivatedNow = current.type === 'User' && current.active && !cols.active;
      const deactivatedAt = deactivatedNow ? at : cols.active ? null : current.deactivatedAt;
      const deactivatedSeq = deactivatedNow ? events[0]!.seq : cols.active ? null : current.deactivatedSeq;
      // Every indexed column is SET: PostgreSQL compares old and new values itself (an unchanged index is not
      // rewritten), unlike SQLite, whose statement lists only the changed ones.
      const updated = await this.session.run(
        `UPDATE resources SET user_name = $3, user_name_lower = $4, external_id = $5, display_name_lower = $6,
           active = $7, version = version + 1, doc = $8, updated_at = $9, deactivated_at = $10, deactivated_seq = $11
         WHERE directory_id = $1 AND id = $2 AND deleted_at IS NULL AND doc = $12`,
        [
          current.directoryId,
          current.id,
          cols.userName,
          cols.userNameLower,
          cols.externalId,
          cols.displayNameLower,
          cols.active ? 1 : 0,
          next.text,
          at,
          deactivatedAt,
          deactivatedSeq,
          current.docText,
        ],
      );
      if (updated !== 1) await this.refuseStale(current);
      const resource = replacedResource(current, next, cols.active, at, deactivatedAt, deactivatedSeq);
      return { resource, events };
    });
  }

  /** A guarded write touched no row: the resource is gone (SQLite's answer too), or it changed since it was read. */
  private async refuseStale(current: StoredResource): Promise<never> {
    const row = await this.session.one<{ deleted_at: string | null }>(
      'SELECT deleted_at FROM resources WHERE directory_id = $1 AND id = $2',
      [current.directoryId, current.id],
    );
    if (!row || row.deleted_at !== null) throw new ResourceGoneError('the resource was deleted concurrently');
    throw changedConcurrently();
  }

  /**
   * Tombstones the resource (GET answers 404 from now on; the identity workflow still sees the deletion). Guarded
   * like `replace`: a resource another process deleted (or (de)activated) since `current` was read is refused, and
   * the transaction's events with it, where SQLite's write lock made that impossible.
   */
  async remove(current: StoredResource, extraEvents: NewEvent[] = []): Promise<EventRow[]> {
    return this.transaction(async () => {
      const at = nowIso();
      const kind = current.type === 'User' ? 'deleted' : 'group.deleted';
      const events = await this.events.append(
        current.directoryId,
        [{ identityId: current.id, resourceType: current.type, kind }, ...extraEvents],
        at,
      );
      const wasActive = current.type === 'User' && current.active;
      const updated = await this.session.run(
        `UPDATE resources SET deleted_at = $1, version = version + 1, active = 0,
           deactivated_at = COALESCE(CASE WHEN $2 THEN $1 END, deactivated_at),
           deactivated_seq = COALESCE(CASE WHEN $2 THEN $3::int END, deactivated_seq)
         WHERE directory_id = $4 AND id = $5 AND deleted_at IS NULL AND active = $6`,
        [at, wasActive, events[0]!.seq, current.directoryId, current.id, current.active ? 1 : 0],
      );
      if (updated !== 1) await this.refuseStale(current);
      return events;
    });
  }

  /**
   * Bumps meta.version/lastModified of groups whose `members` changed through another resource's deletion (members
   * themselves are bumped by the group_members triggers when their `groups` change).
   */
  async touch(directoryId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await lockDirectory(this.session, directoryId);
    await this.session.run(
      // One statement; an id listed twice is bumped twice, as SQLite's one UPDATE per id does.
      `UPDATE resources r SET version = r.version + t.n, updated_at = $1
       FROM (SELECT id, COUNT(*)::int AS n FROM unnest($3::text[]) AS u(id) GROUP BY id) t
       WHERE r.directory_id = $2 AND r.id = t.id AND r.deleted_at IS NULL`,
      [nowIso(), directoryId, ids],
    );
  }

  /**
   * Every identity that ever had this userName (case-insensitively): the live user, if any, and deleted ones, newest
   * first. One probe of the unique index and one of resources_deleted_user_name.
   */
  async userIdentities(directoryId: string, userName: string): Promise<{ id: string; deletedAt: string | null }[]> {
    const rows = await this.session.query<{ id: string; deleted_at: string | null }>(
      `SELECT id, deleted_at FROM (
         SELECT id, deleted_at FROM resources
          WHERE directory_id = $1 AND type = 'User' AND user_name_lower = $2 AND deleted_at IS NULL
         UNION ALL
         SELECT id, deleted_at FROM resources
          WHERE directory_id = $1 AND type = 'User' AND user_name_lower = $2 AND deleted_at IS NOT NULL
       ) u ORDER BY deleted_at IS NOT NULL, deleted_at DESC`,
      [directoryId, userName.toLowerCase()],
    );
    return rows.map((r) => ({ id: r.id, deletedAt: r.deleted_at }));
  }

  /** Ids of the users of a directory (live and deleted), oldest first: what `resync` re-drives. */
  async userIds(directoryId: string): Promise<string[]> {
    const rows = await this.session.query<{ id: string }>(
      `SELECT id FROM resources WHERE directory_id = $1 AND type = 'User' ORDER BY created_at, id`,
      [directoryId],
    );
    return rows.map((r) => r.id);
  }

  /** Candidates for an indexed equality (the filter engine then checks each candidate). */
  async findBy(
    directoryId: string,
    type: ResourceType,
    attribute: IndexedAttribute,
    value: string,
  ): Promise<StoredResource[]> {
    const condition = {
      id: 'id = $2',
      userName: 'user_name_lower = $2',
      externalId: 'external_id = $2',
      // The display-name index keys on a prefix (a displayName may be over the btree row limit): the prefix finds
      // the candidates through the index, the whole column decides.
      displayName: `left(display_name_lower, ${DISPLAY_NAME_INDEX_PREFIX}) = left($2, ${DISPLAY_NAME_INDEX_PREFIX})
        AND display_name_lower = $2`,
    }[attribute];
    const key = attribute === 'userName' || attribute === 'displayName' ? value.toLowerCase() : value;
    const where = `directory_id = $1 AND type = ${typeLiteral(type)} AND ${condition} AND deleted_at IS NULL`;
    // id and userName are unique among live resources: one row at most.
    const order = attribute === 'id' || attribute === 'userName' ? '' : ' ORDER BY created_at, id';
    const rows = await this.session.query<RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE ${where}${order}`,
      [directoryId, key],
    );
    return rows.map(toResource);
  }

  /**
   * Live resources of a type in creation order, `limit` at a time after the resource `after` (for filters no index
   * can answer: the caller reads page after page, so a large directory is never in memory at once).
   */
  async scanPage(
    directoryId: string,
    type: ResourceType,
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<StoredResource[]> {
    const from = after ? 'AND (created_at, id) > ($3, $4)' : '';
    const args: unknown[] = after ? [directoryId, limit, after.createdAt, after.id] : [directoryId, limit];
    const rows = await this.session.query<RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources
       WHERE directory_id = $1 AND type = ${typeLiteral(type)} AND deleted_at IS NULL ${from}
       ORDER BY created_at, id LIMIT $2`,
      args,
    );
    return rows.map(toResource);
  }

  async page(directoryId: string, type: ResourceType, offset: number, limit: number): Promise<StoredResource[]> {
    const rows = await this.session.query<RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources
       WHERE directory_id = $1 AND type = ${typeLiteral(type)} AND deleted_at IS NULL
       ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [directoryId, limit, offset],
    );
    return rows.map(toResource);
  }

  async count(directoryId: string, type: ResourceType): Promise<number> {
    const row = await this.session.one<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM resources
       WHERE directory_id = $1 AND type = ${typeLiteral(type)} AND deleted_at IS NULL`,
      [directoryId],
    );
    return row!.n;
  }
}

/**
 * Takes the directory's counter row (the lock `events.append` takes, FOR NO KEY UPDATE like its UPDATE) before a
 * write changes resource rows outside events.append's order: group_members triggers and `touch` update member and
 * group rows first, and the write's events come after. Without it, a group write holding a member's row and waiting
 * for the counter would deadlock with that member's own write holding the counter and waiting for its row.
 */
export async function lockDirectory(session: PgSession, directoryId: string): Promise<void> {
  // Outside a transaction the write is one statement, its own transaction: there is no later lock to order.
  if (!session.inTransaction()) return;
  await session.query('SELECT 1 FROM directories WHERE id = $1 FOR NO KEY UPDATE', [directoryId]);
}
