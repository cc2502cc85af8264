// test/helpers/temporal.ts: the one Temporal server an integration run uses: TEMPORAL_ADDRESS's, or a dev server started here.
import { Connection } from '@temporalio/client';
import type { DevServer } from '../../runtime/dev-server';
import { startDevServer } from '../../runtime/dev-server';
import { findFreePort } from '../../runtime/ports';
import { ensureSearchAttributes } from '../../runtime/search-attributes';
import { ensureTemporalCli } from '../../runtime/temporal-cli';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/contracts';

export interface TestTemporal {
  address: string;
  namespace: string;
}

let current: (TestTemporal & { server?: DevServer }) | undefined;

/** For test files; the root hooks (test/helpers/root-hooks.ts) must have started the server. */
export function getTestTemporal(): TestTemporal {
  if (!current) throw new Error('No test Temporal server: run mocha with --require test/helpers/root-hooks.ts');
  return { address: current.address, namespace: current.namespace };
}

/** An in-memory dev server on free ports, unless TEMPORAL_ADDRESS points at a server to reuse. */
export async function startTestTemporal(env: Record<string, string | undefined> = process.env): Promise<TestTemporal> {
  if (current) return getTestTemporal();
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  if (env.TEMPORAL_ADDRESS) {
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    try {
      await ensureSearchAttributes(connection, namespace, SEARCH_ATTRIBUTE_TYPES);
    } finally {
      await connection.close();
    }
    current = { address: env.TEMPORAL_ADDRESS, namespace };
    return getTestTemporal();
  }
  const cliPath = await ensureTemporalCli({ env, log: (line) => process.stderr.write(`[temporal-cli] ${line}\n`) });
  const port = await findFreePort();
  let uiPort = await findFreePort();
  while (uiPort === port) uiPort = await findFreePort();
  const server = await startDevServer({ cliPath, port, uiPort, namespace, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
  current = { address: server.address, namespace, server };
  return getTestTemporal();
}

export async function stopTestTemporal(): Promise<void> {
  const server = current?.server;
  current = undefined;
  await server?.stop();
}
