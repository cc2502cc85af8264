// bench/lifecycle-phases.ts: the measured scimflow phases: initial sync, leavers one at a time, a leaver burst.
import type { Client } from '@temporalio/client';
import type { BenchReader } from './bench-reader';
import type { RunStats, ScimTarget } from './lifecycle-driver';
import {
  DEACTIVATE,
  every,
  percentile,
  pollUntil,
  round,
  runBounded,
  scimCall,
  sleep,
  userBody,
} from './lifecycle-driver';

export interface PhaseContext {
  client: Client;
  /** scimflow's store, read-only (SQLite or PostgreSQL). */
  read: BenchReader;
  target: ScimTarget;
  concurrency: number;
  log: (line: string) => void;
  /** CPU and server metrics around a sub-phase (see lifecycle-measure.ts). */
  measured: <T>(phase: string, fn: () => Promise<T>) => Promise<T>;
}

export const secondsSince = (t0: number, t = Date.now()) => round((t - t0) / 1000, 2);

export interface SyncResult {
  users: number;
  post: RunStats;
  converged: number;
  /** First POST sent → last identity_progress row written as 'active'. */
  seconds: number;
  convergedPerSecond: number;
  finished: boolean;
  exceptions: number;
  appliedActiveByApp: Record<string, number>;
  localAccountsByApp: Record<string, number>;
  timeline: { s: number; posted: number; converged: number }[];
}

export async function runInitialSync(
  ctx: PhaseContext,
  users: number,
  timeoutMs: number,
): Promise<{ ids: string[]; result: SyncResult }> {
  const dir = ctx.target.directoryId;
  const convergedQ = async () =>
    (await ctx.read.get<{ n: number; last: string | null }>(
      "SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM identity_progress WHERE directory_id = ? AND lifecycle = 'active'",
      [dir],
    ))!;
  const ids: string[] = [];
  const timeline: SyncResult['timeline'] = [];
  let posted = 0;
  const t0 = Date.now();
  const sample = async () => {
    const point = { s: secondsSince(t0), posted, converged: (await convergedQ()).n };
    timeline.push(point);
    ctx.log(`  t=${point.s}s posted ${posted}/${users}, converged ${point.converged}`);
  };
  const stopSampling = every(5_000, () => void sample());
  const post = await ctx.measured('initialSync.post', () =>
    runBounded(users, ctx.concurrency, async (i) => {
      const body = await scimCall(ctx.target, 'POST', '/Users', userBody(i), 201);
      ids[i] = String(body.id);
      posted += 1;
    }),
  );
  ctx.log(
    `  POST phase: ${post.perSecond} req/s, p99 ${post.p99Ms} ms, ${post.failures} failed${post.firstFailure ? ` (${post.firstFailure})` : ''}`,
  );
  const finished = await ctx.measured('initialSync.afterPost', () =>
    pollUntil(async () => (await convergedQ()).n >= users - post.failures, t0 + timeoutMs, 250),
  );
  stopSampling();
  await sample();
  const row = await convergedQ();
  const seconds = secondsSince(t0, finished && row.last ? Date.parse(row.last) : Date.now());
  const byApp = async (sql: string) =>
    Object.fromEntries((await ctx.read.all<{ app: string; n: number }>(sql, [dir])).map((r) => [r.app, r.n]));
  return {
    ids: ids.filter((id) => id !== undefined),
    result: {
      users,
      post,
      converged: row.n,
      seconds,
      convergedPerSecond: round(row.n / seconds, 1),
      finished,
      exceptions: (await ctx.read.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM identity_progress WHERE directory_id = ? AND exception IS NOT NULL',
        [dir],
      ))!.n,
      appliedActiveByApp: await byApp(
        "SELECT a.name AS app, COUNT(*) AS n FROM applied_accounts x JOIN apps a ON a.id = x.app_id WHERE x.directory_id = ? AND x.state = 'active' GROUP BY a.name",
      ),
      localAccountsByApp: await byApp(
        'SELECT a.name AS app, SUM(l.active) AS n FROM local_accounts l JOIN apps a ON a.id = l.app_id WHERE a.directory_id = ? GROUP BY a.name',
      ),
      timeline,
    },
  };
}

export interface LatencySummary {
  samples: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarise(latencies: number[], expected: number): LatencySummary {
  return {
    samples: latencies.length,
    missing: expected - latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : NaN,
  };
}

export interface IdleLeaverResult extends LatencySummary {
  /** PATCH sent → revocation row seen by the driver (includes the driver's 5 ms polling). */
  observedP50Ms: number;
  observedP99Ms: number;
  patchP50Ms: number;
  perUser: { identityId: string; latencyMs: number | null; observedMs: number; patchMs: number }[];
}

export async function runIdleLeavers(
  ctx: PhaseContext,
  ids: string[],
  opts: { gapMs: number; timeoutMs: number },
): Promise<IdleLeaverResult> {
  const dir = ctx.target.directoryId;
  const q = (id: string) =>
    ctx.read.get<{ latency_ms: number }>(
      'SELECT latency_ms FROM revocations WHERE directory_id = ? AND identity_id = ?',
      [dir, id],
    );
  const perUser: IdleLeaverResult['perUser'] = [];
  for (const id of ids) {
    await sleep(opts.gapMs);
    const t0 = Date.now();
    await scimCall(ctx.target, 'PATCH', `/Users/${id}`, DEACTIVATE, 200);
    const patchMs = Date.now() - t0;
    let row: { latency_ms: number } | undefined;
    await pollUntil(async () => (row = await q(id)) !== undefined, t0 + opts.timeoutMs, 5);
    perUser.push({ identityId: id, latencyMs: row?.latency_ms ?? null, observedMs: Date.now() - t0, patchMs });
    ctx.log(
      `  leaver ${perUser.length}/${ids.length}: latency_ms ${row?.latency_ms ?? 'none'} (seen after ${Date.now() - t0} ms)`,
    );
  }
  const latencies = perUser.flatMap((u) => (u.latencyMs === null ? [] : [u.latencyMs]));
  const observed = perUser.filter((u) => u.latencyMs !== null).map((u) => u.observedMs);
  return {
    ...summarise(latencies, ids.length),
    observedP50Ms: percentile(observed, 50),
    observedP99Ms: percentile(observed, 99),
    patchP50Ms: percentile(
      perUser.map((u) => u.patchMs),
      50,
    ),
    perUser,
  };
}

export interface BurstResult extends LatencySummary {
  leavers: number;
  patch: RunStats;
  /** First PATCH sent → last revocation verified (verified_at of the last row), when all were recorded. */
  seconds: number | null;
  finished: boolean;
  timeline: { s: number; revoked: number }[];
}

export async function runBurst(ctx: PhaseContext, ids: string[], timeoutMs: number): Promise<BurstResult> {
  const dir = ctx.target.directoryId;
  const wanted = new Set(ids);
  const revoked = async () =>
    (
      await ctx.read.all<{ identity_id: string; latency_ms: number; verified_at: string }>(
        'SELECT identity_id, latency_ms, verified_at FROM revocations WHERE directory_id = ?',
        [dir],
      )
    ).filter((r) => wanted.has(r.identity_id));
  const timeline: BurstResult['timeline'] = [];
  const t0 = Date.now();
  const sample = async () => {
    timeline.push({ s: secondsSince(t0), revoked: (await revoked()).length });
    ctx.log(`  t=${timeline[timeline.length - 1]!.s}s revoked ${timeline[timeline.length - 1]!.revoked}/${ids.length}`);
  };
  const stopSampling = every(2_000, () => void sample());
  const patch = await ctx.measured('burst.patch', () =>
    runBounded(ids.length, ctx.concurrency, async (i) => {
      await scimCall(ctx.target, 'PATCH', `/Users/${ids[i]}`, DEACTIVATE, 200);
    }),
  );
  ctx.log(`  PATCH phase: ${patch.perSecond} req/s in ${patch.seconds} s, ${patch.failures} failed`);
  const finished = await ctx.measured('burst.afterPatch', () =>
    pollUntil(async () => (await revoked()).length >= ids.length - patch.failures, t0 + timeoutMs, 100),
  );
  stopSampling();
  await sample();
  const rows = await revoked();
  const last = Math.max(...rows.map((r) => Date.parse(r.verified_at)));
  return {
    leavers: ids.length,
    patch,
    seconds: finished ? secondsSince(t0, last) : null,
    finished,
    ...summarise(
      rows.map((r) => r.latency_ms),
      ids.length,
    ),
    timeline,
  };
}
