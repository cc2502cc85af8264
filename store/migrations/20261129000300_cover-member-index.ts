// store/migrations/20261129000300_cover-member-index.ts: a user's groups straight from one index (no table row, no sort).
import type { Knex } from 'knex';

/**
 * Rendering a user reads its groups. The old (directory_id, member_id) index held only rowids, so every lookup also
 * read the membership row for group_id and sorted; with group_id in the index the lookup is index-only and ordered.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX group_members_member_group ON group_members (directory_id, member_id, group_id)');
  await knex.raw('DROP INDEX IF EXISTS group_members_directory_id_member_id_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX group_members_directory_id_member_id_index ON group_members (directory_id, member_id)');
  await knex.raw('DROP INDEX IF EXISTS group_members_member_group');
}
