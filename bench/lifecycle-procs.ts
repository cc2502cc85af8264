// bench/lifecycle-procs.ts: supervised node children for the lifecycle bench, and CPU accounting read from /proc.
import fs from 'node:fs';
import { spawnSupervised } from '../runtime/supervised-process';
import type { SupervisedProcess } from '../runtime/supervised-process';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface NodeChild {
  /** The node process itself (not the sh watchdog around it); undefined where /proc is absent. */
  pid: number | undefined;
  process: SupervisedProcess;
  stop(): Promise<void>;
}

/**
 * Runs `node <args>` under the sh watchdog of runtime/supervised-process.ts, so the child dies with this process even on
 * SIGKILL. The environment is passed through `env` (the watchdog inherits ours); `mark` tags it so /proc finds its pid.
 */
export async function startNodeChild(opts: {
  args: string[];
  env: Record<string, string>;
  mark: string;
  ready: RegExp;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<NodeChild & { readyLine: string }> {
  let onReady: ((line: string) => void) | undefined;
  const readyLine = new Promise<string>((resolve) => (onReady = resolve));
  const envArgs = Object.entries({ ...opts.env, SCIMFLOW_BENCH_MARK: opts.mark }).map(([k, v]) => `${k}=${v}`);
  const child = spawnSupervised('env', [...envArgs, process.execPath, ...opts.args], (line) => {
    if (opts.ready.test(line)) onReady?.(line);
    opts.log(line);
  });
  const stop = () => child.stop(20_000);
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      readyLine,
      child.exited.then((how) =>
        Promise.reject(new Error(`child ${opts.args.join(' ')} ${how}:\n${child.tail.format()}`)),
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`child ${opts.args.join(' ')} not ready in time`)),
          opts.readyTimeoutMs ?? 180_000,
        );
      }),
    ]);
    return {
      pid: findPid(
        (argv, environ) => argv[0] === process.execPath && environ.includes(`SCIMFLOW_BENCH_MARK=${opts.mark}`),
      ),
      process: child,
      stop,
      readyLine: line,
    };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function readNul(file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\0')
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** The first process whose argv/environment match (our own children only: we never signal what this finds). */
export function findPid(match: (argv: string[], environ: string[]) => boolean): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const argv = readNul(`/proc/${name}/cmdline`);
    if (argv.length > 0 && match(argv, readNul(`/proc/${name}/environ`))) return Number(name);
  }
  return undefined;
}

/** The Temporal dev server binary listening on `port` (the sh watchdog's argv has the same words, not the same argv[0]). */
export function findDevServerPid(cliPath: string, port: number): number | undefined {
  return findPid(
    (argv) => argv[0] === cliPath && argv.includes('start-dev') && argv[argv.indexOf('--port') + 1] === String(port),
  );
}

function statCpu(file: string): { comm: string; seconds: number } | undefined {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5): the 12th and 13th after the command name.
    return {
      comm: stat.slice(stat.indexOf('(') + 1, close),
      seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  total: number;
  /** Per thread name (threads of one name summed); threads that already ended count only in `total`. */
  threads: Record<string, number>;
}

export function cpuOf(pid: number | undefined): CpuSnapshot | undefined {
  if (pid === undefined) return undefined;
  const proc = statCpu(`/proc/${pid}/stat`);
  if (!proc) return undefined;
  const threads: Record<string, number> = {};
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    // process gone between the two reads
  }
  for (const tid of tids) {
    const t = statCpu(`/proc/${pid}/task/${tid}/stat`);
    if (t) threads[t.comm] = (threads[t.comm] ?? 0) + t.seconds;
  }
  return { total: proc.seconds, threads };
}

/** CPU used between two snapshots, as seconds and as % of one core over `wallSeconds`. */
export function cpuDelta(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined, wallSeconds: number) {
  if (!before || !after) return undefined;
  const round = (n: number) => Math.round(n * 100) / 100;
  const seconds = after.total - before.total;
  const threads: Record<string, { seconds: number; pctOfCore: number }> = {};
  for (const [name, s] of Object.entries(after.threads)) {
    const d = s - (before.threads[name] ?? 0);
    if (d >= 0.05) threads[name] = { seconds: round(d), pctOfCore: Math.round((100 * d) / wallSeconds) };
  }
  return { seconds: round(seconds), pctOfCore: Math.round((100 * seconds) / wallSeconds), threads };
}

export type CpuUsage = NonNullable<ReturnType<typeof cpuDelta>>;

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat; other people's work shows up here too. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
