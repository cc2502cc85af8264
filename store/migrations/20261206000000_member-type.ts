// store/migrations/20261206000000_member-type.ts: a group member's `type` (User or Group, RFC 7643 §4.2), so that a
// nested group's `$ref` points at /Groups.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('group_members', (t) => {
    t.string('member_type', 16);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('group_members', (t) => {
    t.dropColumn('member_type');
  });
}
