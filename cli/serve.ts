// cli/serve.ts: `scimflow serve` (npm start): embedded Temporal dev server (unless TEMPORAL_ADDRESS), worker and API in one process.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadApiConfig } from '../api/config';
import { installTemporalRuntime, logger } from '../runtime/logger';
import { startApiCluster } from './api-cluster';
import { startApiServer } from './api-server';
import type { RunningApi } from './api-server';
import { ensureTemporalCli } from '../runtime/temporal-cli';
import { startDevServer } from '../runtime/dev-server';
import { assertPortFree } from '../runtime/ports';
import { openStore } from '../store/open';
import type { Stores } from '../store';
import { loadTemporalConfig } from '../worker/config';
import { reserveSdkMetricsAddress } from '../metrics/temporal-sdk';
import { createWorker, DEFAULT_SHUTDOWN_FORCE_MS } from '../worker/create-worker';
import { registerSearchAttributes } from './worker-command';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contracts';

const log = (line: string) => logger().info({ component: 'serve' }, line);

export async function serve(): Promise<void> {
  logger(); // LOG_LEVEL / LOG_FORMAT checked before anything starts
  const api = loadApiConfig();
  const temporal = loadTemporalConfig();
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('shutting down…');
    for (const fn of cleanups.reverse()) await fn().catch((err: Error) => log(`shutdown step failed: ${err.message}`));
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    await assertPortFree(api.http.port, api.http.host, 'PORT');
    fs.mkdirSync(api.database.dataDir, { recursive: true });
    let address = temporal.address;
    let uiUrl: string | undefined;
    if (!address) {
      const cliPath = await ensureTemporalCli({ log });
      const server = await startDevServer({
        cliPath,
        dbFile: path.join(api.database.dataDir, 'temporal.sqlite'),
        port: temporal.port,
        uiPort: temporal.uiPort,
        namespace: temporal.namespace,
        searchAttributes: SEARCH_ATTRIBUTE_TYPES,
        log,
      });
      cleanups.push(() => server.stop());
      // Without its Temporal server scimflow would take writes and converge nothing: it stops, saying why.
      void server.exited.then((how) => {
        if (stopping) return;
        log(`the Temporal dev server ${how}: scimflow stops too (nothing would converge); run npm start again`);
        void shutdown(1);
      });
      address = server.address;
      uiUrl = server.uiUrl;
    } else await registerSearchAttributes(address, temporal.namespace);

    const store = await openStore(api.database);
    cleanups.push(() => store.close());
    const stores = store.stores;

    installTemporalRuntime({ metricsBindAddress: await reserveSdkMetricsAddress() });
    const nativeConnection = await NativeConnection.connect({ address });
    cleanups.push(() => nativeConnection.close());
    const worker = await createWorker({
      stores,
      connection: nativeConnection,
      namespace: temporal.namespace,
      ...temporal.worker,
      shutdownForceTimeMs: DEFAULT_SHUTDOWN_FORCE_MS,
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      // Worker.run() stops by itself on SIGINT/SIGTERM; shutdown() is only for the other ways out (and throws then).
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun; // before the connection closes: a worker still stopping holds it
    });
    workerRun.catch((err: Error) => {
      log(`worker stopped: ${err.message}`);
      void shutdown(1);
    });

    const running =
      api.processes > 1
        ? await startApiCluster({
            config: api,
            env: { TEMPORAL_ADDRESS: address },
            log,
            onGiveUp: () => void shutdown(1),
          })
        : await startInProcessApi(stores, address);
    cleanups.push(() => running.close());

    const apiUrl = running.url;
    if (api.processes > 1) log(`API runs in ${api.processes} processes`);
    log(`ready`);
    process.stdout.write(`scimflow API:     ${apiUrl}\n`);
    process.stdout.write(`Temporal:         ${address}\n`);
    if (uiUrl) process.stdout.write(`Temporal UI:      ${uiUrl}\n`);
    process.stdout.write(`Data directory:   ${api.database.dataDir}\n`);
    process.stdout.write(`Store:            ${store.description}\n`);
    process.stdout.write(`Next: npx scimflow directory create --name acme --idp entra\n`);
  } catch (err) {
    log(`failed to start: ${(err as Error).message}`);
    await shutdown(1);
  }

  async function startInProcessApi(stores: Stores, address: string): Promise<RunningApi> {
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });
    return startApiServer({ stores, client, namespace: temporal.namespace, config: api, log });
  }
}
