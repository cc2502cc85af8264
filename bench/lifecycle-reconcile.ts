// bench/lifecycle-reconcile.ts: issue 11's phase: `scimflow reconcile` over an app holding 100,000 accounts (the
// bench's converged users plus seeded accounts nobody knows), timed and its peak memory sampled.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FINDING_KINDS } from '../domain/reconcile/diff';
import { round } from './lifecycle-driver';

export interface ReconcileBenchResult {
  accounts: number;
  seeded: number;
  /** The reconcile's own measure (scan, diff, record), and the command's wall time (node start included). */
  seconds: number;
  wallSeconds: number;
  accountsPerSecond: number;
  peakRssMiB: number;
  findings: Record<string, number>;
  errors: number;
}

/** Seeds the limited app (its /__control/seed) up to `total` accounts; returns how many it seeded. */
export async function seedAccounts(app: { url: string; token: string }, total: number): Promise<number> {
  const list = await fetch(`${app.url}/Users?count=0`, { headers: { authorization: `Bearer ${app.token}` } });
  const count = total - ((await list.json()) as { totalResults: number }).totalResults;
  if (count <= 0) return 0;
  const res = await fetch(new URL('/__control/seed', app.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ count, prefix: 'unknown' }),
  });
  if (!res.ok) throw new Error(`seeding the app: ${res.status} ${await res.text()}`);
  return count;
}

const rssKiB = (pid: number): number => {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** Runs the real command (`scimflow reconcile --app ID`), as an operator would, against the bench's data directory. */
export async function runReconcile(opts: {
  appId: string;
  env: Record<string, string>;
  seeded: number;
  log: (line: string) => void;
}): Promise<ReconcileBenchResult> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'bin', 'scimflow.js'), 'reconcile', '--app', opts.appId, '--page-size', '100'],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(child.pid!))), 50);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) opts.log(`  [reconcile] ${line}`);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`scimflow reconcile exited ${code}`);
  const report = JSON.parse(stdout) as Record<string, unknown> & {
    scanned: { accounts: number };
    seconds: number;
    errors: unknown[];
  };
  return {
    accounts: report.scanned.accounts,
    seeded: opts.seeded,
    seconds: report.seconds,
    wallSeconds: round(wallSeconds, 1),
    accountsPerSecond: round(report.scanned.accounts / report.seconds, 0),
    peakRssMiB: round(peak / 1024, 0),
    findings: Object.fromEntries(FINDING_KINDS.map((k) => [k, (report[k] as unknown[]).length])),
    errors: report.errors.length,
  };
}
