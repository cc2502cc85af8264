// store/open.ts: opens the store the configuration names (DATABASE_URL: PostgreSQL; otherwise the SQLite file), for
// every process: API, worker, CLI.
import type { Stores } from './index';
import { createStores } from './index';
import { openDatabase } from './db';
import type { DatabaseConfig } from './env';
import { ConfigError, redactUrl } from './env';
import { openPgStores } from './pg';

export interface OpenedStore {
  stores: Stores;
  /** What the start banner says: `PostgreSQL postgres://…` (password redacted) or `SQLite <file>`. */
  description: string;
  close(): Promise<void>;
}

export async function openStore(
  config: DatabaseConfig,
  options: { poolSize?: number; secretKeys?: string } = {},
): Promise<OpenedStore> {
  const secretKeys = options.secretKeys ?? process.env.SCIMFLOW_SECRET_KEYS;
  if (config.url === undefined) {
    const db = await openDatabase(config);
    return {
      stores: createStores(db, secretKeys),
      description: `SQLite ${config.file}`,
      close: async () => void db.close(),
    };
  }
  const shown = redactUrl(config.url);
  try {
    const stores = await openPgStores(config.url, { secretKeys, dataDir: config.dataDir, poolSize: options.poolSize });
    return { stores, description: `PostgreSQL ${shown}`, close: () => stores.close() };
  } catch (err) {
    // The operator's fix is in the variable: name it, never its password (the driver's message may quote the URL).
    const message = (err as Error).message.split(config.url).join(shown);
    throw new ConfigError(`DATABASE_URL=${shown}: ${message}`);
  }
}
