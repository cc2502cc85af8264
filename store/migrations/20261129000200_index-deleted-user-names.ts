// store/migrations/20261129000200_index-deleted-user-names.ts: finds deleted users by userName (a rehire waits for them).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX resources_deleted_user_name ON resources (directory_id, user_name_lower) WHERE type = 'User' AND deleted_at IS NOT NULL`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS resources_deleted_user_name');
}
