// cli/context.ts: what CLI commands share: the opened store, a Temporal client on demand, JSON output.
import { Client, Connection } from '@temporalio/client';
import { loadDatabaseConfig } from '../store/env';
import { openStore } from '../store/open';
import type { Stores } from '../store';
import { loadTemporalConfig } from '../worker/config';

export async function withStores<T>(fn: (stores: Stores) => Promise<T> | T): Promise<T> {
  // One connection is all a command needs (PostgreSQL: a pool of one).
  const opened = await openStore(loadDatabaseConfig(), { poolSize: 1 });
  try {
    return await fn(opened.stores);
  } finally {
    await opened.close();
  }
}

export async function withTemporal<T>(fn: (client: Client, namespace: string) => Promise<T>): Promise<T> {
  const config = loadTemporalConfig();
  const address = config.address ?? `127.0.0.1:${config.port}`;
  const connection = await Connection.connect({ address, connectTimeout: '5s' });
  try {
    return await fn(new Client({ connection, namespace: config.namespace }), config.namespace);
  } finally {
    await connection.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export class CliError extends Error {}

/** The directory named by `--directory`, or a CLI error saying it does not exist. */
export async function directoryOf(stores: Stores, id: string) {
  const directory = await stores.directories.get(id);
  if (!directory) throw new CliError(`directory ${id} not found`);
  return directory;
}
