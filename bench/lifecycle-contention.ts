// bench/lifecycle-contention.ts: issue 10's phases: a healthy tenant's joiners while another tenant's app hangs, and
// leavers while a large initial sync runs.
import type { RunStats, ScimTarget } from './lifecycle-driver';
import { DEACTIVATE, pollUntil, round, runBounded, scimCall, sleep, userBody } from './lifecycle-driver';
import type { LatencySummary, PhaseContext } from './lifecycle-phases';
import { secondsSince, summarise } from './lifecycle-phases';

/** Joiners one at a time in `target`: POST sent → the identity's progress row says `active` (all its apps converged). */
async function timeJoiners(
  ctx: PhaseContext,
  target: ScimTarget,
  first: number,
  count: number,
  opts: { gapMs: number; timeoutMs: number },
): Promise<LatencySummary> {
  const q = (id: string) =>
    ctx.read.get<{ updated_at: string }>(
      "SELECT updated_at FROM identity_progress WHERE directory_id = ? AND identity_id = ? AND lifecycle = 'active'",
      [target.directoryId, id],
    );
  const latencies: number[] = [];
  for (let i = first; i < first + count; i++) {
    await sleep(opts.gapMs);
    const t0 = Date.now();
    const body = await scimCall(target, 'POST', '/Users', userBody(i), 201);
    let row: { updated_at: string } | undefined;
    const id = String(body.id);
    if (await pollUntil(async () => (row = await q(id)) !== undefined, t0 + opts.timeoutMs, 5))
      latencies.push(Date.parse(row!.updated_at) - t0);
  }
  ctx.log(`    joiner latencies ms: ${latencies.join(' ')}`);
  return summarise(latencies, count);
}

export interface IsolationResult {
  joiners: number;
  /** The healthy tenant's joiners with nothing else running. */
  idle: LatencySummary;
  /** The same while the other tenant's app answers after `hangMs` and that tenant keeps sending joiners. */
  whileOtherHangs: LatencySummary;
  /** whileOtherHangs p99 / idle p99 − 1, in percent (goal: ≤ 10). */
  p99OverheadPercent: number;
  hangMs: number;
  settleMs: number;
  otherTenantJoinersSent: number;
  /** The hanging app's requests in flight when the measurement ended: proof that it was hanging, bounded by its cap. */
  otherAppInFlightAtEnd: number;
}

export interface HangingApp {
  setLatency(ms: number): Promise<void>;
  inFlight(): Promise<number>;
}

/**
 * (f) Isolation: the healthy tenant's joiners are timed idle, then again while the other tenant's app hangs with that
 * tenant's joiners stuck on it (every attempt waits on the app, times out and is retried).
 */
export async function runIsolation(
  ctx: PhaseContext,
  opts: {
    healthy: ScimTarget;
    other: ScimTarget;
    hanging: HangingApp;
    joiners: number;
    /** Joiners sent to the other tenant (before the measurement) to stick on its hanging app. */
    otherJoiners: number;
    /** Wait between sending them and measuring. */
    settleMs: number;
    hangMs: number;
    /** userBody index to start from (userNames must not collide with earlier phases). */
    firstIndex: number;
  },
): Promise<IsolationResult> {
  const timing = { gapMs: 250, timeoutMs: 120_000 };
  ctx.log(`  healthy tenant, idle: ${opts.joiners} joiners one at a time`);
  const idle = await timeJoiners(ctx, opts.healthy, opts.firstIndex, opts.joiners, timing);
  ctx.log(`    p50 ${idle.p50Ms} ms, p99 ${idle.p99Ms} ms, missing ${idle.missing}`);

  await opts.hanging.setLatency(opts.hangMs);
  // The other tenant's joiners, all stuck on its app: their attempts time out, retry and trip its breaker meanwhile.
  const load = await runBounded(opts.otherJoiners, 8, async (i) => {
    await scimCall(opts.other, 'POST', '/Users', userBody(opts.firstIndex + 2 * opts.joiners + i), 201);
  });
  // Measure the steady state of a hang: the joiners' first attempts have met the app and timed out, and their steps
  // are waiting their turn (share, breaker). The arrival of the other tenant's burst itself is not the hang.
  await sleep(opts.settleMs);
  ctx.log(`  healthy tenant while the other tenant's app hangs (${opts.hangMs} ms per request)`);
  const whileOtherHangs = await timeJoiners(ctx, opts.healthy, opts.firstIndex + opts.joiners, opts.joiners, timing);
  const sent = load.count - load.failures;
  const inFlight = await opts.hanging.inFlight();
  await opts.hanging.setLatency(0);
  ctx.log(
    `    p50 ${whileOtherHangs.p50Ms} ms, p99 ${whileOtherHangs.p99Ms} ms, missing ${whileOtherHangs.missing}; other tenant sent ${sent} joiners, ${inFlight} requests in flight on its app`,
  );
  return {
    joiners: opts.joiners,
    idle,
    whileOtherHangs,
    p99OverheadPercent: round((whileOtherHangs.p99Ms / idle.p99Ms - 1) * 100, 1),
    hangMs: opts.hangMs,
    settleMs: opts.settleMs,
    otherTenantJoinersSent: sent,
    otherAppInFlightAtEnd: inFlight,
  };
}

export interface LeaversDuringSyncResult extends LatencySummary {
  leavers: number;
  syncUsers: number;
  post: RunStats;
  /** Sync users converged when the last leaver was revoked, and at the end of the phase. */
  syncConvergedAtLastLeaver: number;
  syncConvergedAtEnd: number;
  syncSeconds: number;
  perLeaver: { identityId: string; latencyMs: number | null; syncConverged: number }[];
}

/**
 * (g) Leavers while a large initial sync runs: `syncUsers` new users are POSTed at the bench's concurrency and, once
 * they are flowing, converged users are deactivated one at a time; time to revoke is the workflow's own measure (event
 * recorded → revocation verified in every app).
 */
export async function runLeaversDuringSync(
  ctx: PhaseContext,
  opts: { leaverIds: string[]; syncUsers: number; firstIndex: number; gapMs: number; timeoutMs: number },
): Promise<LeaversDuringSyncResult> {
  const dir = ctx.target.directoryId;
  const syncIds: string[] = [];
  const since = new Date().toISOString();
  const syncConverged = async () => {
    const mine = new Set(syncIds);
    const rows = await ctx.read.all<{ identity_id: string }>(
      "SELECT identity_id FROM identity_progress WHERE directory_id = ? AND lifecycle = 'active' AND updated_at >= ?",
      [dir, since],
    );
    return rows.filter((r) => mine.has(r.identity_id)).length;
  };
  const revokedQ = (id: string) =>
    ctx.read.get<{ latency_ms: number }>(
      'SELECT latency_ms FROM revocations WHERE directory_id = ? AND identity_id = ?',
      [dir, id],
    );
  const t0 = Date.now();
  const posting = runBounded(opts.syncUsers, ctx.concurrency, async (i) => {
    const body = await scimCall(ctx.target, 'POST', '/Users', userBody(opts.firstIndex + i), 201);
    syncIds.push(String(body.id));
  });
  // Start once the sync has a backlog (a tenth of it posted), so leavers meet it at its heaviest.
  await pollUntil(() => syncIds.length >= opts.syncUsers / 10, Date.now() + 600_000, 100);
  const perLeaver: LeaversDuringSyncResult['perLeaver'] = [];
  await Promise.all(
    opts.leaverIds.map(async (id, k) => {
      await sleep(k * opts.gapMs);
      const sent = Date.now();
      await scimCall(ctx.target, 'PATCH', `/Users/${id}`, DEACTIVATE, 200);
      let row: { latency_ms: number } | undefined;
      await pollUntil(async () => (row = await revokedQ(id)) !== undefined, sent + opts.timeoutMs, 10);
      perLeaver.push({ identityId: id, latencyMs: row?.latency_ms ?? null, syncConverged: await syncConverged() });
    }),
  );
  const syncConvergedAtLastLeaver = await syncConverged();
  ctx.log(
    `    leavers done after ${secondsSince(t0)} s with ${syncConvergedAtLastLeaver}/${opts.syncUsers} sync users converged`,
  );
  const post = await posting;
  await pollUntil(async () => (await syncConverged()) >= opts.syncUsers - post.failures, t0 + opts.timeoutMs * 10, 500);
  const latencies = perLeaver.flatMap((l) => (l.latencyMs === null ? [] : [l.latencyMs]));
  return {
    leavers: opts.leaverIds.length,
    syncUsers: opts.syncUsers,
    post,
    ...summarise(latencies, opts.leaverIds.length),
    syncConvergedAtLastLeaver,
    syncConvergedAtEnd: await syncConverged(),
    syncSeconds: secondsSince(t0),
    perLeaver,
  };
}
