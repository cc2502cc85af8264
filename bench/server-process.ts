// bench/server-process.ts: starts a server entry as a child process, reads its CPU time, stops it and collects its stats.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface ServerProcess {
  port: number;
  /** User + system CPU seconds the child has used so far (all its threads); undefined where /proc is absent. */
  cpuSeconds: () => number | undefined;
  /** SIGTERM, then the `stats` line the child printed on its way out. */
  stop: () => Promise<Record<string, unknown>>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Servers started and not yet stopped, for a bench interrupted mid-scenario (its database server stops after them). */
const running = new Set<ServerProcess>();

/** Stops every server still running (Ctrl-C, a failure): their connections must not hold a database server open. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** utime + stime (seconds) and parent pid of one process from /proc/<pid>/stat. */
function procStat(pid: string): { ppid: number; cpu: number } | undefined {
  try {
    // Fields after the parenthesised command name: ppid is the 2nd, utime and stime the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU seconds of the server and of its direct children (the members of a multi-process server), all threads. */
function procCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const own = procStat(String(pid));
  if (!own) return undefined;
  let total = own.cpu;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = procStat(entry);
    if (child?.ppid === pid) total += child.cpu;
  }
  return total;
}

/** Busy CPU seconds of the whole machine (all cores) since boot; undefined where /proc is absent. */
export function machineBusySeconds(): number | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
    return (cpu.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Runs `bench/<entry>` in its own process (the load generator keeps the other core) and waits for `ready <port>`. */
export async function startServer(
  entry: string,
  args: string[],
  profile?: { dir: string; name: string },
): Promise<ServerProcess> {
  const prof = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.name}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', ...prof, path.join(__dirname, entry), ...args], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stats: Record<string, unknown> = {};
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not become ready in 120 s`));
    }, 120_000);
    void exited.then((code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const space = line.indexOf(' ');
      const [word, rest] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
      if (word === 'ready') {
        clearTimeout(timer);
        resolve(Number(rest));
      } else if (word === 'stats') stats = JSON.parse(rest) as Record<string, unknown>;
    });
  });
  let stopping: Promise<Record<string, unknown>> | undefined;
  const server: ServerProcess = {
    port,
    cpuSeconds: () => procCpuSeconds(child.pid),
    stop: () =>
      (stopping ??= (async () => {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
        running.delete(server);
        return stats;
      })()),
  };
  running.add(server);
  return server;
}
