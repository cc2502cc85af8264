// cli/worker-command.ts: `scimflow worker`: only the Temporal worker (for deployments that scale workers apart from the API).
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../runtime/search-attributes';
import { loadDatabaseConfig } from '../store/env';
import { openStore } from '../store/open';
import { loadTemporalConfig } from '../worker/config';
import { reserveSdkMetricsAddress } from '../metrics/temporal-sdk';
import { createWorker, DEFAULT_SHUTDOWN_FORCE_MS } from '../worker/create-worker';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contracts';
import { CliError } from './context';
import { installTemporalRuntime, logger } from '../runtime/logger';
import { Registry } from 'prom-client';
import { listenForMetrics } from '../metrics/serve';
import { registerStoreMetrics } from '../metrics/store-gauges';
import type { Stores } from '../store';

export async function runWorker(): Promise<void> {
  logger(); // LOG_LEVEL / LOG_FORMAT checked before anything starts
  const temporal = loadTemporalConfig();
  const address = temporal.address ?? `127.0.0.1:${temporal.port}`;
  const store = await openStore(loadDatabaseConfig());
  // The SDK's metrics join /metrics only where someone scrapes it.
  installTemporalRuntime(temporal.metrics ? { metricsBindAddress: await reserveSdkMetricsAddress() } : {});
  const connection = await NativeConnection.connect({ address }).catch((err: Error) => {
    throw new CliError(`cannot reach Temporal at ${address}: ${err.message}`);
  });
  await registerSearchAttributes(address, temporal.namespace);
  const stores = store.stores;
  const metricsServer = temporal.metrics ? await serveWorkerMetrics(stores, temporal.metrics) : undefined;
  const worker = await createWorker({
    stores,
    connection,
    namespace: temporal.namespace,
    ...temporal.worker,
    shutdownForceTimeMs: DEFAULT_SHUTDOWN_FORCE_MS,
  });
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling, lets in-flight tasks finish, then resolves.
  logger().info(
    { component: 'worker' },
    `worker polling ${address} (${temporal.namespace}; store: ${store.description})`,
  );
  await worker.run();
  metricsServer?.close();
  await connection.close();
  await store.close();
}

/** The worker's own /metrics listener: per-app call outcomes and gate waits happen here, not in the API. */
async function serveWorkerMetrics(stores: Stores, at: { port: number; host: string }) {
  const storeMetrics = new Registry();
  registerStoreMetrics(storeMetrics, stores);
  const server = await listenForMetrics(at.port, at.host, storeMetrics).catch((err: Error) => {
    throw new CliError(`METRICS_PORT ${at.port}: ${err.message}`);
  });
  logger().info({ component: 'worker' }, `worker metrics on http://${at.host}:${at.port}/metrics`);
  return server;
}

/**
 * A workflow that upserts a search attribute the namespace lacks fails its task over and over, invisibly: the worker
 * adds missing ones before it polls (an upgrade may bring new ones), and stops if it may not.
 */
export async function registerSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  try {
    const added = await ensureSearchAttributes(connection, namespace, SEARCH_ATTRIBUTE_TYPES);
    if (added.length > 0) logger().info({ component: 'worker' }, `registered search attributes ${added.join(', ')}`);
  } catch (err) {
    throw new CliError(
      `the search attributes ${Object.keys(SEARCH_ATTRIBUTE_TYPES).join(', ')} are needed in namespace ${namespace}: ${(err as Error).message}`,
    );
  } finally {
    await connection.close();
  }
}
