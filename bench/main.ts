// bench/main.ts: `npm run bench`: SCIM endpoint throughput/latency per scenario; prints a table and saves JSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { LoadResult } from './load';
import { runLoad } from './load';
import type { Scenario } from './scenarios';
import { distinctLimit, SCENARIOS } from './scenarios';
import type { SeedMeta } from './seed';
import { cacheDir, ensureSeed } from './seed';

const POKE_NOTE = 'poke: counted, Temporal not involved';

interface Options {
  only: string[];
  users: number;
  pool: number;
  duration: number;
  warmup: number;
  connections: number;
  synchronous: 'NORMAL' | 'FULL';
  analyze: boolean;
  profileDir?: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      users: { type: 'string', default: '100000' },
      pool: { type: 'string', default: '50000' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      synchronous: { type: 'string', default: 'NORMAL' },
      profile: { type: 'boolean', default: false },
      analyze: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const names = SCENARIOS.map((s) => s.name);
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : names;
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${names.join(', ')}`);
  if (values.synchronous !== 'NORMAL' && values.synchronous !== 'FULL') throw new Error('--synchronous is NORMAL or FULL');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    only,
    users: int('users', values.users, 1),
    pool: int('pool', values.pool, 1),
    duration: int('duration', values.duration, 1),
    warmup: int('warmup', values.warmup, 0),
    connections: int('connections', values.connections, 1),
    synchronous: values.synchronous,
    analyze: values.analyze,
    profileDir: values.profile ? path.join(cacheDir(), 'profiles', stamp) : undefined,
  };
}

interface Child {
  port: number;
  stop: () => Promise<Record<string, unknown>>;
}

/** Starts a server entry in its own process (the load generator keeps the other core) and waits for `ready <port>`. */
async function startChild(entry: string, args: string[], profile?: { dir: string; name: string }): Promise<Child> {
  const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.name}.cpuprofile`] : [];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', ...prof, path.join(__dirname, entry), ...args], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stats: Record<string, unknown> = {};
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not become ready in 120 s`)), 120_000);
    void exited.then((code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, rest] = [line.split(' ', 1)[0], line.slice(line.indexOf(' ') + 1)];
      if (word === 'ready') {
        clearTimeout(timer);
        resolve(Number(rest));
      } else if (word === 'stats') stats = JSON.parse(rest) as Record<string, unknown>;
    });
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      return stats;
    },
  };
}

function withDb<T>(file: string, readonly: boolean, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const countEvents = (file: string) =>
  withDb(file, true, (db) => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events').get()!.n);

interface ScenarioReport {
  name: string;
  what: string;
  target?: string;
  verdict: string;
  result: LoadResult;
  notes: string[];
  childStats: Record<string, unknown>;
  profile?: string;
}

function verdictOf(s: Scenario, r: LoadResult): string {
  if (!s.target) return '—';
  const misses: string[] = [];
  if (r.errors > 0 || r.non2xx > 0) misses.push('errors');
  if (s.target.minReqPerSec !== undefined && r.reqPerSec < s.target.minReqPerSec) misses.push('req/s');
  if (s.target.maxP99Ms !== undefined && r.p99Ms > s.target.maxP99Ms) misses.push('p99');
  return misses.length === 0 ? 'PASS' : `MISS (${misses.join(', ')})`;
}

async function runScenario(s: Scenario, seed: SeedMeta, opts: Options, workDir: string, baseEvents: number): Promise<ScenarioReport> {
  const file = path.join(workDir, `${s.name}.sqlite`);
  fs.copyFileSync(seed.file, file); // a fresh copy per scenario: no run sees another's writes
  // Experiment switch: query-planner statistics, as `PRAGMA optimize` would gather them in production.
  if (opts.analyze) withDb(file, false, (db) => db.exec('ANALYZE'));
  const args = s.server === 'ceiling' ? ['--directory', seed.directoryId] : ['--synchronous', opts.synchronous];
  const profile = opts.profileDir ? { dir: opts.profileDir, name: s.name } : undefined;
  const child = await startChild(`${s.server}-server.ts`, ['--db', file, ...args], profile);
  const notes: string[] = [];
  let result: LoadResult;
  let childStats: Record<string, unknown>;
  try {
    const url = `http://127.0.0.1:${child.port}`;
    const headers = { authorization: `Bearer ${seed.token}`, 'content-type': 'application/scim+json' };
    const gen = s.requests(seed);
    const first = gen.next();
    const res = await fetch(`${url}${first.path}`, { method: first.method, headers, body: first.body });
    const text = await res.text();
    const ok = res.status === s.expect.status && (!s.expect.body || s.expect.body(JSON.parse(text) as Record<string, unknown>));
    if (!ok) throw new Error(`${s.name}: preflight ${first.method} ${first.path} → ${res.status} ${text.slice(0, 300)}`);
    const load = { url, connections: opts.connections, headers, next: gen.next };
    if (opts.warmup > 0) await runLoad({ ...load, durationSeconds: opts.warmup });
    result = await runLoad({ ...load, durationSeconds: opts.duration });
    if (result.requests === 0) notes.push(`no answer within ${opts.duration} s: every request took longer`);
    const limit = distinctLimit(s.name, seed);
    if (limit !== undefined && gen.used() > limit) notes.push(`targets wrapped after ${limit}: later requests were no-ops`);
  } finally {
    childStats = await child.stop();
  }
  if (s.writes) notes.push(`+${countEvents(file) - baseEvents} events, ${String(childStats.pokedEvents)} poked`);
  if (childStats.serverErrors) notes.push(`${String(childStats.serverErrors)} server errors`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
  return {
    name: s.name,
    what: s.what,
    target: s.target?.label,
    verdict: verdictOf(s, result),
    result,
    notes,
    childStats,
    profile: profile ? path.join(profile.dir, `${profile.name}.cpuprofile`) : undefined,
  };
}

function printTable(reports: ScenarioReport[]): void {
  const rows = [
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'err/non-2xx', 'target', 'verdict', 'notes'],
    ...reports.map((r) => [
      r.name,
      r.result.reqPerSec.toFixed(0),
      r.result.requests === 0 ? `>${Math.round(r.result.seconds * 1000)}` : r.result.p50Ms.toFixed(1),
      r.result.requests === 0 ? `>${Math.round(r.result.seconds * 1000)}` : r.result.p99Ms.toFixed(1),
      `${r.result.errors}/${r.result.non2xx}`,
      r.target ?? '—',
      r.verdict,
      r.notes.join('; '),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const opts = parseOptions();
  const log = (msg: string) => console.log(msg);
  const seed = await ensureSeed(opts.users, opts.pool, log);
  const baseEvents = countEvents(seed.file);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-bench-'));
  log(`${os.cpus().length} cores, node ${process.version}; ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s per scenario; ${POKE_NOTE}`);
  const reports: ScenarioReport[] = [];
  try {
    for (const s of SCENARIOS.filter((sc) => opts.only.includes(sc.name))) {
      log(`running ${s.name}: ${s.what}`);
      reports.push(await runScenario(s, seed, opts, workDir, baseEvents));
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  console.log('');
  printTable(reports);
  const analyzed = opts.analyze ? ' (ANALYZE run on each copy)' : '';
  console.log(`\n${POKE_NOTE}; dataset ${opts.users} users in one group + ${opts.pool} non-members; SQLite synchronous=${opts.synchronous}${analyzed}`);
  if (opts.profileDir) console.log(`CPU profiles of the server processes: ${opts.profileDir}`);

  const out = {
    startedAt,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: process.platform },
    options: { ...opts, only: opts.only },
    dataset: { users: seed.users, pool: seed.pool, seedSeconds: seed.seedSeconds, file: seed.file },
    poke: POKE_NOTE,
    scenarios: reports,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `scim-${startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'latest-scim.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`saved ${path.relative(process.cwd(), file)} and bench/results/latest-scim.json`);
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
