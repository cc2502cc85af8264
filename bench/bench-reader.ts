// bench/bench-reader.ts: the benches' read-only look into scimflow's store (convergence, revocations) on either store:
// a read-only SQLite handle, or a PostgreSQL client. SQL with `?` placeholders, portable between the two.
import type Database from 'better-sqlite3';
import pg from 'pg';

export interface BenchReader {
  get<T>(sql: string, params: readonly unknown[]): Promise<T | undefined>;
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
}

export function sqliteReader(db: Database.Database): BenchReader {
  return {
    get: async <T>(sql: string, params: readonly unknown[]) => db.prepare<unknown[], T>(sql).get(...params),
    all: async <T>(sql: string, params: readonly unknown[]) => db.prepare<unknown[], T>(sql).all(...params),
  };
}

/** Counts (bigint) and sums (numeric) come back as numbers, as SQLite gives them. */
const NUMERIC_OIDS = new Set([20, 1700]);

export async function pgReader(url: string): Promise<BenchReader & { close(): Promise<void> }> {
  const client = new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        NUMERIC_OIDS.has(oid) ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  await client.connect();
  let n = 0;
  const dollars = (sql: string) => ((n = 0), sql.replace(/\?/g, () => `$${++n}`));
  const all = async <T>(sql: string, params: readonly unknown[]) =>
    (await client.query(dollars(sql), [...params])).rows as T[];
  return {
    all,
    get: async <T>(sql: string, params: readonly unknown[]) => (await all<T>(sql, params))[0],
    close: () => client.end(),
  };
}
