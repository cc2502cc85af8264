// store/migrations/20261211000000_postgres-column-types.ts: on PostgreSQL, string columns hold what SQLite holds and
// sort as SQLite sorts. Nothing changes on SQLite.
import type { Knex } from 'knex';
import { dialectOf } from '../dialect';

/** Longest prefix of a user's lower-cased displayName that the display-name index keys on (in UTF-16 code units). */
export const DISPLAY_NAME_INDEX_PREFIX = 512;

/**
 * knex's `string()` is `varchar(255)` on PostgreSQL (SQLite ignores the length): a userName, externalId or name longer
 * than 255 would be refused there. Every string column becomes `text` (no length: the API holds values to their limits,
 * domain/scim/value-limits.ts), with the byte-wise "C" collation, so that `ORDER BY` (listings by created_at and id,
 * the directory log, keyset pages) gives SQLite's order and btree comparisons skip the locale.
 *
 * A btree row holds at most about 2.7 KB: identifier attributes stay under it (512 code units), but a user's
 * displayName may be 64 Ki, so the display-name index keys on a prefix (queries on PostgreSQL compare that prefix
 * and then the column).
 */
export async function up(knex: Knex): Promise<void> {
  if (dialectOf(knex) !== 'postgres') return;
  const columns = await knex.raw<{ rows: { table_name: string; column_name: string }[] }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND data_type IN ('character varying', 'text')
       AND table_name NOT LIKE 'knex\\_%'
     ORDER BY table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const { table_name: table, column_name: column } of columns.rows)
    byTable.set(table, [...(byTable.get(table) ?? []), column]);
  await knex.raw('DROP INDEX IF EXISTS resources_display_name');
  for (const [table, names] of byTable) {
    const alters = names.map((c) => `ALTER COLUMN "${c}" TYPE text COLLATE "C"`).join(', ');
    await knex.raw(`ALTER TABLE "${table}" ${alters}`);
  }
  await knex.raw(
    `CREATE INDEX resources_display_name ON resources
       (directory_id, type, left(display_name_lower, ${DISPLAY_NAME_INDEX_PREFIX})) WHERE deleted_at IS NULL`,
  );
}

/** The types are not narrowed back (values longer than 255 may be stored by then); the index gets its old shape. */
export async function down(knex: Knex): Promise<void> {
  if (dialectOf(knex) !== 'postgres') return;
  await knex.raw('DROP INDEX IF EXISTS resources_display_name');
  await knex.raw(
    'CREATE INDEX resources_display_name ON resources (directory_id, type, display_name_lower) WHERE deleted_at IS NULL',
  );
}
