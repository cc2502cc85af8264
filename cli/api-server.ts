// cli/api-server.ts: starts the Koa API with its poker and relay on an opened store and a Temporal client.
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import type { ApiConfig } from '../api/config';
import { listenForForwardedWrites } from '../api/forward-writes';
import { Poker } from '../api/poke';
import { Watchdog } from '../runtime/watchdog';
import type { Stores } from '../store';
import { openStore } from '../store/open';
import { loadTemporalConfig } from '../worker/config';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(deps: {
  stores: Stores;
  client: Client;
  namespace: string;
  config: ApiConfig;
  log: (line: string) => void;
  /**
   * Set when this is one of several API processes (cli/api-cluster.ts). Member 0 is the writer: it also listens on
   * `writerSocket` for the SCIM writes the others relay, and runs the jobs one process per database file does (WAL
   * checkpoints, the relay of undelivered events, event retention). The others answer reads and relay writes.
   */
  member?: { index: number; writerSocket: string };
}): Promise<RunningApi> {
  const { config, log, member } = deps;
  const background = !member || member.index === 0;
  const singleWriter = deps.stores.kind === 'sqlite';
  // Request COMMITs never checkpoint (copy pages, fsync) on the event loop: a worker thread does it.
  const checkpointer = deps.stores.startHousekeeping(background, (err) =>
    log(`checkpoint thread failed, SQLite checkpoints on commit again: ${err.message}`),
  );
  const poker = new Poker(deps.client, deps.stores, { log });
  // Identities whose workflow stopped converging (failed, terminated, tasks failing) become visible exceptions.
  const watchdog = new Watchdog(deps.client, deps.stores, { log });
  if (background) {
    poker.startRelay();
    watchdog.start();
  }
  const app = createApp({
    stores: deps.stores,
    poke: poker.poke,
    limits: config.limits,
    publicUrl: config.http.publicUrl,
    adminToken: config.adminToken,
    metricsPublic: config.metricsPublic,
    temporal: { client: deps.client, namespace: deps.namespace, poker },
    // SQLite has one write lock: the other members relay SCIM writes to member 0. PostgreSQL takes every process's.
    forwardWritesTo: background || !singleWriter ? undefined : member?.writerSocket,
  });
  app.on('error', (err: Error) => log(`internal error: ${err.stack ?? err.message}`));
  // The writer takes relayed writes before it takes any connection of its own.
  const writerServer =
    member && background && singleWriter ? await listenForForwardedWrites(app, member.writerSocket) : undefined;
  const server: Server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s));
    s.keepAliveTimeout = config.http.keepAliveTimeoutMs;
    // Node wants headersTimeout above the keep-alive timeout, and below requestTimeout (300 s by default).
    s.requestTimeout = Math.max(s.requestTimeout, config.http.keepAliveTimeoutMs + 2_000);
    s.headersTimeout = config.http.keepAliveTimeoutMs + 1_000;
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    writerServer?.close();
    await watchdog.stop();
    await poker.stop();
    await checkpointer.stop();
    throw err;
  });
  const retention =
    background && config.eventRetentionDays
      ? await startEventRetention(deps.stores, config.eventRetentionDays, log)
      : undefined;
  return {
    url: config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`,
    async close() {
      if (retention) clearInterval(retention);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (writerServer) await new Promise<void>((resolve) => writerServer.close(() => resolve()));
      await watchdog.stop();
      await poker.stop();
      await checkpointer.stop();
    },
  };
}

/**
 * An API process of its own (`scimflow api`, or one member of several): opens the database and a lazy Temporal
 * connection (the API starts, and keeps recording SCIM writes, even while Temporal is unreachable), then serves.
 * `close` stops serving and closes both.
 */
export async function startApiProcess(
  config: ApiConfig,
  log: (line: string) => void,
  member?: { index: number; writerSocket: string },
): Promise<RunningApi & { temporalAddress: string; store: string }> {
  const temporal = loadTemporalConfig();
  const address = temporal.address ?? `127.0.0.1:${temporal.port}`;
  const store = await openStore(config.database); // SQLite members: the primary migrated it before forking
  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const running = await startApiServer({
    stores: store.stores,
    client,
    namespace: temporal.namespace,
    config,
    log,
    member,
  });
  return {
    url: running.url,
    temporalAddress: address,
    store: store.description,
    async close() {
      await running.close();
      await connection.close();
      await store.close();
    },
  };
}

/** Prunes delivered events past the retention window, now and hourly (undelivered events are never pruned). */
async function startEventRetention(stores: Stores, days: number, log: (line: string) => void): Promise<NodeJS.Timeout> {
  const prune = async () => {
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    const pruned = await stores.events.prune(before);
    if (pruned > 0) log(`pruned ${pruned} delivered events older than ${days} days`);
  };
  await prune();
  // A failed hourly run is logged; the next hour tries again.
  const timer = setInterval(() => {
    prune().catch((err: Error) => log(`event retention failed: ${err.stack ?? err.message}`));
  }, 3_600_000);
  timer.unref();
  return timer;
}
