// bench/main.ts: `npm run bench`: SCIM endpoint throughput/latency per scenario, on SQLite and/or PostgreSQL, at one
// or more process counts; prints a table (and PostgreSQL against SQLite) and saves JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchPostgres } from './postgres-store';
import { BENCH_PG_SETTINGS, postgresCopies, startBenchPostgres } from './postgres-store';
import type { DatasetCopier, ScenarioReport, StoreKind } from './run-scenario';
import { countEvents, runScenario, SERIAL_REQUESTS, sqliteCopies } from './run-scenario';
import { SCENARIOS } from './scenarios';
import { cacheDir, ensureSeed } from './seed';
import { stopAllServers } from './server-process';

const POKE_NOTE = 'poke: counted, Temporal not involved';

const USAGE = `usage: npm run bench:scim -- [options]
  --only a,b          scenarios to run (${SCENARIOS.map((s) => s.name).join(', ')})
  --users N           users in the seeded group (100000)       --pool N        non-members (100000)
  --duration S        seconds per scenario (10)                --warmup S      warm-up seconds (2)
  --rounds N          interleaved rounds; the median round is shown (3)
  --connections N     concurrent connections (50)
  --processes N[,M]   server processes, or auto (one per core); a list runs every scenario at each count (auto)
  --store S           sqlite, postgres, or both: both runs each scenario on the two stores back to back and adds a
                      PostgreSQL/SQLite table; postgres starts a throwaway PostgreSQL 15 for the run (sqlite)
  --synchronous M     SQLite synchronous: NORMAL or FULL (NORMAL)
  --profile           CPU profiles of the server processes     --analyze       ANALYZE each SQLite dataset copy
the issue-14 comparison: npm run bench:scim -- --store both --processes 1,2`;

const STORE_NAMES: Record<StoreKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** A mistyped option prints the usage instead of a stack trace. */
function orUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

function parseOptions() {
  const { values } = orUsage(() =>
    parseArgs({
      options: {
        only: { type: 'string' },
        users: { type: 'string', default: '100000' },
        pool: { type: 'string', default: '100000' },
        duration: { type: 'string', default: '10' },
        rounds: { type: 'string', default: '3' },
        warmup: { type: 'string', default: '2' },
        connections: { type: 'string', default: '50' },
        processes: { type: 'string', default: 'auto' },
        store: { type: 'string', default: 'sqlite' },
        synchronous: { type: 'string', default: 'NORMAL' },
        profile: { type: 'boolean', default: false },
        analyze: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const names = SCENARIOS.map((s) => s.name);
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : names;
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${names.join(', ')}`);
  const synchronous: 'NORMAL' | 'FULL' = values.synchronous === 'FULL' ? 'FULL' : 'NORMAL';
  if (values.synchronous !== synchronous) throw new Error('--synchronous is NORMAL or FULL');
  const storeChoices: Record<string, StoreKind[]> = {
    sqlite: ['sqlite'],
    postgres: ['postgres'],
    both: ['sqlite', 'postgres'],
  };
  const stores = storeChoices[values.store];
  if (!stores) throw new Error('--store is sqlite, postgres or both');
  // Like API_PROCESSES=auto (docker-compose.yml): one server process per core; the ceiling runs as many.
  const processes = [
    ...new Set(
      values.processes
        .split(',')
        .map((p) => p.trim())
        .map((p) => (p === 'auto' ? os.availableParallelism() : int('processes', p, 1))),
    ),
  ];
  return {
    only,
    users: int('users', values.users, 1),
    pool: int('pool', values.pool, 1),
    duration: int('duration', values.duration, 1),
    rounds: int('rounds', values.rounds, 1),
    warmup: int('warmup', values.warmup, 0),
    connections: int('connections', values.connections, 1),
    processes,
    stores,
    synchronous,
    analyze: values.analyze,
    profileDir: values.profile
      ? path.join(cacheDir(), 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
      : undefined,
  };
}

/** One scenario over all rounds: the round with the median req/s stands for it; the spread shows the noise. */
interface ScenarioSummary extends ScenarioReport {
  rounds: { reqPerSec: number; p50Ms: number; p99Ms: number; verdict: string }[];
  minReqPerSec: number;
  maxReqPerSec: number;
  /** Median req/s relative to the ceiling's median in the same run (how much of the raw path the product keeps). */
  ofCeiling?: number;
}

function summarise(runs: ScenarioReport[], ceiling: number | undefined): ScenarioSummary {
  const byRate = [...runs].sort((a, b) => a.result.reqPerSec - b.result.reqPerSec);
  const median = byRate[Math.floor((byRate.length - 1) / 2)]!;
  return {
    ...median,
    rounds: runs.map((r) => ({
      reqPerSec: r.result.reqPerSec,
      p50Ms: r.result.p50Ms,
      p99Ms: r.result.p99Ms,
      verdict: r.verdict,
    })),
    minReqPerSec: byRate[0]!.result.reqPerSec,
    maxReqPerSec: byRate[byRate.length - 1]!.result.reqPerSec,
    ofCeiling: ceiling ? median.result.reqPerSec / ceiling : undefined,
  };
}

/** Latency in ms; a run that got no answer at all shows as "more than the window". */
const ms = (r: ScenarioReport, v: number) =>
  r.result.requests === 0 ? `>${Math.round(r.result.seconds * 1000)}` : v.toFixed(1);

function printRows(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

function printTable(reports: ScenarioSummary[]): void {
  const spread = (r: ScenarioSummary) =>
    r.rounds.length > 1 ? ` (${r.minReqPerSec.toFixed(0)}–${r.maxReqPerSec.toFixed(0)})` : '';
  const rows = [
    [
      'scenario',
      'req/s (min–max)',
      'of ceiling',
      'p50 ms',
      'p99 ms',
      'err/non-2xx',
      '1-conn ms',
      'srv CPU µs/req',
      'target',
      'verdict',
      'notes',
    ],
    ...reports.map((r) => [
      r.name,
      `${r.result.reqPerSec.toFixed(0)}${spread(r)}`,
      r.ofCeiling === undefined ? '—' : `${(100 * r.ofCeiling).toFixed(0)} %`,
      ms(r, r.result.p50Ms),
      ms(r, r.result.p99Ms),
      `${r.result.errors}/${r.result.non2xx}`,
      r.serialMedianMs.toFixed(2),
      r.serverCpuUsPerRequest === undefined ? '—' : r.serverCpuUsPerRequest.toFixed(0),
      r.target ?? '—',
      r.verdict,
      r.notes.join('; '),
    ]),
  ];
  printRows(rows);
}

/** One scenario at one process count on both stores: the issue-14 comparison row. */
interface Comparison {
  scenario: string;
  kind: 'read' | 'write';
  processes: number;
  sqlite: { reqPerSec: number; p99Ms: number };
  postgres: { reqPerSec: number; p99Ms: number };
  /** PostgreSQL over SQLite: above 1 PostgreSQL answers more requests per second / has the longer p99. */
  reqPerSecRatio: number;
  p99Ratio: number;
}

function compare(sqlite: ScenarioSummary, postgres: ScenarioSummary, writes: boolean): Comparison {
  const pick = (r: ScenarioSummary) => ({ reqPerSec: r.result.reqPerSec, p99Ms: r.result.p99Ms });
  return {
    scenario: sqlite.name,
    kind: writes ? 'write' : 'read',
    processes: sqlite.processes,
    sqlite: pick(sqlite),
    postgres: pick(postgres),
    reqPerSecRatio: postgres.result.reqPerSec / sqlite.result.reqPerSec,
    p99Ratio: postgres.result.p99Ms / sqlite.result.p99Ms,
  };
}

function printComparison(rows: Comparison[], summaries: Map<string, ScenarioSummary>): void {
  const ratio = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
  const p99 = (store: StoreKind, c: Comparison) => {
    const r = summaries.get(runKey(store, c.processes, c.scenario))!;
    return ms(r, r.result.p99Ms);
  };
  printRows([
    ['scenario', 'kind', 'procs', 'SQLite req/s', 'p99 ms', 'PostgreSQL req/s', 'p99 ms', 'PG/SQLite req/s', 'p99'],
    ...rows.map((c) => [
      c.scenario,
      c.kind,
      String(c.processes),
      c.sqlite.reqPerSec.toFixed(0),
      p99('sqlite', c),
      c.postgres.reqPerSec.toFixed(0),
      p99('postgres', c),
      ratio(c.reqPerSecRatio),
      ratio(c.p99Ratio),
    ]),
  ]);
}

const runKey = (store: StoreKind, processes: number, scenario: string) => `${store}/${processes}/${scenario}`;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  // Checks after parsing (a bad --store, --processes 1,x) print the usage too.
  const opts = orUsage(parseOptions);
  const log = (msg: string) => console.log(msg);
  const seed = await ensureSeed(opts.users, opts.pool, log);
  const baseEvents = countEvents(seed.file);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-bench-'));
  let postgres: BenchPostgres | undefined;
  // Servers first (their pools would hold PostgreSQL's smart shutdown open), then PostgreSQL, then the copies.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopAllServers();
      await postgres?.stop().catch((err: Error) => log(`stopping PostgreSQL: ${err.message}`));
      fs.rmSync(workDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping the servers and PostgreSQL…`);
      void cleanup().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  const stores = opts.stores.map((s) => STORE_NAMES[s]).join(' and ');
  log(
    `${os.cpus().length} cores, node ${process.version}; ${stores}; ${opts.processes.join(' and ')} server process(es); ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s per scenario, ${opts.rounds} round(s); ${POKE_NOTE}`,
  );
  // Rounds interleave the scenarios, so a slow minute of a shared machine hits every scenario alike; within a round
  // a scenario's stores and process counts run back to back, so each ratio compares runs minutes apart at most.
  const selected = SCENARIOS.filter((sc) => opts.only.includes(sc.name));
  const configs = opts.processes.flatMap((processes) => opts.stores.map((store) => ({ store, processes })));
  const runs = new Map<string, ScenarioReport[]>();
  for (const c of configs) for (const sc of selected) runs.set(runKey(c.store, c.processes, sc.name), []);
  try {
    const copies: Record<StoreKind, DatasetCopier | undefined> = {
      sqlite: sqliteCopies(seed, workDir, opts),
      postgres: undefined,
    };
    if (opts.stores.includes('postgres')) {
      postgres = await startBenchPostgres(seed.file, log);
      copies.postgres = postgresCopies(postgres, workDir);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of selected) {
        for (const { store, processes } of configs) {
          const where = configs.length > 1 ? ` [${STORE_NAMES[store]}, ${processes} process(es)]` : '';
          log(`round ${round}/${opts.rounds}: ${s.name}${where}: ${s.what}`);
          const profileName = [
            s.name,
            ...(opts.stores.length > 1 ? [store] : []),
            ...(opts.processes.length > 1 ? [`p${processes}`] : []),
            ...(opts.rounds > 1 ? [`round${round}`] : []),
          ].join('-');
          const report = await runScenario(s, seed, { ...opts, processes }, copies[store]!, baseEvents, profileName);
          runs.get(runKey(store, processes, s.name))!.push(report);
        }
      }
    }
  } finally {
    await cleanup();
  }
  const summaries = new Map<string, ScenarioSummary>();
  for (const { store, processes } of configs) {
    const ceilingRuns = runs.get(runKey(store, processes, 'ceiling'));
    const ceiling = ceilingRuns ? summarise(ceilingRuns, undefined).result.reqPerSec : undefined;
    for (const sc of selected) {
      const key = runKey(store, processes, sc.name);
      summaries.set(key, summarise(runs.get(key)!, sc.name === 'ceiling' ? undefined : ceiling));
    }
  }
  for (const { store, processes } of configs) {
    console.log(configs.length > 1 ? `\n${STORE_NAMES[store]}, ${processes} server process(es):` : '');
    printTable(selected.map((sc) => summaries.get(runKey(store, processes, sc.name))!));
  }
  const comparison =
    opts.stores.length < 2
      ? []
      : opts.processes.flatMap((processes) =>
          selected.map((sc) =>
            compare(
              summaries.get(runKey('sqlite', processes, sc.name))!,
              summaries.get(runKey('postgres', processes, sc.name))!,
              sc.writes,
            ),
          ),
        );
  if (comparison.length > 0) {
    console.log('\nPostgreSQL against SQLite (median rounds; ratios PostgreSQL/SQLite):');
    printComparison(comparison, summaries);
  }
  const analyzed = opts.analyze ? ' (ANALYZE run on each copy)' : '';
  console.log(`\n${POKE_NOTE}; dataset ${seed.users} users in one group + ${seed.pool} non-members`);
  if (opts.stores.includes('sqlite'))
    console.log(
      `SQLite: synchronous=${opts.synchronous}${analyzed}; a fresh file copy per scenario; with several processes member 0 writes, the others relay writes to it`,
    );
  if (postgres) {
    const settings = Object.entries(BENCH_PG_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    console.log(
      `PostgreSQL 15 on loopback: synchronous_commit=on (the default: fsync at every COMMIT, which SQLite's synchronous=NORMAL does not do), ${settings}; dataset copied once (${postgres.templateSeconds.toFixed(1)} s, VACUUM (FREEZE, ANALYZE)) into a template, a database cloned from it per scenario; every API process writes itself (no relay), pool of 10 connections per process`,
    );
  }
  console.log(
    `1-conn ms: median of ${SERIAL_REQUESTS} sequential requests before the load; srv CPU: server process CPU (all threads) per answered request${postgres ? " (PostgreSQL's own CPU not included)" : ''}`,
  );
  console.log(
    `each row is the round with the median req/s (of ${opts.rounds}); "of ceiling": that median over the ceiling's median in this run, same store and process count`,
  );
  if (opts.profileDir) console.log(`CPU profiles of the server processes: ${opts.profileDir}`);

  const out = {
    startedAt,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      platform: process.platform,
    },
    options: opts,
    dataset: { users: seed.users, pool: seed.pool, seedSeconds: seed.seedSeconds, file: seed.file },
    postgres: postgres && { settings: BENCH_PG_SETTINGS, templateSeconds: postgres.templateSeconds },
    poke: POKE_NOTE,
    scenarios: [...summaries.values()],
    comparison,
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
