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
import { createStores } from '../store';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contracts';
import { startTemporalCluster, TEMPORAL_SERVER_VERSION } from './cluster-temporal';
import { startDownstreamApps } from './lifecycle-apps';
import type { NodeChild } from './lifecycle-procs';
import { startNodeChild } from './lifecycle-procs';
import type { BurstResult, PhaseContext, SyncResult } from './lifecycle-phases';
import { runBurst, runInitialSync } from './lifecycle-phases';
import { describeMachine } from './lifecycle-setup';

const ROOT = path.join(__dirname, '..');
type ServerKind = 'dev' | 'cluster';

interface Options {
  users: number;
  leavers: number;
  apiProcesses: number;
  workers: number;
  concurrency: number;
  servers: ServerKind[];
  log: (line: string) => void;
}

interface ServerRun {
  server: ServerKind;
  temporal: string;
  sync: SyncResult;
  burst: BurstResult;
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
    const file = path.join(dataDir, 'scimflow.sqlite');
    const seedDb = await openDatabase({ file, synchronous: 'NORMAL' });
    const stores = createStores(seedDb);
    const { directory, token } = stores.directories.create({ name: 'bench', dialect: 'generic' });
    for (const a of apps.apps)
      stores.directories.addApp({
        directoryId: directory.id,
        name: a.name,
        type: a.type,
        config: { deprovision: 'disable', ...a.config },
      });
    seedDb.close();

    const temporal = await startTemporal(kind, dataDir, cliPath, log);
    cleanups.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const apiPort = await findFreePort();
    const env = { DATA_DIR: dataDir, TEMPORAL_ADDRESS: temporal.address, LOG_FORMAT: 'json' };
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
    for (let i = 0; i < o.workers; i++) await child(['worker'], {}, /worker polling/, `worker-${i}`);
    await child(
      ['api'],
      { HOST: '127.0.0.1', PORT: String(apiPort), API_PROCESSES: String(o.apiProcesses) },
      /API listening/,
      'api',
    );
    const db = new Database(file, { fileMustExist: true });
    db.pragma('query_only = ON');
    cleanups.push(async () => {
      db.close();
    });
    const ctx: PhaseContext = {
      client: new Client({ connection }),
      db,
      target: { baseUrl: `http://127.0.0.1:${apiPort}`, directoryId: directory.id, token },
      concurrency: o.concurrency,
      log,
      measured: (_phase, fn) => fn(),
    };
    log(`[${kind}] initial sync of ${o.users} users…`);
    const { ids, result: sync } = await runInitialSync(ctx, o.users, 1_800_000);
    log(`[${kind}] ${sync.converged} converged in ${sync.seconds} s: ${sync.convergedPerSecond}/s`);
    log(`[${kind}] burst of ${o.leavers} leavers…`);
    const burst = await runBurst(ctx, ids.slice(0, o.leavers), 1_800_000);
    log(`[${kind}] burst: last verified revocation after ${burst.seconds} s, p99 ${burst.p99Ms} ms`);
    return {
      server: kind,
      temporal:
        kind === 'cluster'
          ? `temporal server ${TEMPORAL_SERVER_VERSION}, PostgreSQL 15, 8 history shards`
          : 'temporal server start-dev (SQLite file)',
      sync,
      burst,
    };
  } finally {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: Error) => log(`cleanup: ${e.message}`));
  }
}

function table(runs: ServerRun[]): string {
  const rows = [
    ['', ...runs.map((r) => r.server)],
    ['POST req/s (initial sync)', ...runs.map((r) => String(r.sync.post.perSecond))],
    ['identities converged/s', ...runs.map((r) => String(r.sync.convergedPerSecond))],
    ['initial sync converged (s)', ...runs.map((r) => String(r.sync.seconds))],
    ['burst: last revocation (s)', ...runs.map((r) => String(r.burst.seconds ?? 'unfinished'))],
    ['burst: time to revoke p50 (ms)', ...runs.map((r) => String(r.burst.p50Ms))],
    ['burst: time to revoke p99 (ms)', ...runs.map((r) => String(r.burst.p99Ms))],
    ['burst: missing revocations', ...runs.map((r) => String(r.burst.missing))],
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
    },
  });
  const int = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const servers = String(values.servers).split(',') as ServerKind[];
  if (servers.some((s) => s !== 'dev' && s !== 'cluster')) throw new Error('--servers: dev, cluster or both');
  const o: Options = {
    users: int(values.users, 'users'),
    leavers: int(values.leavers, 'leavers'),
    apiProcesses: int(values['api-processes'], 'api-processes'),
    workers: int(values.workers, 'workers'),
    concurrency: int(values.concurrency, 'concurrency'),
    servers,
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
      store: 'SQLite (one file, WAL), shared by the API and worker processes on this host',
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

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
