// bench/scim-server.ts: child process serving the real createApp over a seeded database copy, for the benchmark.
import { parseArgs } from 'node:util';
import { createApp } from '../api/app';
import type { EventRow } from '../store/event-log';
import { openDatabase } from '../store/db';
import { createStores } from '../store';
import { startCheckpointer } from '../store/checkpointer';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      port: { type: 'string', default: '0' },
      synchronous: { type: 'string', default: 'NORMAL' },
    },
  });
  if (!values.db) throw new Error('usage: scim-server.ts --db <sqlite file> [--port N] [--synchronous NORMAL|FULL]');
  const synchronous = values.synchronous === 'FULL' ? 'FULL' : 'NORMAL';
  const stores = createStores(await openDatabase({ file: values.db, synchronous }));
  const checkpointer = startCheckpointer(stores.db, (err) => process.stderr.write(`checkpointer: ${err.message}\n`));

  // The benchmark measures record-then-respond; signalling Temporal is off the critical path, so pokes are only counted.
  const pokes = { calls: 0, events: 0 };
  const poke = (events: EventRow[]) => {
    pokes.calls += 1;
    pokes.events += events.length;
  };
  const app = createApp({
    stores,
    poke,
    limits: { maxBodyBytes: 1_048_576, bulkMaxOperations: 1000, maxPageSize: 1000 },
  });
  let serverErrors = 0;
  app.on('error', (err: Error) => {
    serverErrors += 1;
    if (serverErrors <= 3) process.stderr.write(`scim-server: ${err.stack ?? err.message}\n`);
  });

  const server = app.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : Number(values.port);
    process.stdout.write(`ready ${port}\n`);
  });
  server.keepAliveTimeout = 60_000;

  // process.exit (not a hard kill) so that --cpu-prof can write its profile.
  const stop = async () => {
    const checkpoints = await checkpointer.stats();
    await checkpointer.stop();
    process.stdout.write(
      `stats ${JSON.stringify({ pokeCalls: pokes.calls, pokedEvents: pokes.events, serverErrors, checkpoints })}\n`,
    );
    stores.db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`scim-server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
