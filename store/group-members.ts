// store/group-members.ts: group membership rows; changed as deltas so a 100,000-member group costs the same as a small one.
import type { Db } from './db';
import type { Sql } from './statements';
import { statementCache } from './statements';
import type { GroupNames, GroupRef, GroupRow } from './group-names';
import { toGroupRef } from './group-names';

export interface MemberRef {
  value: string;
  display?: string;
  /** `User` or `Group` as the client said (RFC 7643 §4.2); absent: a user. */
  type?: string;
}

export class GroupMemberStore {
  private readonly insertOne;
  private readonly deleteOne;
  private readonly userExists;
  private readonly groupsOfStmt;
  private readonly sql: Sql;

  constructor(
    private readonly db: Db,
    private readonly names: GroupNames,
  ) {
    this.sql = statementCache(db);
    this.insertOne = db.prepare(
      'INSERT OR IGNORE INTO group_members (directory_id, group_id, member_id, display, member_type) VALUES (?, ?, ?, ?, ?)',
    );
    this.deleteOne = db.prepare('DELETE FROM group_members WHERE directory_id = ? AND group_id = ? AND member_id = ?');
    // Members first, then each group by primary key: without planner statistics SQLite would otherwise scan every
    // resource of the directory (250 ms at 100,000 users) instead of probing the member index (10 µs).
    // Only the display name is taken from each group document: `->` returns its JSON text (escapes intact, so a lone
    // surrogate survives; `->>` would decode it to UTF-8 replacement characters), parsed in JS.
    this.groupsOfStmt = db.prepare<[string, string], GroupRow>(
      `SELECT r.id, r.doc -> '$.displayName' AS display, r.external_id FROM group_members m INDEXED BY group_members_member_group
       CROSS JOIN resources r ON r.directory_id = m.directory_id AND r.id = m.group_id AND r.deleted_at IS NULL
       WHERE m.directory_id = ? AND m.member_id = ? ORDER BY m.group_id`,
    );
    this.userExists = db.prepare<[string, string], { id: string }>(
      "SELECT id FROM resources WHERE directory_id = ? AND id = ? AND type = 'User' AND deleted_at IS NULL",
    );
  }

  /** Member ids (among `ids`) that are not live users of the directory. */
  unknownUsers(directoryId: string, ids: string[]): string[] {
    return ids.filter((id) => !this.userExists.get(directoryId, id));
  }

  /** Adds members; returns the ids that were really added (already-present members are skipped). */
  add(directoryId: string, groupId: string, refs: MemberRef[]): string[] {
    const added: string[] = [];
    for (const ref of refs) {
      if (this.insertOne.run(directoryId, groupId, ref.value, ref.display ?? null, memberType(ref.type)).changes > 0)
        added.push(ref.value);
    }
    return added;
  }

  /** Removes members; returns the ids that were really removed (absent members are an idempotent no-op). */
  remove(directoryId: string, groupId: string, ids: string[]): string[] {
    return ids.filter((id) => this.deleteOne.run(directoryId, groupId, id).changes > 0);
  }

  memberIds(directoryId: string, groupId: string): string[] {
    return this.sql<[string, string], { member_id: string }>(
      'SELECT member_id FROM group_members WHERE directory_id = ? AND group_id = ? ORDER BY member_id',
    )
      .all(directoryId, groupId)
      .map((r) => r.member_id);
  }

  list(directoryId: string, groupId: string): MemberRef[] {
    return this.sql<[string, string], { member_id: string; display: string | null; member_type: string | null }>(
      'SELECT member_id, display, member_type FROM group_members WHERE directory_id = ? AND group_id = ? ORDER BY member_id',
    )
      .all(directoryId, groupId)
      .map((r) => ({
        value: r.member_id,
        ...(r.display ? { display: r.display } : {}),
        ...(r.member_type ? { type: r.member_type } : {}),
      }));
  }

  count(directoryId: string, groupId: string): number {
    return this.sql<[string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM group_members WHERE directory_id = ? AND group_id = ?',
    ).get(directoryId, groupId)!.n;
  }

  /** The live groups among `groupIds` (a resource's sorted `groupIds`), in that order: no member-index probe. */
  groupsByIds(directoryId: string, groupIds: readonly string[]): GroupRef[] {
    const groups: GroupRef[] = [];
    for (const id of groupIds) {
      const group = this.names.get(directoryId, id);
      if (group) groups.push(group);
    }
    return groups;
  }

  /** The live groups a user belongs to, from the member index (policy evaluation; rows without `groupIds`). */
  groupsOf(directoryId: string, userId: string): GroupRef[] {
    return this.groupsOfStmt.all(directoryId, userId).map(toGroupRef);
  }

  /** Removes a user (or a nested group) from every group (its deletion); returns the group ids affected. */
  removeEverywhere(directoryId: string, memberId: string): string[] {
    return this.sql<[string, string], { group_id: string }>(
      'DELETE FROM group_members WHERE directory_id = ? AND member_id = ? RETURNING group_id',
    )
      .all(directoryId, memberId)
      .map((r) => r.group_id);
  }

  /** Empties a group (its deletion); returns the former members. */
  removeGroup(directoryId: string, groupId: string): string[] {
    return this.sql<[string, string], { member_id: string }>(
      'DELETE FROM group_members WHERE directory_id = ? AND group_id = ? RETURNING member_id',
    )
      .all(directoryId, groupId)
      .map((r) => r.member_id);
  }
}

/** The member type as stored: `User` or `Group` in RFC 7643's spelling, whatever case the client used; others dropped. */
export function memberType(type: string | undefined): string | null {
  const lower = type?.toLowerCase();
  return lower === 'group' ? 'Group' : lower === 'user' ? 'User' : null;
}
