// store/migrations/20261205000000_held-changes.ts: changes the mass-change guard stopped, waiting for `scimflow approve`.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('held_changes', (t) => {
    t.string('id').primary();
    t.string('directory_id').notNullable();
    t.string('app_id').notNullable();
    /** policy: a policy version not yet stored; reconcile-orphans: a reconcile's disables/deletes of orphans. */
    t.string('kind').notNullable();
    t.text('reason').notNullable();
    t.integer('affected').notNullable();
    t.text('payload_json');
    t.string('held_at').notNullable();
    t.string('approved_at');
    t.index(['directory_id', 'held_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('held_changes');
}
