// bench/ceiling-server.ts: child process with a bare Koa handler and one prepared SELECT per request (the raw ceiling).
import { parseArgs } from 'node:util';
import Koa from 'koa';
import { openDatabase } from '../store/db';
import { serveBench } from './bench-members';
import { listen, portOf } from './scim-server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      directory: { type: 'string' },
      port: { type: 'string', default: '0' },
      processes: { type: 'string', default: '1' },
    },
  });
  if (!values.db || !values.directory)
    throw new Error('usage: ceiling-server.ts --db <file> --directory <id> [--port N] [--processes N]');
  const [file, directoryId] = [values.db, values.directory];
  await serveBench(__filename, Number(values.processes), async () => {
    const db = await openDatabase({ file, synchronous: 'NORMAL' });
    // Same partial unique index the API's userName lookup should use; the literal type lets SQLite pick it.
    const byUserName = db.prepare<[string, string], { id: string; doc: string }>(
      "SELECT id, doc FROM resources WHERE directory_id = ? AND type = 'User' AND user_name_lower = ? AND deleted_at IS NULL",
    );
    const app = new Koa();
    app.use((ctx) => {
      const userName = typeof ctx.query.userName === 'string' ? ctx.query.userName : '';
      const row = byUserName.get(directoryId, userName.toLowerCase());
      // Parse and re-serialise the document so the ceiling does the same JSON work a real answer needs.
      const resources = row ? [{ ...(JSON.parse(row.doc) as object), id: row.id }] : [];
      ctx.type = 'application/scim+json';
      ctx.body = { totalResults: resources.length, Resources: resources };
    });
    const server = await listen(app.listen.bind(app), Number(values.port));
    return {
      port: portOf(server),
      stats: () => Promise.resolve({}),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  });
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`ceiling-server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
