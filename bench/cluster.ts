// bench/cluster.ts (`npm run bench:cluster`, not CI): scimflow as it runs beyond `npm start` — `scimflow api` with 2 API
// processes and 2 `scimflow worker` processes — first against the Temporal dev server, then against a real Temporal
// server on PostgreSQL (bench/cluster-temporal.ts), the same hour, same load: an initial sync (identities converged/s)
// and a 1,000-leaver burst (time to verified revocation). Prints a table, saves JSON in bench/results/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../runtime/dev-server';
import { findFreePort } from '../runtime/ports';
import { ensureTemporalCli } from '../runtime/temporal-cli';
import { openDatabase } from '../store/db';
import type { Stores } from '../store';
import { createStores } from '../store';
import { openPgStores } from '../store/pg';
import { startPostgres } from '../testkit/postgres-server';
import type { BenchReader } from './bench-reader';
import { pgReader, sqliteReader } from './bench-reader';
import { BENCH_PG_SETTINGS } from './postgres-store';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contracts';
import { startTemporalCluster, TEMPORAL_SERVER_VERSION } from './cluster-temporal';
import { startDownstreamApps } from './lifecycle-apps';
import type { NodeChild } from './lifecycle-procs';
import { cpuOf, startNodeChild } from './lifecycle-procs';
import type { BurstResult, PhaseContext, SyncResult } from './lifecycle-phases';
import { runBurst, runInitialSync } from './lifecycle-phases';
import { describeMachine } from './lifecycle-setup';

const ROOT = path.join(__dirname, '..');
type ServerKind = 'dev' | 'cluster';
type StoreKind = 'sqlite' | 'postgres';

interface Options {
  users: number;
  leavers: number;
  apiProcesses: number;
  workers: number;
  concurrency: number;
  servers: ServerKind[];
  store: StoreKind;
  log: (line: string) => void;
}

type Role = 'temporal' | 'postgres' | 'api' | 'workers' | 'app' | 'driver';

interface ServerRun {
  server: ServerKind;
  store: StoreKind;
  temporal: string;
  sync: SyncResult;
  burst: BurstResult;
  /** CPU per role during each phase, in % of one core (the machine has `cpus` cores). */
  cpu: { sync: Partial<Record<Role, number>>; burst: Partial<Record<Role, number>> };
  /** The workers' Temporal SDK counters during each phase (summed over workers and labels). */
  sdk: { sync: Record<string, number>; burst: Record<string, number> };
}

/** Temporal SDK series worth comparing between servers: cache misses mean whole-history replays. */
const SDK_SERIES = [
  'temporal_sticky_cache_hit',
  'temporal_sticky_cache_miss',
  'temporal_sticky_cache_total_forced_eviction',
  'temporal_workflow_task_replay_latency_count',
  'temporal_workflow_task_execution_failed',
  'temporal_workflow_task_schedule_to_start_latency_sum',
  'temporal_workflow_task_schedule_to_start_latency_count',
  'temporal_local_activity_total',
];

/** Each SDK series summed over the workers' scrapes (their /metrics on METRICS_PORT). */
async function sdkCounters(ports: number[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const port of ports) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    for (const line of text.split('\n')) {
      const name = line.split(/[{ ]/)[0]!;
      if (SDK_SERIES.includes(name)) totals[name] = (totals[name] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return totals;
}

const delta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(SDK_SERIES.filter((k) => k in b).map((k) => [k, Math.round((b[k]! - (a[k] ?? 0)) * 100) / 100]));

const readProc = (pid: string, file: string) => {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
};

/** Pids of this bench's processes by role, found in /proc: argv, the bench mark in the environment, or the name. */
function pidsByRole(mark: string, temporalMatch: (argv: string[]) => boolean): Record<Role, number[]> {
  const out: Record<Role, number[]> = {
    temporal: [],
    postgres: [],
    api: [],
    workers: [],
    app: [],
    driver: [process.pid],
  };
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const argv = readProc(pid, 'cmdline').split('\0');
    const comm = readProc(pid, 'comm').trim();
    if (argv[0] !== process.execPath) {
      if (comm === 'postgres') out.postgres.push(Number(pid));
      else if (temporalMatch(argv)) out.temporal.push(Number(pid));
      continue;
    }
    const env = readProc(pid, 'environ');
    if (env.includes(`SCIMFLOW_BENCH_MARK=${mark}-worker`)) out.workers.push(Number(pid));
    else if (env.includes(`SCIMFLOW_BENCH_MARK=${mark}-api`)) out.api.push(Number(pid));
    else if (argv.some((a) => a.endsWith('limited-scim-app-main.ts'))) out.app.push(Number(pid));
  }
  return out;
}

/** Starts counting; the returned function gives each role's CPU since then in % of one core. */
function cpuMeter(pids: () => Record<Role, number[]>): () => Partial<Record<Role, number>> {
  const roles = pids();
  const total = (list: number[]) => list.reduce((sum, pid) => sum + (cpuOf(pid)?.total ?? 0), 0);
  const before = Object.fromEntries(Object.entries(roles).map(([r, list]) => [r, total(list)]));
  const t0 = Date.now();
  return () => {
    const wall = (Date.now() - t0) / 1000;
    const out: Partial<Record<Role, number>> = {};
    for (const [role, list] of Object.entries(roles) as [Role, number[]][])
      if (list.length > 0) out[role] = Math.round((100 * (total(list) - before[role]!)) / wall);
    return out;
  };
}

async function startTemporal(kind: ServerKind, dataDir: string, cliPath: string, log: (l: string) => void) {
  if (kind === 'cluster') return startTemporalCluster({ log, cliPath });
  const [port, uiPort] = [await findFreePort(), await findFreePort()];
  const server = await startDevServer({
    cliPath,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    port,
    uiPort,
    searchAttributes: SEARCH_ATTRIBUTE_TYPES,
    log: (line) => log(`[temporal] ${line}`),
  });
  return { address: server.address, stop: () => server.stop() };
}

async function runOne(kind: ServerKind, o: Options, cliPath: string): Promise<ServerRun> {
  const cleanups: (() => Promise<void>)[] = [];
  const log = o.log;
  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cluster-bench-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const apps = await startDownstreamApps('limited', { latencyMs: 0, groups: true }, log);
    cleanups.push(() => apps.stop());
    const store = await openBenchStore(o.store, dataDir, log);
    cleanups.push(() => store.stop());
    const { stores } = store;
    const { directory, token } = await stores.directories.create({ name: 'bench', dialect: 'generic' });
    for (const a of apps.apps)
      await stores.directories.addApp({
        directoryId: directory.id,
        name: a.name,
        type: a.type,
        config: { deprovision: 'disable', ...a.config },
      });
    await store.closeSeed();

    const temporal = await startTemporal(kind, dataDir, cliPath, log);
    cleanups.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const apiPort = await findFreePort();
    const env = { DATA_DIR: dataDir, TEMPORAL_ADDRESS: temporal.address, LOG_FORMAT: 'json', ...store.env };
    const mark = crypto.randomUUID();
    const child = async (args: string[], extra: Record<string, string>, ready: RegExp, tag: string) => {
      const c: NodeChild = await startNodeChild({
        args: [path.join(ROOT, 'bin', 'scimflow.js'), ...args],
        env: { ...env, ...extra },
        mark: `${mark}-${tag}`,
        ready,
        log: (line) => /"level":(50|60)/.test(line) && log(`[${tag}] ${line.slice(0, 300)}`),
      });
      cleanups.push(() => c.stop());
      return c;
    };
    // Workers first: they register the search attributes the API's workflow starts use.
    const metricsPorts: number[] = [];
    for (let i = 0; i < o.workers; i++) {
      metricsPorts.push(await findFreePort());
      await child(['worker'], { METRICS_PORT: String(metricsPorts[i]) }, /worker polling/, `worker-${i}`);
    }
    const sdk = () => sdkCounters(metricsPorts);
    await child(
      ['api'],
      { HOST: '127.0.0.1', PORT: String(apiPort), API_PROCESSES: String(o.apiProcesses) },
      /API listening/,
      'api',
    );
    const read = await store.reader();
    const ctx: PhaseContext = {
      client: new Client({ connection }),
      read,
      target: { baseUrl: `http://127.0.0.1:${apiPort}`, directoryId: directory.id, token },
      concurrency: o.concurrency,
      log,
      measured: (_phase, fn) => fn(),
    };
    const temporalMatch = (argv: string[]) =>
      kind === 'cluster'
        ? argv[0]?.endsWith('/server') === true
        : argv.includes('start-dev') && argv.includes(dataDir + '/temporal.sqlite');
    const pids = () => pidsByRole(mark, temporalMatch);
    log(`[${kind}] initial sync of ${o.users} users…`);
    const syncCpu = cpuMeter(pids);
    const sdk0 = await sdk();
    const { ids, result: sync } = await runInitialSync(ctx, o.users, 1_800_000);
    const cpuSync = syncCpu();
    const sdk1 = await sdk();
    log(`[${kind}] ${sync.converged} converged in ${sync.seconds} s: ${sync.convergedPerSecond}/s`);
    log(`[${kind}] burst of ${o.leavers} leavers…`);
    const burstCpu = cpuMeter(pids);
    const burst = await runBurst(ctx, ids.slice(0, o.leavers), 1_800_000);
    const cpuBurst = burstCpu();
    const sdk2 = await sdk();
    log(`[${kind}] burst: last verified revocation after ${burst.seconds} s, p99 ${burst.p99Ms} ms`);
    return {
      server: kind,
      store: o.store,
      temporal:
        kind === 'cluster'
          ? `temporal server ${TEMPORAL_SERVER_VERSION}, PostgreSQL 15, 8 history shards`
          : 'temporal server start-dev (SQLite file)',
      sync,
      burst,
      cpu: { sync: cpuSync, burst: cpuBurst },
      sdk: { sync: delta(sdk0, sdk1), burst: delta(sdk1, sdk2) },
    };
  } finally {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: Error) => log(`cleanup: ${e.message}`));
  }
}

function table(runs: ServerRun[]): string {
  const rows = [
    ['', ...runs.map((r) => `${r.server} (${r.store})`)],
    ['POST req/s (initial sync)', ...runs.map((r) => String(r.sync.post.perSecond))],
    ['identities converged/s', ...runs.map((r) => String(r.sync.convergedPerSecond))],
    ['initial sync converged (s)', ...runs.map((r) => String(r.sync.seconds))],
    ['burst: last revocation (s)', ...runs.map((r) => String(r.burst.seconds ?? 'unfinished'))],
    ['burst: time to revoke p50 (ms)', ...runs.map((r) => String(r.burst.p50Ms))],
    ['burst: time to revoke p99 (ms)', ...runs.map((r) => String(r.burst.p99Ms))],
    ['burst: missing revocations', ...runs.map((r) => String(r.burst.missing))],
    ...SDK_SERIES.map((name) => [
      `SDK sync/burst: ${name.replace('temporal_', '')}`,
      ...runs.map((r) => `${r.sdk.sync[name] ?? '-'} / ${r.sdk.burst[name] ?? '-'}`),
    ]),
    ...(['temporal', 'postgres', 'api', 'workers', 'app', 'driver'] as const).map((role) => [
      `CPU % of a core, sync/burst: ${role}`,
      ...runs.map((r) => `${r.cpu.sync[role] ?? '-'} / ${r.cpu.burst[role] ?? '-'}`),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '3000' },
      leavers: { type: 'string', default: '1000' },
      'api-processes': { type: 'string', default: '2' },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '32' },
      servers: { type: 'string', default: 'dev,cluster' },
      store: { type: 'string', default: 'sqlite' },
    },
  });
  const int = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const servers = String(values.servers).split(',') as ServerKind[];
  if (servers.some((s) => s !== 'dev' && s !== 'cluster')) throw new Error('--servers: dev, cluster or both');
  const store = String(values.store);
  if (store !== 'sqlite' && store !== 'postgres') throw new Error('--store: sqlite or postgres');
  const o: Options = {
    users: int(values.users, 'users'),
    leavers: int(values.leavers, 'leavers'),
    apiProcesses: int(values['api-processes'], 'api-processes'),
    workers: int(values.workers, 'workers'),
    concurrency: int(values.concurrency, 'concurrency'),
    servers,
    store,
    log: (line) => console.log(line),
  };
  if (o.leavers > o.users) throw new Error('--leavers cannot exceed --users');
  const startedAt = new Date().toISOString();
  const cliPath = await ensureTemporalCli({ log: o.log });
  const runs: ServerRun[] = [];
  for (const kind of servers) runs.push(await runOne(kind, o, cliPath));
  const result = {
    startedAt,
    machine: describeMachine(),
    setup: {
      directories: 1,
      apps: ['app-local (built in)', 'app-limited (SCIM over HTTP, its own process)'],
      apiProcesses: o.apiProcesses,
      workers: o.workers,
      loadGenerator: `1 process, ${o.concurrency} requests in flight`,
      store:
        o.store === 'sqlite'
          ? 'SQLite (one file, WAL), shared by the API and worker processes on this host'
          : 'PostgreSQL 15 of its own on this host (DATABASE_URL), every API process writing',
      users: o.users,
      leavers: o.leavers,
    },
    runs,
  };
  console.log(`\n${table(runs)}\n`);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  fs.writeFileSync(path.join(dir, `cluster-${startedAt.replace(/[:.]/g, '-')}.json`), json);
  fs.writeFileSync(path.join(dir, 'latest-cluster.json'), json);
}

interface BenchStore {
  stores: Stores;
  /** What the scimflow processes need to open the same store. */
  env: Record<string, string>;
  /** Closes the seeding connection (the processes open their own). */
  closeSeed(): Promise<void>;
  /** A read-only view for the phases' polls. */
  reader(): Promise<BenchReader>;
  stop(): Promise<void>;
}

/** The store the run's scimflow processes share: a SQLite file in `dataDir`, or a PostgreSQL server of its own. */
async function openBenchStore(kind: StoreKind, dataDir: string, log: (l: string) => void): Promise<BenchStore> {
  if (kind === 'sqlite') {
    const file = path.join(dataDir, 'scimflow.sqlite');
    const seedDb = await openDatabase({ file, synchronous: 'NORMAL' });
    let db: Database.Database | undefined;
    return {
      stores: createStores(seedDb),
      env: {},
      closeSeed: async () => void seedDb.close(),
      reader: async () => {
        db = new Database(file, { fileMustExist: true });
        db.pragma('query_only = ON');
        return sqliteReader(db);
      },
      stop: async () => void db?.close(),
    };
  }
  const server = await startPostgres({ port: await findFreePort(), settings: BENCH_PG_SETTINGS });
  const url = await server.createDatabase('scimflow');
  log(`scimflow's store: PostgreSQL 15 at ${url}`);
  const secretKeys = crypto.randomBytes(32).toString('base64');
  const stores = await openPgStores(url, { secretKeys });
  let reader: Awaited<ReturnType<typeof pgReader>> | undefined;
  return {
    stores,
    env: { DATABASE_URL: url, SCIMFLOW_SECRET_KEYS: secretKeys },
    closeSeed: () => stores.close(),
    reader: async () => (reader = await pgReader(url)),
    stop: async () => {
      await reader?.close();
      await server.stop();
    },
  };
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
