// store/migrations/20261210000000_webhook-change-seq.ts: the directory change each webhook event was built for, and
// how far each webhook app's group feed has got in its directory's log.
import type { Knex } from 'knex';

/**
 * `change_seq`: the directory log seq of the change whose convergence built the event (0: not known, rows built
 * before this column). An event for an older change than one already built for the account is refused: a given-up
 * attempt of an older run cannot take a newer sequence number than the newer run's event.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.integer('change_seq').notNullable().defaultTo(0);
  });
  /** The directory log seq up to which a webhook app was sent its group events (acknowledged, in log order). */
  await knex.schema.createTable('webhook_group_feeds', (t) => {
    t.string('app_id').primary();
    t.integer('seq').notNullable();
    t.string('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_group_feeds');
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropColumn('change_seq');
  });
}
