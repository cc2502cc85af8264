// bench/ceiling-server.ts: child process with a bare Koa handler and one prepared SELECT per request (the raw ceiling),
// on the SQLite file (--db) or on PostgreSQL (--url).
import { parseArgs } from 'node:util';
import Koa from 'koa';
import pg from 'pg';
import { openDatabase } from '../store/db';
import { serveBench } from './bench-members';
import { listen, portOf } from './scim-server';

type Row = { id: string; doc: string };

/** The one lookup the ceiling answers, and how to let go of its connection(s). */
interface Lookup {
  /** SQLite answers synchronously, as the ceiling always did: its number must not move because PostgreSQL joined. */
  byUserName(directoryId: string, userNameLower: string): Row | undefined | Promise<Row | undefined>;
  close(): Promise<void>;
}

// Same partial unique index the API's userName lookup should use; the literal type lets the planner pick it.
const BY_USER_NAME =
  "SELECT id, doc FROM resources WHERE directory_id = $1 AND type = 'User' AND user_name_lower = $2 AND deleted_at IS NULL";

async function sqliteLookup(file: string): Promise<Lookup> {
  const db = await openDatabase({ file, synchronous: 'NORMAL' });
  const stmt = db.prepare<[string, string], Row>(BY_USER_NAME.replace(/\$\d/g, '?'));
  return {
    byUserName: (directoryId, name) => stmt.get(directoryId, name),
    close: () => Promise.resolve(void db.close()),
  };
}

/** A pool as large as the API's (store/pg/index.ts) and a named statement: parsed and planned once per connection. */
function postgresLookup(url: string): Lookup {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined);
  return {
    byUserName: async (directoryId, name) =>
      (await pool.query<Row>({ name: 'ceiling-by-user-name', text: BY_USER_NAME, values: [directoryId, name] }))
        .rows[0],
    close: () => pool.end(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      url: { type: 'string' },
      directory: { type: 'string' },
      port: { type: 'string', default: '0' },
      processes: { type: 'string', default: '1' },
    },
  });
  if (!(values.db || values.url) || !values.directory)
    throw new Error(
      'usage: ceiling-server.ts --db <file>|--url <postgres url> --directory <id> [--port N] [--processes N]',
    );
  const [db, url, directoryId] = [values.db, values.url, values.directory];
  await serveBench(__filename, Number(values.processes), async () => {
    const lookup = url ? postgresLookup(url) : await sqliteLookup(db!);
    const app = new Koa();
    const reply = (ctx: Koa.Context, row: Row | undefined) => {
      // Parse and re-serialise the document so the ceiling does the same JSON work a real answer needs.
      const resources = row ? [{ ...(JSON.parse(row.doc) as object), id: row.id }] : [];
      ctx.type = 'application/scim+json';
      ctx.body = { totalResults: resources.length, Resources: resources };
    };
    app.use((ctx) => {
      const userName = typeof ctx.query.userName === 'string' ? ctx.query.userName : '';
      const found = lookup.byUserName(directoryId, userName.toLowerCase());
      return found instanceof Promise ? found.then((row) => reply(ctx, row)) : reply(ctx, found);
    });
    const server = await listen(app.listen.bind(app), Number(values.port));
    return { port: portOf(server), stats: () => Promise.resolve({}), close: () => lookup.close() };
  });
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`ceiling-server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
