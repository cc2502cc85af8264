// runtime/dev-server.ts: run the Temporal CLI dev server (supervised child), wait until it serves, register search attributes.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree } from './ports';
import type { SearchAttributeTypeName } from './search-attributes';
import { ensureSearchAttributes } from './search-attributes';
import { settlesWithin, spawnSupervised } from './supervised-process';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that keeps workflows across restarts; undefined = in-memory, lost at stop. */
  dbFile?: string;
  port: number;
  uiPort: number;
  /** Default 127.0.0.1. */
  ip?: string;
  /** Default 'default'. */
  namespace?: string;
  searchAttributes: Record<string, SearchAttributeTypeName>;
  /** Receives the server's own output lines (warnings and errors) and lifecycle notes. */
  log?: (line: string) => void;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** SIGTERM, then SIGKILL after 10 s; safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves when the server process ends, however (a crash, a kill, stop()), with how it ended. */
  exited: Promise<string>;
  /** The server's last output lines (a panic's first lines kept), to say why it ended. */
  lastOutput(): string;
}

/**
 * Limits lifted for a single-user local server. The CLI itself only raises visibility RPS (to 100) and the history
 * cache. Visibility is the limit a test run or the UI really reaches (list/count polling); the others (frontend 2400 RPS
 * per namespace, matching 1200 RPS, persistence QPS) sit above the ~300 signal-with-starts/s a 2-core machine manages on
 * SQLite, and are raised so a faster machine running the bench measures scimflow rather than the server's throttles.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, number | boolean | string> = {
  'frontend.rps': 20_000,
  'frontend.namespaceRPS': 20_000,
  'frontend.namespaceRPS.visibility': 2_000,
  'frontend.persistenceMaxQPS': 20_000,
  'history.rps': 20_000,
  'history.persistenceMaxQPS': 20_000,
  'matching.rps': 20_000,
  'matching.persistenceMaxQPS': 20_000,
  'system.visibilityPersistenceMaxReadQPS': 20_000,
  'system.visibilityPersistenceMaxWriteQPS': 20_000,
  // Task priority and fairness: leavers' tasks pass a sync's backlog, and each directory gets its share of dispatch.
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
};

/** Pure: the `temporal` arguments for these options. */
export function devServerArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', opts.ip ?? '127.0.0.1', '--port', String(opts.port)];
  args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch', '--log-level', 'warn', '--color', 'never');
  const namespace = opts.namespace ?? 'default';
  if (namespace !== 'default') args.push('--namespace', namespace); // 'default' always exists
  for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (opts.dbFile) {
    // WAL lets visibility reads run beside history writes; synchronous=NORMAL is still crash-safe for the process.
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  return args;
}

/**
 * Starts `temporal server start-dev` and resolves once the namespace answers and the search attributes exist. Fails
 * fast, before spawning, when either port is taken. The server cannot outlive this process (see supervised-process.ts);
 * for an orderly shutdown on SIGINT/SIGTERM a caller awaits stop() in its own signal handler, as cli/serve.ts does.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? (() => undefined);
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  await assertPortFree(opts.port, ip, 'TEMPORAL_PORT');
  await assertPortFree(opts.uiPort, ip, 'TEMPORAL_UI_PORT');
  if (opts.dbFile) fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });

  const server = spawnSupervised(opts.cliPath, devServerArgs(opts), log);
  const address = `${host}:${opts.port}`;
  try {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    const connection = await waitUntilServing({ ip, port: opts.port, address }, namespace, deadline, server.exited);
    try {
      const added = await ensureSearchAttributes(connection, namespace, opts.searchAttributes);
      if (added.length) log(`registered search attributes ${added.join(', ')} in namespace ${namespace}`);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await server.stop();
    const output = `\nTemporal dev server output (last lines):\n${server.tail.format()}`;
    throw new Error(`Temporal dev server on ${address} did not start: ${(err as Error).message}${output}`);
  }
  return {
    address,
    uiUrl: `http://${host}:${opts.uiPort}`,
    stop: () => server.stop(),
    exited: server.exited,
    lastOutput: () => server.tail.format(),
  };
}

async function waitUntilServing(
  { ip, port, address }: { ip: string; port: number; address: string },
  namespace: string,
  deadline: number,
  exited: Promise<string>,
): Promise<Connection> {
  const exit = exited.then((reason) => {
    throw new Error(`the server process ${reason}`);
  });
  exit.catch(() => undefined); // observed below by race; avoid an unhandled rejection when it never wins
  let lastError = `nothing accepted connections on ${address}`;
  // Probe TCP first: a gRPC channel that meets a refused connection backs off a whole second before retrying.
  while (Date.now() < deadline && !(await Promise.race([acceptsTcp(ip, port), exit]))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      const attempt = async () => {
        connection = await Connection.connect({ address, connectTimeout: Math.min(2_000, deadline - Date.now()) });
        await connection.withDeadline(Date.now() + 5_000, () =>
          connection!.workflowService.describeNamespace({ namespace }),
        );
        return connection;
      };
      return await Promise.race([attempt(), exit]);
    } catch (err) {
      await connection?.close().catch(() => undefined);
      if (await settlesWithin(exited, 0)) throw err;
      lastError = (err as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`not ready before the deadline (last error: ${lastError})`);
}

function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1_000 });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
