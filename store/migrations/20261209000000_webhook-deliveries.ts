// store/migrations/20261209000000_webhook-deliveries.ts: what scimflow sent to webhook apps, and what they acknowledged.
import type { Knex } from 'knex';

/**
 * One row per webhook event (its id is stable across retries): the body as first built (with the account's next
 * sequence number), attempts, the last failure, and when the endpoint acknowledged it (2xx). A webhook app's accounts
 * themselves are kept in `local_accounts` (what scimflow told the app), like the local demo app's.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.string('app_id').notNullable();
    t.string('event_id').notNullable();
    t.string('remote_id').notNullable();
    t.integer('sequence').notNullable();
    t.string('type').notNullable();
    t.text('body').notNullable();
    t.string('created_at').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status');
    t.text('last_error');
    t.string('last_attempt_at');
    t.string('delivered_at');
    /** A non-revocation event that failed past the app's dead-letter time (or was refused): waits for a redeliver. */
    t.string('dead_lettered_at');
    t.primary(['app_id', 'event_id']);
    t.index(['app_id', 'remote_id', 'sequence']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
}
