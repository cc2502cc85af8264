// bench/run-scenario.ts: one scenario end to end: fresh database copy (SQLite file or PostgreSQL database), server
// child, serial check, warm-up, measured load.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { LoadResult, NextRequest } from './load';
import { runLoad } from './load';
import type { Scenario } from './scenarios';
import { distinctLimit } from './scenarios';
import type { SeedMeta } from './seed';
import { machineBusySeconds, startServer } from './server-process';

export const SERIAL_REQUESTS = 20;

export type StoreKind = 'sqlite' | 'postgres';

/** One run's own copy of the seeded dataset, and the server arguments that open it. */
export interface DatasetCopy {
  store: StoreKind;
  /** Either server's arguments naming the copy: `--db <file>` or `--url <database>`. */
  args: string[];
  /** The SCIM server's further arguments (SQLite: --synchronous; PostgreSQL: the directory of the key file). */
  scimArgs: string[];
  countEvents(): Promise<number>;
  remove(): Promise<void>;
}

/** Makes a fresh copy named after the scenario (one at a time: the last one is removed before the next is made). */
export type DatasetCopier = (name: string) => Promise<DatasetCopy>;

export interface RunOptions {
  duration: number;
  warmup: number;
  connections: number;
  /** Server processes sharing the port (the ceiling's too). */
  processes: number;
  synchronous: 'NORMAL' | 'FULL';
  /** Experiment switch: planner statistics on each SQLite copy, as `PRAGMA optimize` would gather them in production. */
  analyze: boolean;
  profileDir?: string;
}

/** What the SCIM server child prints on its way out (the ceiling server prints nothing of this). */
interface ChildStats {
  pokeCalls?: number;
  pokedEvents?: number;
  serverErrors?: number;
}

function withDb<T>(file: string, readonly: boolean, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
export const countEvents = (file: string) =>
  withDb(file, true, (db) => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events').get()!.n);

/** SQLite copies: the seed file copied into `workDir` (a fresh copy per scenario: no run sees another's writes). */
export function sqliteCopies(
  seed: SeedMeta,
  workDir: string,
  opts: Pick<RunOptions, 'analyze' | 'synchronous'>,
): DatasetCopier {
  return (name) => {
    const file = path.join(workDir, `${name}.sqlite`);
    fs.copyFileSync(seed.file, file);
    if (opts.analyze) withDb(file, false, (db) => db.exec('ANALYZE'));
    return Promise.resolve({
      store: 'sqlite',
      args: ['--db', file],
      scimArgs: ['--synchronous', opts.synchronous],
      countEvents: () => Promise.resolve(countEvents(file)),
      remove: () => {
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
        return Promise.resolve();
      },
    });
  };
}

export interface ScenarioReport {
  name: string;
  store: StoreKind;
  /** API (or ceiling) processes sharing the port. */
  processes: number;
  what: string;
  target?: string;
  verdict: string;
  result: LoadResult;
  /** Median of sequential requests on one connection before the load (the unloaded service time). */
  serialMedianMs: number;
  /** Requests answered during the warm-up (with the serial ones, what a CPU profile covers besides the window). */
  warmupRequests: number;
  /** Server process CPU (all threads) per answered request during the measured window. */
  serverCpuUsPerRequest?: number;
  /** Cores kept busy during the window by processes other than this benchmark (a shared machine skews results). */
  otherCores?: number;
  notes: string[];
  childStats: ChildStats;
  profile?: string;
}

function verdictOf(s: Scenario, r: LoadResult): string {
  if (!s.target) return '—';
  const misses: string[] = [];
  if (r.errors > 0 || r.non2xx > 0) misses.push('errors');
  if (s.target.minReqPerSec !== undefined && r.reqPerSec < s.target.minReqPerSec) misses.push('req/s');
  if (s.target.maxP99Ms !== undefined && (r.requests === 0 || r.p99Ms > s.target.maxP99Ms)) misses.push('p99');
  return misses.length === 0 ? 'PASS' : `MISS (${misses.join(', ')})`;
}

/** Sends requests one at a time; the first answer is checked so a wrong URL is never measured. */
async function serialRun(
  s: Scenario,
  url: string,
  headers: Record<string, string>,
  next: () => NextRequest,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SERIAL_REQUESTS; i++) {
    const req = next();
    const started = performance.now();
    const res = await fetch(`${url}${req.path}`, { method: req.method, headers, body: req.body });
    const text = await res.text();
    times.push(performance.now() - started);
    if (i > 0) continue;
    const ok =
      res.status === s.expect.status && (!s.expect.body || s.expect.body(JSON.parse(text) as Record<string, unknown>));
    if (!ok) throw new Error(`${s.name}: ${req.method} ${req.path} answered ${res.status} ${text.slice(0, 300)}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

export async function runScenario(
  s: Scenario,
  seed: SeedMeta,
  opts: RunOptions,
  copies: DatasetCopier,
  baseEvents: number,
  profileName = s.name,
): Promise<ScenarioReport> {
  const copy = await copies(s.name);
  try {
    return await runOnCopy(s, seed, opts, copy, baseEvents, profileName);
  } finally {
    await copy.remove();
  }
}

async function runOnCopy(
  s: Scenario,
  seed: SeedMeta,
  opts: RunOptions,
  copy: DatasetCopy,
  baseEvents: number,
  profileName: string,
): Promise<ScenarioReport> {
  const args = [
    ...(s.server === 'ceiling' ? ['--directory', seed.directoryId] : copy.scimArgs),
    ...['--processes', String(opts.processes)],
  ];
  const profile = opts.profileDir ? { dir: opts.profileDir, name: profileName } : undefined;
  const server = await startServer(`${s.server}-server.ts`, [...copy.args, ...args], profile);
  const notes: string[] = [];
  let result: LoadResult;
  let serialMedianMs: number;
  let warmupRequests = 0;
  let cpu: number | undefined;
  let otherCores: number | undefined;
  let childStats: ChildStats;
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const headers = { authorization: `Bearer ${seed.token}`, 'content-type': 'application/scim+json' };
    const gen = s.requests(seed);
    serialMedianMs = await serialRun(s, url, headers, gen.next);
    const load = { url, connections: opts.connections, headers, next: gen.next };
    if (opts.warmup > 0) warmupRequests = (await runLoad({ ...load, durationSeconds: opts.warmup })).requests;
    const [cpuBefore, busyBefore, selfBefore] = [server.cpuSeconds(), machineBusySeconds(), process.cpuUsage()];
    result = await runLoad({ ...load, durationSeconds: opts.duration });
    const [cpuAfter, busyAfter, self] = [server.cpuSeconds(), machineBusySeconds(), process.cpuUsage(selfBefore)];
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      if (result.requests > 0) cpu = ((cpuAfter - cpuBefore) * 1e6) / result.requests;
      if (busyBefore !== undefined && busyAfter !== undefined) {
        const ours = cpuAfter - cpuBefore + (self.user + self.system) / 1e6;
        otherCores = Math.max(0, (busyAfter - busyBefore - ours) / result.seconds);
      }
    }
    if (otherCores !== undefined && otherCores >= 0.2)
      notes.push(`busy machine: other processes used ${otherCores.toFixed(1)} cores`);
    if (result.requests === 0) notes.push(`no answer within ${opts.duration} s: every request took longer`);
    const limit = distinctLimit(s.name, seed);
    if (limit !== undefined && gen.used() > limit)
      notes.push(`targets wrapped after ${limit}: later requests were no-ops`);
  } finally {
    childStats = await server.stop();
  }
  if (s.writes)
    notes.push(`+${(await copy.countEvents()) - baseEvents} events, ${childStats.pokedEvents ?? '?'} poked`);
  if (childStats.serverErrors) notes.push(`${childStats.serverErrors} server errors`);
  const profileFile = profile && path.join(profile.dir, `${profile.name}.cpuprofile`);
  const verdict = verdictOf(s, result);
  return {
    name: s.name,
    store: copy.store,
    processes: opts.processes,
    what: s.what,
    target: s.target?.label,
    verdict,
    result,
    serialMedianMs,
    warmupRequests,
    serverCpuUsPerRequest: cpu,
    otherCores,
    notes,
    childStats,
    profile: profileFile,
  };
}
