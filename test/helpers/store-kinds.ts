// test/helpers/store-kinds.ts: runs a store test against both implementations: SQLite (a fresh file) and PostgreSQL
// (a fresh database on one real server shared by the test run, started on first use and stopped by the root hooks).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SqliteStores, Stores } from '../../store';
import type { PgStores } from '../../store/pg';
import { createStores } from '../../store';
import { openDatabase } from '../../store/db';
import { migrateLatest } from '../../store/migrate';
import pg from 'pg';
import { openPgStores } from '../../store/pg';
import { SHARED_TEMPLATE, sharedPostgres } from './shared-postgres';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

/** The store the integration stacks use: SCIMFLOW_TEST_STORE=postgres runs the suite on PostgreSQL. */
export const TEST_STORE_KIND: StoreKind = process.env.SCIMFLOW_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface OpenStores {
  stores: Stores;
  /** The database's address: the SQLite file, or the PostgreSQL URL. */
  target: string;
  close(): Promise<void>;
}

/** One key for every store the tests open, so a second Stores over the same database opens its secrets. */
export const TEST_SECRET_KEYS = crypto.randomBytes(32).toString('base64');

let databases = 0;

/** A new database, migrated (a copy of the template: much faster than running every migration again). */
export async function createTestDatabase(): Promise<string> {
  const running = await sharedPostgres(async (url) => void (await migrateLatest(url)));
  const name = `scimflow_t${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: running.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${SHARED_TEMPLATE}`);
  } finally {
    await admin.end();
  }
  return running.url.replace(/\/postgres$/, `/${name}`);
}

/**
 * A fresh, migrated, empty store of the given kind; SQLite at `file` when given (the caller owns its folder), else in
 * a folder of its own that `close` deletes.
 */
export async function openStores(kind: StoreKind, file?: string): Promise<OpenStores> {
  if (kind === 'sqlite') {
    const dir = file === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-kind-')) : undefined;
    const target = file ?? path.join(dir!, 'scimflow.sqlite');
    const stores = createStores(await openDatabase({ file: target, synchronous: 'NORMAL' }), TEST_SECRET_KEYS);
    return {
      stores,
      target,
      close: async () => {
        if (stores.db.open) stores.db.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = await createTestDatabase();
  const stores = await openPgStores(url, { secretKeys: TEST_SECRET_KEYS });
  return { stores, target: url, close: () => stores.close() };
}

/**
 * `describe` once per store kind, with a fresh store before each test (`ctx.stores`) closed after it. The same test
 * body must pass on both: that is what makes the two implementations one interface.
 */
export function describeEachStore(title: string, body: (ctx: { stores: Stores; target: string }) => void): void {
  for (const kind of STORE_KINDS)
    describe(`${title} [${kind}]`, function () {
      const ctx = {} as { stores: Stores; target: string };
      let open: OpenStores | undefined;
      beforeEach(async function () {
        this.timeout(60_000); // the first PostgreSQL test starts the server
        open = await openStores(kind);
        ctx.stores = open.stores;
        ctx.target = open.target;
      });
      afterEach(async function () {
        await open?.close();
        open = undefined;
      });
      body(ctx);
    });
}

/**
 * Deletes rows behind the store's back, on either implementation (tests that fake what an older version or an
 * operator's mistake left behind; the store itself has no such method, on purpose).
 */
export async function deleteRowsBehindTheStore(
  stores: Stores,
  table: string,
  where: Record<string, string>,
): Promise<number> {
  const columns = Object.keys(where);
  const values = columns.map((c) => where[c]!);
  if ('db' in stores && stores.kind === 'sqlite') {
    const sql = `DELETE FROM "${table}" WHERE ${columns.map((c) => `"${c}" = ?`).join(' AND ')}`;
    return (stores as SqliteStores).db.prepare(sql).run(...values).changes;
  }
  const sql = `DELETE FROM "${table}" WHERE ${columns.map((c, i) => `"${c}" = $${i + 1}`).join(' AND ')}`;
  return (stores as PgStores).session.run(sql, values);
}

/** A second, independent store over the same database: what another scimflow process sees and writes. */
export async function openOther(stores: Stores, target: string): Promise<{ stores: Stores; close(): Promise<void> }> {
  if (stores.kind === 'postgres') {
    const other = await openPgStores(target, { secretKeys: TEST_SECRET_KEYS });
    return { stores: other, close: () => other.close() };
  }
  const other = createStores(await openDatabase({ file: target, synchronous: 'NORMAL' }), TEST_SECRET_KEYS);
  return {
    stores: other,
    close: async () => {
      other.db.close();
    },
  };
}
