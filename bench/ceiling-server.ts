// bench/ceiling-server.ts: child process with a bare Koa handler and one prepared SELECT per request (the raw ceiling).
import { parseArgs } from 'node:util';
import Koa from 'koa';
import { openDatabase } from '../store/db';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      directory: { type: 'string' },
      port: { type: 'string', default: '0' },
    },
  });
  if (!values.db || !values.directory)
    throw new Error('usage: ceiling-server.ts --db <file> --directory <id> [--port N]');
  const directoryId = values.directory;
  const db = await openDatabase({ file: values.db, synchronous: 'NORMAL' });
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

  const server = app.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : Number(values.port);
    process.stdout.write(`ready ${port}\n`);
  });
  server.keepAliveTimeout = 60_000;
  const stop = () => {
    process.stdout.write(`stats ${JSON.stringify({})}\n`);
    db.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling-server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
