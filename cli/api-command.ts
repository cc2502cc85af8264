// cli/api-command.ts: `scimflow api`: only the HTTP API (records, pokes, relays); workers run apart (`scimflow worker`).
import { loadApiConfig } from '../api/config';
import { logger } from '../runtime/logger';
import type { ApiConfig } from '../api/config';
import { migrateLatest } from '../store/migrate';
import { startApiCluster } from './api-cluster';
import { startApiProcess } from './api-server';

const log = (line: string) => logger().info({ component: 'api' }, line);

export async function runApi(): Promise<void> {
  logger(); // LOG_LEVEL / LOG_FORMAT checked before anything starts
  const config = loadApiConfig();
  if (config.processes > 1) return runApiCluster(config);
  const running = await startApiProcess(config, log);
  log(`API listening on ${running.url} (Temporal ${running.temporalAddress}; store: ${running.store})`);
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** API_PROCESSES > 1: migrate once here, then the members serve; this process only supervises them. */
async function runApiCluster(config: ApiConfig): Promise<void> {
  await migrateLatest(config.database.url ?? config.database.file);
  const running = await startApiCluster({ config, log, onGiveUp: () => process.exit(1) });
  log(`API listening on ${running.url} with ${config.processes} processes`);
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
