// test/helpers/shared-postgres.ts: one real PostgreSQL server for a test run, started on first use (with a migrated
// template database to copy from) and stopped by the root hooks.
import { findFreePort } from '../../runtime/ports';
import { startPostgres } from '../../testkit/postgres-server';
import type { RunningPostgres } from '../../testkit/postgres-server';

export const SHARED_TEMPLATE = 'scimflow_template';

let server: Promise<RunningPostgres> | undefined;

/** The run's server; the first caller's `prepare` migrates the template database. */
export function sharedPostgres(prepare: (templateUrl: string) => Promise<void>): Promise<RunningPostgres> {
  server ??= (async () => {
    const running = await startPostgres({ port: await findFreePort() });
    await prepare(await running.createDatabase(SHARED_TEMPLATE));
    return running;
  })();
  return server;
}

/** Stops the shared server, if one was started. */
export async function stopSharedPostgres(): Promise<void> {
  const running = server;
  server = undefined;
  if (running) await (await running).stop();
}
