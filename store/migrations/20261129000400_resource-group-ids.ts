// store/migrations/20261129000400_resource-group-ids.ts: each resource row carries the ids of the groups it is in.
import type { Knex } from 'knex';

/** The member's sorted group ids, recomputed from the covering member index (its just-changed pages are hot). */
const groupIdsOf = (dir: string, member: string) =>
  `(SELECT json_group_array(m.group_id ORDER BY m.group_id) FROM group_members m
    WHERE m.directory_id = ${dir} AND m.member_id = ${member})`;

/**
 * Rendering a user needs its groups. Reading them from group_members costs a probe of a random index leaf per
 * request (a fifth of a filtered read at 100,000 users); the row being rendered carries them instead. Triggers keep
 * the column in step with group_members in the same transaction as every membership change, whoever writes it (an
 * older scimflow process still running during an upgrade, or an operator's SQL), and bump the member's version and
 * lastModified: its rendered `groups` changed, so must its ETag (this replaces a second UPDATE per member).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE resources ADD COLUMN group_ids text');
  await knex.raw(
    `UPDATE resources SET group_ids = ${groupIdsOf('resources.directory_id', 'resources.id')} WHERE deleted_at IS NULL`,
  );
  for (const [event, row] of [
    ['INSERT', 'NEW'],
    ['DELETE', 'OLD'],
  ] as const) {
    await knex.raw(
      `CREATE TRIGGER group_members_${event.toLowerCase()}_group_ids AFTER ${event} ON group_members BEGIN
         UPDATE resources SET group_ids = ${groupIdsOf(`${row}.directory_id`, `${row}.member_id`)},
           version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE directory_id = ${row}.directory_id AND id = ${row}.member_id AND deleted_at IS NULL;
       END`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS group_members_insert_group_ids');
  await knex.raw('DROP TRIGGER IF EXISTS group_members_delete_group_ids');
  await knex.raw('ALTER TABLE resources DROP COLUMN group_ids');
}
