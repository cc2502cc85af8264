// bench/main.ts: `npm run bench`: SCIM endpoint throughput/latency per scenario; prints a table and saves JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ScenarioReport } from './run-scenario';
import { countEvents, runScenario, SERIAL_REQUESTS } from './run-scenario';
import { SCENARIOS } from './scenarios';
import { cacheDir, ensureSeed } from './seed';

const POKE_NOTE = 'poke: counted, Temporal not involved';

const USAGE = `usage: npm run bench:scim -- [options]
  --only a,b          scenarios to run (${SCENARIOS.map((s) => s.name).join(', ')})
  --users N           users in the seeded group (100000)       --pool N        non-members (100000)
  --duration S        seconds per scenario (10)                --warmup S      warm-up seconds (2)
  --rounds N          interleaved rounds; the median round is shown (3)
  --connections N     concurrent connections (50)              --processes N   server processes, or auto (auto)
  --synchronous M     SQLite synchronous: NORMAL or FULL (NORMAL)
  --profile           CPU profiles of the server processes     --analyze       ANALYZE each dataset copy`;

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
  return {
    only,
    users: int('users', values.users, 1),
    pool: int('pool', values.pool, 1),
    duration: int('duration', values.duration, 1),
    rounds: int('rounds', values.rounds, 1),
    warmup: int('warmup', values.warmup, 0),
    connections: int('connections', values.connections, 1),
    // Like API_PROCESSES=auto (docker-compose.yml): one server process per core; the ceiling runs as many.
    processes: values.processes === 'auto' ? os.availableParallelism() : int('processes', values.processes, 1),
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

function printTable(reports: ScenarioSummary[]): void {
  const ms = (r: ScenarioReport, v: number) =>
    r.result.requests === 0 ? `>${Math.round(r.result.seconds * 1000)}` : v.toFixed(1);
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
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const opts = parseOptions();
  const log = (msg: string) => console.log(msg);
  const seed = await ensureSeed(opts.users, opts.pool, log);
  const baseEvents = countEvents(seed.file);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-bench-'));
  log(
    `${os.cpus().length} cores, node ${process.version}; ${opts.processes} server process(es); ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s per scenario, ${opts.rounds} round(s); ${POKE_NOTE}`,
  );
  // Rounds interleave the scenarios, so a slow minute of a shared machine hits every scenario alike.
  const selected = SCENARIOS.filter((sc) => opts.only.includes(sc.name));
  const runs = new Map<string, ScenarioReport[]>(selected.map((sc) => [sc.name, []]));
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of selected) {
        log(`round ${round}/${opts.rounds}: ${s.name}: ${s.what}`);
        const profileName = opts.rounds > 1 ? `${s.name}-round${round}` : s.name;
        runs.get(s.name)!.push(await runScenario(s, seed, opts, workDir, baseEvents, profileName));
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const ceilingRuns = runs.get('ceiling');
  const ceiling = ceilingRuns ? summarise(ceilingRuns, undefined).result.reqPerSec : undefined;
  const reports = selected.map((sc) => summarise(runs.get(sc.name)!, sc.name === 'ceiling' ? undefined : ceiling));
  console.log('');
  printTable(reports);
  const analyzed = opts.analyze ? ' (ANALYZE run on each copy)' : '';
  console.log(
    `\n${POKE_NOTE}; dataset ${seed.users} users in one group + ${seed.pool} non-members; SQLite synchronous=${opts.synchronous}${analyzed}`,
  );
  console.log(
    `1-conn ms: median of ${SERIAL_REQUESTS} sequential requests before the load; srv CPU: server process CPU (all threads) per answered request`,
  );
  console.log(
    `each row is the round with the median req/s (of ${opts.rounds}); "of ceiling": that median over the ceiling's median in this run`,
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
