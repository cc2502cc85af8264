// cli/worker-command.ts: `scimflow worker`: only the Temporal worker (for deployments that scale workers apart from the API).
import { NativeConnection } from '@temporalio/worker';
import { openDatabase } from '../store/db';
import { loadDatabaseConfig } from '../store/env';
import { createStores } from '../store';
import { loadTemporalConfig } from '../worker/config';
import { createWorker } from '../worker/create-worker';
import { CliError } from './context';

export async function runWorker(): Promise<void> {
  const temporal = loadTemporalConfig();
  const address = temporal.address ?? `127.0.0.1:${temporal.port}`;
  const db = await openDatabase(loadDatabaseConfig());
  const connection = await NativeConnection.connect({ address }).catch((err: Error) => {
    throw new CliError(`cannot reach Temporal at ${address}: ${err.message}`);
  });
  const worker = await createWorker({
    stores: createStores(db),
    connection,
    namespace: temporal.namespace,
    ...temporal.worker,
  });
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling, lets in-flight tasks finish, then resolves.
  process.stderr.write(`[scimflow] worker polling ${address} (${temporal.namespace})\n`);
  await worker.run();
  await connection.close();
  db.close();
}
