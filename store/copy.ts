// store/copy.ts: `scimflow db copy --to postgres://…`: moves a SQLite store, row for row, into an empty PostgreSQL
// database migrated to the same schema.
import pg from 'pg';
import type { Db } from './db';
import { migrateLatest } from './migrate';

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for the widest table. */
const ROWS_PER_INSERT = 200;

export interface CopyReport {
  /** Rows copied per table, in copy order. */
  tables: Record<string, number>;
}

export class CopyRefusedError extends Error {
  override name = 'CopyRefusedError';
}

/**
 * Copies every table of the SQLite database `source` into the PostgreSQL database at `url` (which must exist; it is
 * migrated first and must hold no scimflow data). Rows go as they are: sealed secrets stay sealed with the same keys
 * (the target's processes need the same SCIMFLOW_SECRET_KEYS or key file), sequences and ids keep their values.
 * One read transaction on SQLite (a consistent snapshot, even while the source is written) and one transaction on
 * PostgreSQL (all or nothing). The triggers that keep `resources.group_ids` in step are off while rows arrive, because
 * the rows already carry their values; afterwards every row count is compared.
 */
export async function copyToPostgres(source: Db, url: string): Promise<CopyReport> {
  await migrateLatest(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const tables = source
      .prepare<[], { name: string }>(
        // Creation order (rowid of sqlite_master): a table is created after the tables it references.
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
           AND name NOT LIKE 'knex\\_%' ESCAPE '\\' ORDER BY rowid`,
      )
      .all()
      .map((t) => t.name);
    const report: CopyReport = { tables: {} };
    await client.query('BEGIN');
    try {
      for (const table of tables) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
        if (Number(rows[0]!.n) > 0 && table !== 'knex_migrations')
          throw new CopyRefusedError(`the target database already holds data (table ${table}): copy into an empty one`);
      }
      for (const table of tables) await client.query(`ALTER TABLE "${table}" DISABLE TRIGGER USER`);
      source.prepare('BEGIN DEFERRED').run();
      try {
        for (const table of tables) report.tables[table] = await copyTable(source, client, table);
      } finally {
        source.prepare('COMMIT').run();
      }
      for (const table of tables) await client.query(`ALTER TABLE "${table}" ENABLE TRIGGER USER`);
      await resetSerials(client, tables);
      for (const table of tables) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
        if (Number(rows[0]!.n) !== report.tables[table])
          throw new Error(`table ${table}: ${rows[0]!.n} rows arrived of ${report.tables[table]}`);
      }
      await client.query('COMMIT');
      return report;
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  } finally {
    await client.end();
  }
}

/** Copies one table in insertion order (SQLite's rowid), so identity columns PostgreSQL numbers follow it. */
async function copyTable(source: Db, client: pg.Client, table: string): Promise<number> {
  const columns = source
    .prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`)
    .all(table)
    .map((c) => c.name);
  const names = columns.map((c) => `"${c}"`).join(', ');
  const withoutRowId = source
    .prepare<[string], { sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .get(table)!
    .sql.includes('WITHOUT ROWID');
  const insert = async (rows: Record<string, unknown>[]) => {
    if (rows.length === 0) return;
    const values = rows
      .map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
      .join(', ');
    await client.query(
      `INSERT INTO "${table}" (${names}) VALUES ${values}`,
      rows.flatMap((row) => columns.map((c) => row[c] ?? null)),
    );
  };
  if (withoutRowId) {
    const rows = source.prepare<[], Record<string, unknown>>(`SELECT ${names} FROM "${table}"`).all();
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
    return rows.length;
  }
  // A page at a time by rowid (inside the read transaction: one snapshot), so a large table never sits in memory.
  const page = source.prepare<[number, number], Record<string, unknown> & { _rowid: number }>(
    `SELECT rowid AS _rowid, ${names} FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ?`,
  );
  let copied = 0;
  for (let after = 0; ;) {
    const rows = page.all(after, ROWS_PER_INSERT);
    await insert(rows);
    copied += rows.length;
    if (rows.length < ROWS_PER_INSERT) return copied;
    after = rows[rows.length - 1]!._rowid;
  }
}

/** Serial columns (audit_log.id…) continue after the highest id copied, not from 1. */
async function resetSerials(client: pg.Client, tables: string[]): Promise<void> {
  const { rows } = await client.query<{ table_name: string; column_name: string; seq: string }>(
    `SELECT c.table_name, c.column_name, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
       FROM information_schema.columns c
      WHERE c.table_schema = current_schema() AND c.column_default LIKE 'nextval(%'`,
  );
  for (const r of rows)
    if (tables.includes(r.table_name) && r.seq)
      await client.query(
        `SELECT setval($1, COALESCE((SELECT max("${r.column_name}") FROM "${r.table_name}"), 0) + 1, false)`,
        [r.seq],
      );
}
