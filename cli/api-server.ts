// cli/api-server.ts: starts the Koa API with its poker and relay on an opened store and a Temporal client.
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { createApp } from '../api/app';
import type { ApiConfig } from '../api/config';
import { Poker } from '../api/poke';
import type { Stores } from '../store';
import { startCheckpointer } from '../store/checkpointer';

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
}): Promise<RunningApi> {
  const { config, log } = deps;
  // Request COMMITs never checkpoint (copy pages, fsync) on the event loop: a worker thread does it.
  const checkpointer = startCheckpointer(deps.stores.db, (err) =>
    log(`checkpoint thread failed, SQLite checkpoints on commit again: ${err.message}`),
  );
  const poker = new Poker(deps.client, deps.stores, { log });
  poker.startRelay();
  const app = createApp({
    stores: deps.stores,
    poke: poker.poke,
    limits: config.limits,
    publicUrl: config.http.publicUrl,
    adminToken: config.adminToken,
    temporal: { client: deps.client, namespace: deps.namespace, poker },
  });
  app.on('error', (err: Error) => log(`internal error: ${err.stack ?? err.message}`));
  const server: Server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    await poker.stop();
    await checkpointer.stop();
    throw err;
  });
  const retention = config.eventRetentionDays
    ? startEventRetention(deps.stores, config.eventRetentionDays, log)
    : undefined;
  return {
    url: config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`,
    async close() {
      if (retention) clearInterval(retention);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await poker.stop();
      await checkpointer.stop();
    },
  };
}

/** Prunes delivered events past the retention window, now and hourly (undelivered events are never pruned). */
function startEventRetention(stores: Stores, days: number, log: (line: string) => void): NodeJS.Timeout {
  const prune = () => {
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    const pruned = stores.events.prune(before);
    if (pruned > 0) log(`pruned ${pruned} delivered events older than ${days} days`);
  };
  prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return timer;
}
