// store/dialect.ts: which SQL dialect a knex handle speaks, for the few places where SQLite and PostgreSQL differ.
import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(knex: Knex): Dialect {
  const client = String(knex.client.config.client);
  return client === 'pg' || client === 'postgres' || client === 'postgresql' ? 'postgres' : 'sqlite';
}

/** The current time as scimflow writes it everywhere (ISO 8601, milliseconds, UTC), in SQL. */
export function sqlNowIso(dialect: Dialect): string {
  return dialect === 'postgres'
    ? `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
}
