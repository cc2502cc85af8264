// store/resources.ts: SCIM users and groups of a directory, each write recorded with its events in one transaction.
import { transactor } from './transact';
import { newResourceId } from './ids';
import type { Db } from './db';
import type { Sql } from './statements';
import { statementCache, typeLiteral } from './statements';
import { nowIso } from './db';
import type { EventLog, EventRow, NewEvent } from './event-log';
import type { GroupNames } from './group-names';
import { isUniqueViolation, ResourceGoneError, UniqueViolationError } from './errors';

export type ResourceType = 'User' | 'Group';
export type Doc = Record<string, unknown>;

type ResourceFields = Omit<StoredResource, 'doc' | 'groupIds'> & { groupIdsJson: string | null };
type KnownGroups = { ids: readonly string[] | undefined };

/** A stored user or group; its document (and group list) is parsed lazily and at most once. */
export class StoredResource {
  readonly directoryId: string;
  readonly id: string;
  readonly type: ResourceType;
  /** The document exactly as stored: JSON.stringify of `doc`, so responses can be spliced from it. */
  readonly docText: string;
  readonly version: number;
  readonly active: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deletedAt: string | null;
  readonly deactivatedAt: string | null;
  readonly deactivatedSeq: number | null;
  private readonly groupIdsJson: string | null;
  private parsed: Doc | undefined;
  private groups: KnownGroups | undefined;

  constructor(fields: ResourceFields, doc?: Doc, groups?: KnownGroups) {
    this.directoryId = fields.directoryId;
    this.id = fields.id;
    this.type = fields.type;
    this.docText = fields.docText;
    this.version = fields.version;
    this.active = fields.active;
    this.createdAt = fields.createdAt;
    this.updatedAt = fields.updatedAt;
    this.deletedAt = fields.deletedAt;
    this.deactivatedAt = fields.deactivatedAt;
    this.deactivatedSeq = fields.deactivatedSeq;
    this.groupIdsJson = fields.groupIdsJson;
    this.parsed = doc;
    this.groups = groups;
  }

  /** The document, parsed from `docText` on first use (list and existence checks often never need it). */
  get doc(): Doc {
    return (this.parsed ??= JSON.parse(this.docText) as Doc);
  }

  /**
   * Ids of the groups the resource is a direct member of, sorted (resources.group_ids, kept in step with
   * group_members by triggers); undefined where unknown (a row the migration's backfill skipped, a tombstone).
   */
  get groupIds(): readonly string[] | undefined {
    this.groups ??= { ids: this.groupIdsJson === null ? undefined : (JSON.parse(this.groupIdsJson) as string[]) };
    return this.groups.ids;
  }
}

/** A new document for a resource, with its JSON text (computed once: it is compared, stored and answered). */
export interface DocWithText {
  doc: Doc;
  text: string;
}

export const withText = (doc: Doc): DocWithText => ({ doc, text: JSON.stringify(doc) });

export interface WriteResult {
  resource: StoredResource;
  events: EventRow[];
}

/** The columns a StoredResource is built from (the indexed copies of document attributes are not needed). */
export const RESOURCE_COLUMNS =
  'directory_id, id, type, active, version, doc, created_at, updated_at, deleted_at, deactivated_at, deactivated_seq, group_ids';

export interface RawResource {
  directory_id: string;
  id: string;
  type: ResourceType;
  active: number;
  version: number;
  doc: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deactivated_at: string | null;
  deactivated_seq: number | null;
  group_ids: string | null;
}

export const toResource = (r: RawResource): StoredResource =>
  new StoredResource({
    directoryId: r.directory_id,
    id: r.id,
    type: r.type,
    docText: r.doc,
    version: r.version,
    active: r.active === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    deactivatedAt: r.deactivated_at,
    deactivatedSeq: r.deactivated_seq,
    groupIdsJson: r.group_ids,
  });

export type IndexedAttribute = 'id' | 'userName' | 'externalId' | 'displayName';

type IndexColumns = ReturnType<typeof indexColumns>;

/** Columns derived from the document that indexes cover, by SQL name. */
const INDEXED_COLUMNS = [
  ['user_name', 'userName'],
  ['user_name_lower', 'userNameLower'],
  ['external_id', 'externalId'],
  ['display_name_lower', 'displayNameLower'],
] as const;

export function indexColumns(type: ResourceType, doc: Doc) {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const userName = type === 'User' ? str(doc.userName) : null;
  const displayName = str(doc.displayName);
  return {
    userName,
    userNameLower: userName?.toLowerCase() ?? null,
    externalId: str(doc.externalId),
    displayNameLower: displayName?.toLowerCase() ?? null,
    active: type === 'User' ? doc.active !== false : true,
  };
}

/** Users are identities; a change of `active` is a lifecycle event of its own. */
export function userEventKind(before: boolean, after: boolean): 'updated' | 'deactivated' | 'reactivated' {
  if (before && !after) return 'deactivated';
  if (!before && after) return 'reactivated';
  return 'updated';
}

export class ResourceStore {
  private readonly sql: Sql;
  private readonly selectByIdAnyState;
  private readonly insertRow;
  private readonly touchRow;

  constructor(
    private readonly db: Db,
    private readonly events: EventLog,
    /** Told about every group document written here, so rendered `groups` never show an old name. */
    private readonly groupNames: Pick<GroupNames, 'forget'>,
  ) {
    this.sql = statementCache(db);
    this.selectByIdAnyState = db.prepare<[string, string], RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE directory_id = ? AND id = ?`,
    );
    this.touchRow = db.prepare(
      'UPDATE resources SET version = version + 1, updated_at = ? WHERE directory_id = ? AND id = ? AND deleted_at IS NULL',
    );
    this.insertRow = db.prepare(
      `INSERT INTO resources (directory_id, id, type, user_name, user_name_lower, external_id, display_name_lower, active, version, doc, created_at, updated_at, deactivated_at, deactivated_seq, group_ids)
       VALUES (@directoryId, @id, @type, @userName, @userNameLower, @externalId, @displayNameLower, @active, 1, @doc, @at, @at, @deactivatedAt, @deactivatedSeq, '[]')`,
    );
  }

  get(directoryId: string, type: ResourceType, id: string): StoredResource | undefined {
    const row = this.sql<[string, string], RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE directory_id = ? AND id = ? AND type = ${typeLiteral(type)} AND deleted_at IS NULL`,
    ).get(directoryId, id);
    return row ? toResource(row) : undefined;
  }

  /** Includes tombstones: the identity workflow must see that a user was deleted. */
  getAnyState(directoryId: string, id: string): StoredResource | undefined {
    const row = this.selectByIdAnyState.get(directoryId, id);
    return row ? toResource(row) : undefined;
  }

  /** Runs `fn` in one write transaction; unique-index violations become UniqueViolationError. */
  private transaction<T>(fn: () => T): T {
    try {
      return transactor(this.db).run(fn);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new UniqueViolationError('a resource with that unique attribute already exists');
      throw err;
    }
  }

  /** Creates the resource; a group's members, and their events, are added after it in the same transaction. */
  insert(directoryId: string, type: ResourceType, doc: Doc): WriteResult {
    const next = withText(doc);
    return this.transaction(() => {
      const id = newResourceId();
      const at = nowIso();
      const cols = indexColumns(type, next.doc);
      const kind = type === 'User' ? 'created' : 'group.created';
      const events = this.events.append(directoryId, [{ identityId: id, resourceType: type, kind }], at);
      const inactive = type === 'User' && !cols.active;
      this.insertRow.run({
        directoryId,
        id,
        type,
        ...cols,
        active: cols.active ? 1 : 0,
        doc: next.text,
        at,
        deactivatedAt: inactive ? at : null,
        deactivatedSeq: inactive ? events[0]!.seq : null,
      });
      if (type === 'Group') this.groupNames.forget(directoryId, id);
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
          deactivatedAt: inactive ? at : null,
          deactivatedSeq: inactive ? events[0]!.seq : null,
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
   */
  replace(
    current: StoredResource,
    next: DocWithText,
    opts: { changed: boolean; extraEvents?: NewEvent[] },
  ): WriteResult {
    // `current` was read inside the same write transaction (request writes run in the group commit's), so it is fresh;
    // the UPDATE still checks that the row is live, and the result is built in memory instead of re-reading it.
    return this.transaction(() => {
      const extra = opts.extraEvents ?? [];
      if (!opts.changed && extra.length === 0) return { resource: current, events: [] };
      const at = nowIso();
      const cols = indexColumns(current.type, next.doc);
      const own: NewEvent[] = [];
      if (opts.changed) {
        const kind = current.type === 'User' ? userEventKind(current.active, cols.active) : 'group.updated';
        own.push({ identityId: current.id, resourceType: current.type, kind });
      }
      const events = this.events.append(current.directoryId, [...own, ...extra], at);
      const deactivatedNow = current.type === 'User' && current.active && !cols.active;
      const deactivatedAt = deactivatedNow ? at : cols.active ? null : current.deactivatedAt;
      const deactivatedSeq = deactivatedNow ? events[0]!.seq : cols.active ? null : current.deactivatedSeq;
      const updated = this.updateStatement(indexColumns(current.type, current.doc), cols).run({
        directoryId: current.directoryId,
        id: current.id,
        ...cols,
        active: cols.active ? 1 : 0,
        doc: next.text,
        at,
        deactivatedAt,
        deactivatedSeq,
      });
      if (updated.changes !== 1) throw new ResourceGoneError('the resource was deleted concurrently');
      if (current.type === 'Group') this.groupNames.forget(current.directoryId, current.id);
      const resource = replacedResource(current, next, cols.active, at, deactivatedAt, deactivatedSeq);
      return { resource, events };
    });
  }

  /**
   * The UPDATE for one write: indexed columns are SET only when their value changes, because SQLite rewrites the
   * entries of every index whose columns appear in SET. A displayName change then dirties one index page, not three
   * (fewer WAL frames to commit and to checkpoint).
   */
  private updateStatement(before: IndexColumns, after: IndexColumns) {
    const changed = INDEXED_COLUMNS.filter(([, key]) => before[key] !== after[key]).map(
      ([column, key]) => `${column} = @${key}, `,
    );
    return this.sql(
      `UPDATE resources SET ${changed.join('')}active = @active, version = version + 1, doc = @doc, updated_at = @at,
         deactivated_at = @deactivatedAt, deactivated_seq = @deactivatedSeq
       WHERE directory_id = @directoryId AND id = @id AND deleted_at IS NULL`,
    );
  }

  /** Tombstones the resource (GET answers 404 from now on; the identity workflow still sees the deletion). */
  remove(current: StoredResource, extraEvents: NewEvent[] = []): EventRow[] {
    return this.transaction(() => {
      const at = nowIso();
      const kind = current.type === 'User' ? 'deleted' : 'group.deleted';
      const events = this.events.append(
        current.directoryId,
        [{ identityId: current.id, resourceType: current.type, kind }, ...extraEvents],
        at,
      );
      const wasActive = current.type === 'User' && current.active;
      this.db
        .prepare(
          `UPDATE resources SET deleted_at = ?, version = version + 1, active = 0,
             deactivated_at = COALESCE(CASE WHEN ? THEN ? END, deactivated_at),
             deactivated_seq = COALESCE(CASE WHEN ? THEN ? END, deactivated_seq)
           WHERE directory_id = ? AND id = ? AND deleted_at IS NULL`,
        )
        .run(at, wasActive ? 1 : 0, at, wasActive ? 1 : 0, events[0]!.seq, current.directoryId, current.id);
      if (current.type === 'Group') this.groupNames.forget(current.directoryId, current.id);
      return events;
    });
  }

  /**
   * Bumps meta.version/lastModified of groups whose `members` changed through another resource's deletion (members
   * themselves are bumped by the group_members triggers when their `groups` change).
   */
  touch(directoryId: string, ids: string[]): void {
    const at = nowIso();
    for (const id of ids) this.touchRow.run(at, directoryId, id);
  }

  /**
   * Every identity that ever had this userName (case-insensitively): the live user, if any, and deleted ones, newest
   * first. One probe of the unique index and one of resources_deleted_user_name.
   */
  userIdentities(directoryId: string, userName: string): { id: string; deletedAt: string | null }[] {
    return this.sql<[string, string, string, string], { id: string; deleted_at: string | null }>(
      `SELECT id, deleted_at FROM (
         SELECT id, deleted_at FROM resources
          WHERE directory_id = ? AND type = 'User' AND user_name_lower = ? AND deleted_at IS NULL
         UNION ALL
         SELECT id, deleted_at FROM resources
          WHERE directory_id = ? AND type = 'User' AND user_name_lower = ? AND deleted_at IS NOT NULL
       ) ORDER BY deleted_at IS NOT NULL, deleted_at DESC`,
    )
      .all(directoryId, userName.toLowerCase(), directoryId, userName.toLowerCase())
      .map((r) => ({ id: r.id, deletedAt: r.deleted_at }));
  }

  /** Ids of the users of a directory (live and deleted), oldest first: what `resync` re-drives. */
  userIds(directoryId: string): string[] {
    return this.sql<[string], { id: string }>(
      `SELECT id FROM resources WHERE directory_id = ? AND type = 'User' ORDER BY created_at, id`,
    )
      .all(directoryId)
      .map((r) => r.id);
  }

  /** Candidates for an indexed equality (the filter engine then checks each candidate). */
  findBy(directoryId: string, type: ResourceType, attribute: IndexedAttribute, value: string): StoredResource[] {
    const column = {
      id: ['id', value],
      userName: ['user_name_lower', value.toLowerCase()],
      externalId: ['external_id', value],
      displayName: ['display_name_lower', value.toLowerCase()],
    }[attribute];
    const where = `directory_id = ? AND type = ${typeLiteral(type)} AND ${column[0]} = ? AND deleted_at IS NULL`;
    // id and userName are unique among live resources: one row at most, no sorter (it costs as much as the lookup).
    if (attribute === 'id' || attribute === 'userName') {
      const row = this.sql<[string, string], RawResource>(
        `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE ${where}`,
      ).get(directoryId, column[1]!);
      return row ? [toResource(row)] : [];
    }
    return this.sql<[string, string], RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE ${where} ORDER BY created_at, id`,
    )
      .all(directoryId, column[1]!)
      .map(toResource);
  }

  /**
   * Live resources of a type in creation order, `limit` at a time after the resource `after` (for filters no index
   * can answer: the caller reads page after page, so a large directory is never in memory at once).
   */
  scanPage(
    directoryId: string,
    type: ResourceType,
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): StoredResource[] {
    const from = after ? 'AND (created_at > ? OR (created_at = ? AND id > ?))' : '';
    const args: unknown[] = after
      ? [directoryId, after.createdAt, after.createdAt, after.id, limit]
      : [directoryId, limit];
    return this.sql<unknown[], RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE directory_id = ? AND type = ${typeLiteral(type)} AND deleted_at IS NULL ${from} ORDER BY created_at, id LIMIT ?`,
    )
      .all(...args)
      .map(toResource);
  }

  page(directoryId: string, type: ResourceType, offset: number, limit: number): StoredResource[] {
    return this.sql<[string, number, number], RawResource>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources WHERE directory_id = ? AND type = ${typeLiteral(type)} AND deleted_at IS NULL ORDER BY created_at, id LIMIT ? OFFSET ?`,
    )
      .all(directoryId, limit, offset)
      .map(toResource);
  }

  count(directoryId: string, type: ResourceType): number {
    return this.sql<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM resources WHERE directory_id = ? AND type = ${typeLiteral(type)} AND deleted_at IS NULL`,
    ).get(directoryId)!.n;
  }
}

/** The resource a replace leaves, built in memory (the row was just written; reading it back would cost a query). */
export function replacedResource(
  current: StoredResource,
  next: DocWithText,
  active: boolean,
  at: string,
  deactivatedAt: string | null,
  deactivatedSeq: number | null,
): StoredResource {
  return new StoredResource(
    {
      directoryId: current.directoryId,
      id: current.id,
      type: current.type,
      docText: next.text,
      version: current.version + 1,
      active,
      createdAt: current.createdAt,
      updatedAt: at,
      deletedAt: current.deletedAt,
      deactivatedAt,
      deactivatedSeq,
      groupIdsJson: null,
    },
    next.doc,
    // A user's memberships change only through group writes, never in its own replace; a group can be added to
    // itself in the same transaction (group_members triggers keep the row right), so its list is read afresh.
    current.type === 'User' ? { ids: current.groupIds } : undefined,
  );
}
