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

function parseOptions() {
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
  const synchronous: 'NORMAL' | 'FULL' = values.synchronous === 'FULL' ? 'FULL' : 'NORMAL';
  if (values.synchronous !== synchronous) throw new Error('--synchronous is NORMAL or FULL');
  return {
    only,
    users: int('users', values.users, 1),
    pool: int('pool', values.pool, 1),
    duration: int('duration', values.duration, 1),
    warmup: int('warmup', values.warmup, 0),
    connections: int('connections', values.connections, 1),
    synchronous,
    analyze: values.analyze,
    profileDir: values.profile
      ? path.join(cacheDir(), 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
      : undefined,
  };
}

function printTable(reports: ScenarioReport[]): void {
  const ms = (r: ScenarioReport, v: number) =>
    r.result.requests === 0 ? `>${Math.round(r.result.seconds * 1000)}` : v.toFixed(1);
  const rows = [
    [
      'scenario',
      'req/s',
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
      r.result.reqPerSec.toFixed(0),
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
    `${os.cpus().length} cores, node ${process.version}; ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s per scenario; ${POKE_NOTE}`,
  );
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
  console.log(
    `\n${POKE_NOTE}; dataset ${seed.users} users in one group + ${seed.pool} non-members; SQLite synchronous=${opts.synchronous}${analyzed}`,
  );
  console.log(
    `1-conn ms: median of ${SERIAL_REQUESTS} sequential requests before the load; srv CPU: server process CPU per answered request`,
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
