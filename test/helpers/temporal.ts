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
  const server = await startOnFreePorts(cliPath, namespace);
  current = { address: server.address, namespace, server };
  diedMidRun = undefined;
  void server.exited.then((how) => {
    if (current?.server !== server) return; // stopTestTemporal's own stop
    diedMidRun = `the Temporal dev server on ${server.address} ${how} during the run; last output:\n${server.lastOutput()}`;
    process.stderr.write(`\n[temporal] ${diedMidRun}\n`);
  });
  return getTestTemporal();
}

/**
 * The CLI's dev server has exited at start now and then under load (code 1 or a Go panic in NewServerFx, once each in
 * back-to-back runs); a run should not fail on that. Three tries, each on fresh ports, each failure printed.
 */
async function startOnFreePorts(cliPath: string, namespace: string): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    let uiPort = await findFreePort();
    while (uiPort === port) uiPort = await findFreePort();
    try {
      return await startDevServer({ cliPath, port, uiPort, namespace, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
    } catch (err) {
      if (attempt === 3) throw err;
      process.stderr.write(`[temporal] start ${attempt} of 3 failed, trying again: ${(err as Error).message}\n`);
    }
  }
}

let diedMidRun: string | undefined;

/**
 * Why the run's dev server is gone, if it ended before the run did. Every later test would wait on it until its own
 * timeout (a CI run once spent its 90 minutes so); the root hooks fail the run at once instead.
 */
export function testTemporalFailure(): string | undefined {
  return diedMidRun;
}

/** For test/integration/test-harness.test.ts only: ends the server as a crash would, without the run knowing. */
export async function endTestTemporalBehindTheRun(): Promise<void> {
  await current?.server?.stop();
}

export async function stopTestTemporal(): Promise<void> {
  const server = current?.server;
  current = undefined;
  await server?.stop();
}
