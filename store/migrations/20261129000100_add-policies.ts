// store/migrations/20261129000100_add-policies.ts: versioned entitlement policies per directory.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('policies', (t) => {
    t.string('directory_id').notNullable();
    t.integer('version').notNullable();
    t.text('policy_json').notNullable();
    t.string('created_at').notNullable();
    t.primary(['directory_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('policies');
}
