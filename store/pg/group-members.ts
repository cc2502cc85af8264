// store/pg/group-members.ts: group membership rows on PostgreSQL; changed as deltas, each delta one statement.
import type { Async } from '../connection-gate';
import type { GroupRef } from '../group-names';
import type { GroupMemberStore, MemberRef } from '../group-members';
import { memberType } from '../group-members';
import type { GroupDocRow, PgGroupNames } from './group-names';
import { groupRefOf } from './group-names';
import { lockDirectory } from './resources';
import type { PgSession } from './session';

/** The first occurrence of each id, in order: SQLite's one statement per ref acts on a repeated id once. */
function firstOf<T>(items: readonly T[], idOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  const first: T[] = [];
  for (const item of items) {
    const id = idOf(item);
    if (seen.has(id)) continue;
    seen.add(id);
    first.push(item);
  }
  return first;
}

/**
 * Every membership write first takes the directory's counter row (`lockDirectory`): the group_members triggers update
 * the members' resource rows, and the write's events (which take that row) come after.
 */
export class PgGroupMemberStore implements Async<GroupMemberStore> {
  constructor(
    private readonly session: PgSession,
    private readonly names: PgGroupNames,
  ) {}

  /** Member ids (among `ids`) that are not live users of the directory. */
  async unknownUsers(directoryId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.session.query<{ id: string }>(
      `SELECT id FROM resources
       WHERE directory_id = $1 AND id = ANY($2::text[]) AND type = 'User' AND deleted_at IS NULL`,
      [directoryId, ids],
    );
    const known = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !known.has(id));
  }

  /** Adds members; returns the ids that were really added (already-present members are skipped). */
  async add(directoryId: string, groupId: string, refs: MemberRef[]): Promise<string[]> {
    const unique = firstOf(refs, (r) => r.value);
    if (unique.length === 0) return [];
    await lockDirectory(this.session, directoryId);
    const rows = await this.session.query<{ member_id: string }>(
      `INSERT INTO group_members (directory_id, group_id, member_id, display, member_type)
       SELECT $1, $2, m.member_id, m.display, m.member_type
       FROM unnest($3::text[], $4::text[], $5::text[]) AS m(member_id, display, member_type)
       ON CONFLICT DO NOTHING RETURNING member_id`,
      [
        directoryId,
        groupId,
        unique.map((r) => r.value),
        unique.map((r) => r.display ?? null),
        unique.map((r) => memberType(r.type)),
      ],
    );
    const added = new Set(rows.map((r) => r.member_id));
    return unique.filter((r) => added.has(r.value)).map((r) => r.value);
  }

  /** Removes members; returns the ids that were really removed (absent members are an idempotent no-op). */
  async remove(directoryId: string, groupId: string, ids: string[]): Promise<string[]> {
    const unique = firstOf(ids, (id) => id);
    if (unique.length === 0) return [];
    await lockDirectory(this.session, directoryId);
    const rows = await this.session.query<{ member_id: string }>(
      `DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 AND member_id = ANY($3::text[])
       RETURNING member_id`,
      [directoryId, groupId, unique],
    );
    const removed = new Set(rows.map((r) => r.member_id));
    return unique.filter((id) => removed.has(id));
  }

  async memberIds(directoryId: string, groupId: string): Promise<string[]> {
    const rows = await this.session.query<{ member_id: string }>(
      'SELECT member_id FROM group_members WHERE directory_id = $1 AND group_id = $2 ORDER BY member_id',
      [directoryId, groupId],
    );
    return rows.map((r) => r.member_id);
  }

  async list(directoryId: string, groupId: string): Promise<MemberRef[]> {
    const rows = await this.session.query<{ member_id: string; display: string | null; member_type: string | null }>(
      `SELECT member_id, display, member_type FROM group_members WHERE directory_id = $1 AND group_id = $2
       ORDER BY member_id`,
      [directoryId, groupId],
    );
    return rows.map((r) => ({
      value: r.member_id,
      ...(r.display ? { display: r.display } : {}),
      ...(r.member_type ? { type: r.member_type } : {}),
    }));
  }

  async count(directoryId: string, groupId: string): Promise<number> {
    const row = await this.session.one<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM group_members WHERE directory_id = $1 AND group_id = $2',
      [directoryId, groupId],
    );
    return row!.n;
  }

  /** The live groups among `groupIds` (a resource's sorted `groupIds`), in that order: no member-index probe. */
  async groupsByIds(directoryId: string, groupIds: readonly string[]): Promise<GroupRef[]> {
    if (groupIds.length === 1) {
      const group = await this.names.get(directoryId, groupIds[0]!);
      return group ? [group] : [];
    }
    const live = await this.names.getMany(directoryId, groupIds);
    return groupIds.flatMap((id) => live.get(id) ?? []);
  }

  /** The live groups a user belongs to, from the member index (policy evaluation; rows without `groupIds`). */
  async groupsOf(directoryId: string, userId: string): Promise<GroupRef[]> {
    const rows = await this.session.query<GroupDocRow>(
      `SELECT r.id, r.doc, r.external_id FROM group_members m
       JOIN resources r ON r.directory_id = m.directory_id AND r.id = m.group_id AND r.deleted_at IS NULL
       WHERE m.directory_id = $1 AND m.member_id = $2 ORDER BY m.group_id`,
      [directoryId, userId],
    );
    return rows.map(groupRefOf);
  }

  /** Removes a user (or a nested group) from every group (its deletion); returns the group ids affected. */
  async removeEverywhere(directoryId: string, memberId: string): Promise<string[]> {
    await lockDirectory(this.session, directoryId);
    // A set (the caller touches each): SQLite answers in the rows' insertion order, which PostgreSQL does not keep;
    // sorted here, so the answer does not depend on the plan.
    const rows = await this.session.query<{ group_id: string }>(
      `WITH gone AS (DELETE FROM group_members WHERE directory_id = $1 AND member_id = $2 RETURNING group_id)
       SELECT group_id FROM gone ORDER BY group_id`,
      [directoryId, memberId],
    );
    return rows.map((r) => r.group_id);
  }

  /** Empties a group (its deletion); returns the former members. */
  async removeGroup(directoryId: string, groupId: string): Promise<string[]> {
    await lockDirectory(this.session, directoryId);
    // A set, sorted here (see removeEverywhere).
    const rows = await this.session.query<{ member_id: string }>(
      `WITH gone AS (DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 RETURNING member_id)
       SELECT member_id FROM gone ORDER BY member_id`,
      [directoryId, groupId],
    );
    return rows.map((r) => r.member_id);
  }
}
