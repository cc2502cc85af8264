// bench/bench-members.ts: runs a benchmark server entry as one process or as --processes members sharing its port.
import cluster from 'node:cluster';
import {
  removeWriterSocket,
  WRITER_SOCKET_ENV,
  writerSocketFromEnv,
  createWriterSocketPath,
} from '../api/forward-writes';
import {
  announceReady,
  answerAsks,
  memberIndex,
  onMemberShutdown,
  startProcessCluster,
} from '../runtime/process-cluster';

/** Counters (summed over members) and notes such as a last error (one member's kept). */
export type Stats = { [key: string]: number | string | undefined | Stats };

export interface BenchMember {
  index: number;
  writerSocket: string;
}

export interface BenchServer {
  port: number;
  stats(): Promise<Stats>;
  /** Closes what `start` opened (the process exits right after). */
  close(): Promise<void>;
}

/**
 * Prints `ready <port>` once serving and `stats <json>` on SIGTERM (bench/server-process.ts reads both). With
 * `processes` > 1 this process is the primary: it forks `entry` that many times through the same cluster module the
 * API uses, and its stats are the members' stats summed. `start(member)`: as in production (cli/api-server.ts),
 * member 0 runs the process-wide jobs (the checkpoint thread) and, on SQLite, is the writer the others relay writes to
 * (on PostgreSQL every member writes itself).
 */
export async function serveBench(
  entry: string,
  processes: number,
  start: (member?: BenchMember) => Promise<BenchServer>,
): Promise<void> {
  if (processes > 1 && cluster.isPrimary) {
    const writerSocket = createWriterSocketPath();
    const members = await startProcessCluster({
      module: entry,
      processes,
      args: process.argv.slice(2),
      env: { [WRITER_SOCKET_ENV]: writerSocket },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`ready ${String(members.ready[0])}\n`);
    onStop(async () => {
      const all = await members.ask<Stats>('stats');
      await members.stop();
      removeWriterSocket(writerSocket);
      return all.reduce(addStats, {});
    });
    return;
  }
  const index = memberIndex();
  const server = await start(index === undefined ? undefined : { index, writerSocket: writerSocketFromEnv() });
  if (index === undefined) {
    process.stdout.write(`ready ${server.port}\n`);
    onStop(async () => {
      const stats = await server.stats();
      await server.close();
      return stats;
    });
    return;
  }
  answerAsks({ stats: () => server.stats() });
  onMemberShutdown(() => server.close());
  announceReady(server.port);
}

/** SIGTERM/SIGINT: print the stats line, then exit through process.exit (so --cpu-prof can write its profile). */
function onStop(collect: () => Promise<Stats>): void {
  const stop = () =>
    void collect().then((stats) => {
      process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
      process.exit(0);
    });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function addStats(a: Stats, b: Stats): Stats {
  const out: Stats = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const before = out[key];
    if (typeof value === 'number') out[key] = (typeof before === 'number' ? before : 0) + value;
    else if (typeof value === 'object') out[key] = addStats(typeof before === 'object' ? before : {}, value);
    else if (value !== undefined) out[key] = value;
  }
  return out;
}
