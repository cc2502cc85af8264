// cli/api-command.ts: `scimflow api`: only the HTTP API (records, pokes, relays); workers run apart (`scimflow worker`).
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '../api/config';
import { openDatabase } from '../store/db';
import { createStores } from '../store';
import { loadTemporalConfig } from '../worker/config';
import { startApiServer } from './api-server';

const log = (line: string) => process.stderr.write(`[scimflow] ${line}\n`);

export async function runApi(): Promise<void> {
  const config = loadApiConfig();
  const temporal = loadTemporalConfig();
  const address = temporal.address ?? `127.0.0.1:${temporal.port}`;
  const db = await openDatabase(config.database);
  // Connection.lazy: the API starts (and keeps recording SCIM writes) even while Temporal is unreachable.
  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const running = await startApiServer({
    stores: createStores(db),
    client,
    namespace: temporal.namespace,
    config,
    log,
  });
  log(`API listening on ${running.url} (Temporal ${address})`);
  const stop = async () => {
    await running.close();
    await connection.close();
    db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
