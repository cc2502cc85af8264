// runtime/dev-server.ts: run the Temporal CLI dev server as a child process, wait until it serves, stop it for sure.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree } from './ports';
import { forEachLine, OutputTail } from './process-output';
import type { SearchAttributeTypeName } from './search-attributes';
import { ensureSearchAttributes } from './search-attributes';

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
}

/**
 * The CLI already lifts visibility RPS (to 100) and the history cache for local use. The other limits keep the server's
 * defaults, which are sized for one host of a shared cluster (frontend 2400 RPS per namespace, matching 1200 RPS,
 * frontend persistence 2000 QPS). On a single-user local server a burst of signal-with-starts (a bulk IdP sync, the
 * bench) would hit those throttles ("namespace rate limit exceeded") long before the CPU is busy, so lift them.
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
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  return args;
}

/**
 * Runs the server under a small sh wrapper whose stdin is a pipe from this process: if this process dies in any way
 * (even SIGKILL), the pipe closes and the wrapper stops the server, so no server is left holding the ports. The wrapper
 * leads its own process group, which stop() signals as a whole.
 */
const WATCHDOG = `
exec 3<&0 0</dev/null
"$@" 3<&- &
server=$!
( read -r _ <&3; kill -TERM "$server" 2>/dev/null; sleep 10; kill -KILL "$server" 2>/dev/null ) &
watcher=$!
exec 3<&-
trap 'kill -TERM "$server" 2>/dev/null' TERM INT HUP
wait "$server"; code=$?
while kill -0 "$server" 2>/dev/null; do wait "$server"; code=$?; done
kill "$watcher" 2>/dev/null
exit "$code"
`;

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? (() => undefined);
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  await assertPortFree(opts.port, ip, 'TEMPORAL_PORT');
  await assertPortFree(opts.uiPort, ip, 'TEMPORAL_UI_PORT');
  if (opts.dbFile) fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });

  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'temporal-dev-server', opts.cliPath, ...devServerArgs(opts)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tail = new OutputTail();
  let stopping: Promise<void> | undefined;
  const onLine = (line: string) => {
    tail.push(line);
    if (!stopping) log(line); // a stopping server warns about every poll it cuts short: noise, not news
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  let exitReason: string | undefined;
  void exited.then((reason) => (exitReason = reason));
  // Last resort for a parent that exits without calling stop() (process.exit, an uncaught error).
  const onParentExit = () => signalGroup(child, 'SIGTERM');
  process.once('exit', onParentExit);

  const stop = () => {
    stopping ??= (async () => {
      if (!exitReason) signalGroup(child, 'SIGTERM');
      if (!(await settlesWithin(exited, 10_000))) {
        signalGroup(child, 'SIGKILL');
        await settlesWithin(exited, 5_000);
      }
      process.removeListener('exit', onParentExit);
      child.stdin?.destroy();
    })();
    return stopping;
  };

  const address = `${host}:${opts.port}`;
  try {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    const connection = await waitUntilServing(address, namespace, deadline, exited);
    try {
      const added = await ensureSearchAttributes(connection, namespace, opts.searchAttributes);
      if (added.length) log(`registered search attributes ${added.join(', ')} in namespace ${namespace}`);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    const output = `\nTemporal dev server output (last lines):\n${tail.format()}`;
    throw new Error(`Temporal dev server on ${address} did not start: ${(err as Error).message}${output}`);
  }
  return { address, uiUrl: `http://${host}:${opts.uiPort}`, stop };
}

async function waitUntilServing(address: string, namespace: string, deadline: number, exited: Promise<string>) {
  const exit = exited.then((reason) => {
    throw new Error(`the server process ${reason}`);
  });
  exit.catch(() => undefined); // observed below by race; avoid an unhandled rejection when it never wins
  let lastError = 'no attempt finished';
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      const attempt = async () => {
        connection = await Connection.connect({ address, connectTimeout: Math.min(2_000, deadline - Date.now()) });
        await connection.withDeadline(Date.now() + 5_000, () => connection!.workflowService.describeNamespace({ namespace }));
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

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}
