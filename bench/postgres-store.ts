// bench/postgres-store.ts: the PostgreSQL side of `npm run bench:scim -- --store postgres|both`: one throwaway server
// for the run, the seeded dataset copied into it once as a template, and a fresh database cloned from it per scenario.
import Database from 'better-sqlite3';
import pg from 'pg';
import { findFreePort } from '../runtime/ports';
import { copyToPostgres } from '../store/copy';
import { startPostgres } from '../testkit/postgres-server';
import type { DatasetCopier } from './run-scenario';

const TEMPLATE = 'scim_seed';

/**
 * Settings fit for a bench on one machine. synchronous_commit stays at its default `on`: every COMMIT waits for its
 * WAL flush (fsync), as a production PostgreSQL does; SQLite's default synchronous=NORMAL in WAL mode does not fsync
 * at COMMIT, so on write scenarios the two are not equally durable (SQLite --synchronous FULL is the like-for-like).
 * shared_buffers holds the whole dataset, as SQLite's 1 GiB memory map does; max_wal_size keeps timed checkpoints
 * from starting in the middle of a measured window.
 */
export const BENCH_PG_SETTINGS: Record<string, string> = {
  shared_buffers: '512MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
};

export interface BenchPostgres {
  port: number;
  /** Seconds the one-off copy of the SQLite dataset into the template database took (migrations, rows, VACUUM). */
  templateSeconds: number;
  /** A new database holding the seeded dataset as it was copied; its URL. */
  clone(name: string): Promise<string>;
  countEvents(name: string): Promise<number>;
  drop(name: string): Promise<void>;
  /** Ends the admin connection and stops the server (its data directory goes with it). */
  stop(): Promise<void>;
}

/** Starts the server and fills the template database from the SQLite dataset `seedFile` (read-only). */
export async function startBenchPostgres(seedFile: string, log: (msg: string) => void): Promise<BenchPostgres> {
  const port = await findFreePort();
  const server = await startPostgres({ port, settings: BENCH_PG_SETTINGS });
  const base = `postgres://postgres@127.0.0.1:${port}`;
  let admin: pg.Client | undefined;
  try {
    admin = new pg.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    const started = Date.now();
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    const source = new Database(seedFile, { readonly: true });
    try {
      await copyToPostgres(source, `${base}/${TEMPLATE}`);
    } finally {
      source.close();
    }
    // Planner statistics and all-visible pages from the start: a long-running PostgreSQL has them from autovacuum,
    // and a clone made before autovacuum got to it would be measured with guessed plans and hint-bit writes.
    const tpl = new pg.Client({ connectionString: `${base}/${TEMPLATE}` });
    await tpl.connect();
    try {
      await tpl.query('VACUUM (FREEZE, ANALYZE)');
    } finally {
      await tpl.end();
    }
    // No one (autovacuum included) may connect to it any more: CREATE DATABASE … TEMPLATE needs it idle.
    await admin.query(`ALTER DATABASE ${TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    const templateSeconds = (Date.now() - started) / 1000;
    log(
      `PostgreSQL 15 on 127.0.0.1:${port}: dataset copied into template ${TEMPLATE} in ${templateSeconds.toFixed(1)} s`,
    );
    const conn = admin;
    const plain = (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      return name;
    };
    return {
      port,
      templateSeconds,
      async clone(name) {
        // FILE_COPY copies the files (with a checkpoint before and after), far quicker than WAL-logging every page of
        // a large dataset; each scenario then starts right after a checkpoint, with nothing to flush from the last.
        await conn.query(`CREATE DATABASE ${plain(name)} TEMPLATE ${TEMPLATE} STRATEGY FILE_COPY`);
        return `${base}/${name}`;
      },
      async countEvents(name) {
        const client = new pg.Client({ connectionString: `${base}/${plain(name)}` });
        await client.connect();
        try {
          const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM events');
          return Number(rows[0]!.n);
        } finally {
          await client.end();
        }
      },
      async drop(name) {
        await conn.query(`DROP DATABASE IF EXISTS ${plain(name)} WITH (FORCE)`);
      },
      async stop() {
        await conn.end().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (err) {
    await admin?.end().catch(() => undefined);
    await server.stop();
    throw err;
  }
}

/** PostgreSQL copies: a database cloned from the template per scenario, dropped after it. */
export function postgresCopies(pg: BenchPostgres, dataDir: string): DatasetCopier {
  return async (name) => {
    const database = `scim_${name.replace(/-/g, '_')}`;
    const url = await pg.clone(database);
    return {
      store: 'postgres',
      // The data dir holds the key file SecretBox wants (store/open.ts); the bench's dataset seals no secret.
      args: ['--url', url],
      scimArgs: ['--data-dir', dataDir],
      countEvents: () => pg.countEvents(database),
      remove: () => pg.drop(database),
    };
  };
}
