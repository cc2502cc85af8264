// store/migrations/20261213000000_relay-claims.ts: the relay's claim on an undelivered event, so that relays on
// several hosts (PostgreSQL) deliver each event once rather than once each.
import type { Knex } from 'knex';
import { dialectOf } from '../dialect';

/**
 * `relay_until`: null while the writer that appended the event still owns its delivery (its direct poke); a time from
 * which the relay may claim it (a claim's lease end, or the epoch when a writer handed it over), ISO text as every
 * timestamp of the table.
 */
export async function up(knex: Knex): Promise<void> {
  // Text compared byte-wise on PostgreSQL, as every string column there (20261211000000_postgres-column-types).
  if (dialectOf(knex) === 'postgres') await knex.raw('ALTER TABLE events ADD COLUMN relay_until text COLLATE "C"');
  else
    await knex.schema.alterTable('events', (t) => {
      t.text('relay_until');
    });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropColumn('relay_until');
  });
}
