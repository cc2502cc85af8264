// store/migrations/20261212000000_postgres-sqlite-parity.ts: on PostgreSQL, what SQLite gives for free: the insertion
// order of its rowid, and floats of double precision. Nothing changes on SQLite.
import type { Knex } from 'knex';
import { dialectOf } from '../dialect';

/**
 * Two reads order by SQLite's implicit `rowid`: the time-to-revoke metric reads the revocations recorded after the
 * last one it saw, and a directory's newest token breaks a tie of equal `created_at` by insertion. PostgreSQL has no
 * such column, so both tables get `row_id`, an identity column numbered in insertion order (existing rows in the order
 * a sequential scan meets them, which is insertion order for tables that are only appended to).
 */
export async function up(knex: Knex): Promise<void> {
  if (dialectOf(knex) !== 'postgres') return;
  for (const table of ['revocations', 'directory_tokens'])
    await knex.raw(`ALTER TABLE "${table}" ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY`);
  await knex.raw('CREATE INDEX revocations_row_id ON revocations (row_id)');
  // knex's float() is `real` on PostgreSQL (single precision, about 7 digits) and a double on SQLite: the rate
  // limiter's fractional token count would round differently at the edge of an app's limit.
  await knex.raw('ALTER TABLE app_throttle ALTER COLUMN tokens TYPE double precision');
}

export async function down(knex: Knex): Promise<void> {
  if (dialectOf(knex) !== 'postgres') return;
  await knex.raw('ALTER TABLE app_throttle ALTER COLUMN tokens TYPE real');
  await knex.raw('DROP INDEX IF EXISTS revocations_row_id');
  for (const table of ['revocations', 'directory_tokens']) await knex.raw(`ALTER TABLE "${table}" DROP COLUMN row_id`);
}
