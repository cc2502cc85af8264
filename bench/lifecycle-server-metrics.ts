// bench/lifecycle-server-metrics.ts: the Temporal dev server's own Prometheus metrics, diffed per phase (where the server waits).
import fs from 'node:fs';
import { round } from './lifecycle-driver';

/** TCP ports `pid` listens on, from its socket inodes and /proc/<pid>/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9] ?? '')) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports];
}

/** The dev server picks a random metrics port unless told; we find it among its listening ports. */
export async function findMetricsUrl(pid: number | undefined): Promise<string | undefined> {
  if (pid === undefined) return undefined;
  for (const port of listeningPorts(pid)) {
    const url = `http://127.0.0.1:${port}/metrics`;
    const text = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
    if (text.includes('# TYPE')) return url;
  }
  return undefined;
}

/** metric name → label value → summed sample value. */
type Sums = Record<string, Record<string, number>>;

const WANTED: [metric: string, labels: string[]][] = [
  ['persistence_requests', ['operation']],
  ['persistence_latency_sum', ['operation']],
  ['task_latency_queue_sum', ['task_type']],
  ['task_latency_queue_count', ['task_type']],
  // partition is __normal__ or __sticky__ here: sticky tasks go to the worker that has the workflow cached.
  ['task_schedule_to_start_latency_sum', ['task_type', 'partition']],
  ['task_schedule_to_start_latency_count', ['task_type', 'partition']],
  ['syncmatch_latency_count', ['task_type']],
  ['asyncmatch_latency_count', ['task_type']],
];

export async function scrape(url: string | undefined): Promise<Sums | undefined> {
  if (!url) return undefined;
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.text(),
    () => '',
  );
  const sums: Sums = {};
  for (const line of text.split('\n')) {
    const brace = line.indexOf('{');
    if (brace < 0) continue;
    const wanted = WANTED.find(([metric]) => line.slice(0, brace) === metric);
    if (!wanted) continue;
    const label = wanted[1].map((name) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '?').join('/');
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const bucket = (sums[wanted[0]] ??= {});
    bucket[label] = (bucket[label] ?? 0) + value;
  }
  return sums;
}

export interface ServerProfile {
  /** Persistence calls per operation: count and mean latency (ms, includes waiting for SQLite's single connection). */
  persistence: { operation: string; calls: number; meanMs: number; totalSeconds: number }[];
  /** History service queues (transfer/visibility/timer tasks): mean ms a task waited before processing. */
  historyTaskQueueMs: Record<string, { tasks: number; meanQueueMs: number }>;
  /** Mean schedule-to-start per task type / queue kind (normal or sticky), as the history service saw it. */
  scheduleToStart: Record<string, { tasks: number; meanMs: number }>;
  /** Matching: tasks handed to a waiting poll at once (sync) vs written to the backlog and read back (async). */
  matches: Record<string, { sync: number; fromBacklog: number }>;
}

export function profileBetween(before: Sums | undefined, after: Sums | undefined): ServerProfile | undefined {
  if (!before || !after) return undefined;
  const d = (metric: string, label: string) => (after[metric]?.[label] ?? 0) - (before[metric]?.[label] ?? 0);
  const labels = (metric: string) => Object.keys(after[metric] ?? {});
  const persistence = labels('persistence_requests')
    .map((op) => {
      const calls = d('persistence_requests', op);
      const seconds = d('persistence_latency_sum', op);
      return {
        operation: op,
        calls,
        meanMs: calls ? round((1000 * seconds) / calls, 2) : 0,
        totalSeconds: round(seconds, 1),
      };
    })
    .filter((p) => p.calls > 0)
    .sort((a, b) => b.totalSeconds - a.totalSeconds)
    .slice(0, 12);
  const historyTaskQueueMs = Object.fromEntries(
    labels('task_latency_queue_count')
      .map((t) => [t, d('task_latency_queue_count', t), d('task_latency_queue_sum', t)] as const)
      .filter(([, n]) => n > 0)
      .map(([t, n, s]) => [t, { tasks: n, meanQueueMs: round((1000 * s) / n, 1) }]),
  );
  const scheduleToStart = Object.fromEntries(
    labels('task_schedule_to_start_latency_count')
      .map(
        (t) => [t, d('task_schedule_to_start_latency_count', t), d('task_schedule_to_start_latency_sum', t)] as const,
      )
      .filter(([, n]) => n > 0)
      .map(([t, n, s]) => [t, { tasks: n, meanMs: round((1000 * s) / n, 1) }]),
  );
  const matches = Object.fromEntries(
    [...new Set([...labels('syncmatch_latency_count'), ...labels('asyncmatch_latency_count')])].map((t) => [
      t,
      { sync: d('syncmatch_latency_count', t), fromBacklog: d('asyncmatch_latency_count', t) },
    ]),
  );
  return { persistence, historyTaskQueueMs, scheduleToStart, matches };
}
