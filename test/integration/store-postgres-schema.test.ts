// test/integration/store-postgres-schema.test.ts: scimflow's migrations on a real PostgreSQL server (issue 14, first
// part): the same schema as on SQLite, no length limits below the API's, SQLite's sort order, the group-ids triggers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knex from 'knex';
import type { Knex } from 'knex';
import { findFreePort } from '../../runtime/ports';
import { IDENTIFIER_MAX_LENGTH, VALUE_MAX_LENGTH } from '../../domain/scim/value-limits';
import { isPostgresUrl, migrateLatest } from '../../store/migrate';
import { startPostgres } from '../../testkit/postgres-server';
import type { RunningPostgres } from '../../testkit/postgres-server';

type Columns = Record<string, string[]>;

async function postgresColumns(db: Knex): Promise<Columns> {
  const { rows } = await db.raw<{ rows: { table_name: string; column_name: string }[] }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name NOT LIKE 'knex\\_%' ORDER BY table_name, column_name`,
  );
  const tables: Columns = {};
  for (const r of rows) (tables[r.table_name] ??= []).push(r.column_name);
  return tables;
}

async function sqliteColumns(file: string): Promise<Columns> {
  const db = knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    const names = await db.raw<{ name: string }[]>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'knex\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`,
    );
    const tables: Columns = {};
    for (const { name } of names) {
      const info = await db.raw<{ name: string }[]>(`PRAGMA table_info("${name}")`);
      tables[name] = info.map((c) => c.name).sort();
    }
    return tables;
  } finally {
    await db.destroy();
  }
}

describe('scimflow store schema on PostgreSQL (issue 14)', function () {
  this.timeout(120_000);
  let pg: RunningPostgres;
  let url: string;
  let db: Knex;

  before(async function () {
    pg = await startPostgres({ port: await findFreePort() });
    url = await pg.createDatabase('scimflow_schema');
    db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  });

  after(async function () {
    await db?.destroy();
    await pg?.stop();
  });

  it('runs every migration, then nothing the second time; the same tables and columns as SQLite', async function () {
    expect(isPostgresUrl(url)).to.equal(true);
    expect(isPostgresUrl('postgresql://u@h/db')).to.equal(true);
    expect(isPostgresUrl('/var/lib/scimflow/scimflow.db')).to.equal(false);
    const applied = await migrateLatest(url);
    expect(applied.length).to.be.greaterThan(10);
    expect(await migrateLatest(url), 'already migrated').to.deep.equal([]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-schema-'));
    try {
      const file = path.join(dir, 'scimflow.db');
      expect(await migrateLatest(file)).to.deep.equal(applied);
      // SQLite's implicit rowid is an explicit column on PostgreSQL (migration 20261212000000_postgres-sqlite-parity).
      const sqlite = await sqliteColumns(file);
      for (const table of ['directory_tokens', 'revocations']) sqlite[table] = [...sqlite[table]!, 'row_id'].sort();
      expect(await postgresColumns(db)).to.deep.equal(sqlite);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds string values up to the API limits: no varchar(255), byte-wise order like SQLite', async function () {
    const { rows } = await db.raw<{ rows: { table_name: string; column_name: string; collation_name: string }[] }>(
      `SELECT table_name, column_name, data_type, collation_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name NOT LIKE 'knex\\_%'
         AND (data_type = 'character varying' OR (data_type = 'text' AND collation_name IS DISTINCT FROM 'C'))`,
    );
    expect(rows, 'string columns that are not text COLLATE "C"').to.deep.equal([]);

    await db('directories').insert({
      id: 'd1',
      name: 'acme',
      dialect: 'generic',
      created_at: '2026-12-04T00:00:00.000Z',
    });
    // 512 code units of 4-byte characters (2 KiB of UTF-8): the longest identifier, in the unique index.
    const longName = '\u{1F600}'.repeat(IDENTIFIER_MAX_LENGTH / 2);
    const user = (id: string, userName: string, displayName: string) => ({
      directory_id: 'd1',
      type: 'User',
      id,
      user_name: userName,
      user_name_lower: userName.toLowerCase(),
      display_name_lower: displayName.toLowerCase(),
      external_id: 'x'.repeat(IDENTIFIER_MAX_LENGTH),
      doc: '{}',
      version: 1,
      created_at: '2026-12-04T00:00:00.000Z',
      updated_at: '2026-12-04T00:00:00.000Z',
    });
    await db('resources').insert(user('u-long', longName, 'd'.repeat(VALUE_MAX_LENGTH)));
    await db('resources').insert(user('u-B', 'B@x.test', 'b'));
    await db('resources').insert(user('u-a', 'a@x.test', 'a'));
    // userName is unique per directory, case-insensitively, among live users.
    const duplicate = await db('resources')
      .insert(user('u-dup', 'A@X.test', 'a2'))
      .then(
        () => null,
        (e: Error & { code?: string }) => e.code,
      );
    expect(duplicate, 'unique violation').to.equal('23505');
    // SQLite compares bytes: upper case before lower case, ASCII before emoji.
    const ordered = await db('resources').where({ directory_id: 'd1' }).orderBy('user_name').pluck('user_name');
    expect(ordered).to.deep.equal(['B@x.test', 'a@x.test', longName]);
  });

  it('keeps each user row’s group ids (and its version) in step with group_members, in the same transaction', async function () {
    const row = () =>
      db('resources').where({ directory_id: 'd1', id: 'u-a' }).first('group_ids', 'version', 'updated_at');
    const before = await row();
    await db('group_members').insert([
      { directory_id: 'd1', group_id: 'g2', member_id: 'u-a', member_type: 'User' },
      { directory_id: 'd1', group_id: 'g1', member_id: 'u-a', member_type: 'User' },
    ]);
    const joined = await row();
    expect(JSON.parse(joined.group_ids)).to.deep.equal(['g1', 'g2']);
    expect(joined.version).to.equal(before.version + 2);
    expect(joined.updated_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await db
      .transaction(async (tx) => {
        await tx('group_members').where({ directory_id: 'd1', group_id: 'g2', member_id: 'u-a' }).delete();
        expect(JSON.parse((await tx('resources').where({ id: 'u-a' }).first('group_ids')).group_ids)).to.deep.equal([
          'g1',
        ]);
        throw new Error('rolled back');
      })
      .catch((e: Error) => expect(e.message).to.equal('rolled back'));
    expect(JSON.parse((await row()).group_ids), 'the rollback took the trigger’s write with it').to.deep.equal([
      'g1',
      'g2',
    ]);
    await db('group_members').where({ directory_id: 'd1', member_id: 'u-a' }).delete();
    expect(JSON.parse((await row()).group_ids)).to.deep.equal([]);
  });
});
