// bench/scim-server.ts: child process serving the real createApp over a seeded database copy (a SQLite file, or a
// PostgreSQL database with --url), for the benchmark.
import type { Server } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../api/app';
import { listenForForwardedWrites } from '../api/forward-writes';
import type { EventRow } from '../store/event-log';
import { openStore } from '../store/open';
import { serveBench } from './bench-members';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      url: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      synchronous: { type: 'string', default: 'NORMAL' },
      processes: { type: 'string', default: '1' },
    },
  });
  if (!values.db && !(values.url && values['data-dir']))
    throw new Error(
      'usage: scim-server.ts --db <sqlite file> | --url <postgres url> --data-dir <dir> [--port N] [--synchronous NORMAL|FULL] [--processes N]',
    );
  // The production opener (store/open.ts), so each store is measured as the API runs it (PostgreSQL: its pool size).
  const dataDir = values['data-dir'] ?? path.dirname(values.db!);
  const database = {
    dataDir,
    file: values.db ?? path.join(dataDir, 'scimflow.sqlite'),
    synchronous: values.synchronous === 'FULL' ? ('FULL' as const) : ('NORMAL' as const),
    ...(values.url ? { url: values.url } : {}),
  };
  await serveBench(__filename, Number(values.processes), async (member) => {
    const writer = !member || member.index === 0;
    const store = await openStore(database);
    const { stores } = store;
    // As cli/api-server.ts: SQLite has one write lock, so the other members relay writes to member 0; PostgreSQL
    // takes every process's writes.
    const relay = member !== undefined && stores.kind === 'sqlite';
    const onError = (err: Error) => process.stderr.write(`checkpointer: ${err.message}\n`);
    const checkpointer = stores.startHousekeeping(writer, onError);

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
      forwardWritesTo: relay && !writer ? member.writerSocket : undefined,
    });
    let serverErrors = 0;
    app.on('error', (err: Error) => {
      serverErrors += 1;
      if (serverErrors <= 3) process.stderr.write(`scim-server: ${err.stack ?? err.message}\n`);
    });
    if (relay && writer) await listenForForwardedWrites(app, member.writerSocket);
    const server = await listen(app.listen.bind(app), Number(values.port));
    return {
      port: portOf(server),
      stats: async () => ({
        pokeCalls: pokes.calls,
        pokedEvents: pokes.events,
        serverErrors,
        checkpoints: { ...(await checkpointer.stats()) },
        batches: { ...stores.batch.stats },
      }),
      close: async () => {
        await checkpointer.stop();
        await store.close();
      },
    };
  });
}

export function listen(
  listenFn: (port: number, host: string, cb: () => void) => Server,
  port: number,
): Promise<Server> {
  return new Promise((resolve) => {
    const server = listenFn(port, '127.0.0.1', () => resolve(server));
    server.keepAliveTimeout = 60_000;
  });
}

export function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`scim-server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
