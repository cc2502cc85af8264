// store/migrations/20261208000000_unconfirmed-grants.ts: grants recorded before their call, until the app confirms them.
import type { Knex } from 'knex';

/**
 * A grant is recorded in `entitlements_json` before the app is called, so that a grant the app applied but whose answer
 * was lost is still revoked later. Until a read-back confirms it, it is also listed in `unconfirmed_entitlements_json`:
 * the planner grants it again while it is wanted (the call may never have reached the app), and revokes it when not.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('applied_accounts', (t) => {
    t.text('unconfirmed_entitlements_json').notNullable().defaultTo('[]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('applied_accounts', (t) => {
    t.dropColumn('unconfirmed_entitlements_json');
  });
}
