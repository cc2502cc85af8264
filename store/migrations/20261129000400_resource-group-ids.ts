// store/migrations/20261129000400_resource-group-ids.ts: each resource row carries the ids of the groups it is in.
import type { Knex } from 'knex';

/**
 * Rendering a user needs its groups. Reading them from group_members costs a probe of a random index leaf per
 * request (a fifth of a filtered read at 100,000 users); the row being rendered can carry them instead.
 * GroupMemberStore keeps the column in step with group_members in the same transaction as every membership change.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE resources ADD COLUMN group_ids text');
  await knex.raw(
    `UPDATE resources SET group_ids = (
       SELECT json_group_array(m.group_id ORDER BY m.group_id) FROM group_members m
       WHERE m.directory_id = resources.directory_id AND m.member_id = resources.id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE resources DROP COLUMN group_ids');
}
