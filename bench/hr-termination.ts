// bench/hr-termination.ts: `npm run bench:hr`: time to revoke from an HR termination's effective time (issue 13), at
// idle and while a burst of SCIM user creations runs. Terminations arrive signed (Standard Webhooks) ahead of their
// effective time; the identity workflow's durable timer fires then, and `revocations.latency_ms` (effective time →
// every app verified) is the measure. Prints a table and saves JSON (bench/results/hr-termination-<time>.json).
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { ENTERPRISE_URN } from '../domain/hr/match';
import { parsePolicy } from '../domain/policy/policy';
import { createStores } from '../store';
import { openDatabase } from '../store/db';
import type { RunStats, ScimTarget } from './lifecycle-driver';
import { every, percentile, pollUntil, round, runBounded, scimCall, sleep, userBody } from './lifecycle-driver';
import { alignColumns, codeFingerprint, saveNamedResult } from './lifecycle-report';
import { describeMachine } from './lifecycle-setup';
import type { Stack } from './lifecycle-stack';
import { startStack } from './lifecycle-stack';

const APP = 'wiki';
const ENTITLEMENT = 'reader';
/** Idle terminations take effect from now + 5 s, one every 500 ms: each timer fires on its own. */
const IDLE_LEAD_MS = 5_000;
const IDLE_GAP_MS = 500;
/** Between sending the burst's terminations and its first POST. */
const BURST_LEAD_MS = 3_000;

interface Options {
  users: number;
  terminations: number;
  burst: number;
  concurrency: number;
  log: (line: string) => void;
  childLog: (line: string) => void;
}

/** One termination as sent, and what scimflow recorded of it. */
interface Termination {
  eventId: string;
  employeeNumber: string;
  identityId: string;
  /** The effective time sent (and the revocation's requested_at). */
  effectiveAt: string;
  /** The HR endpoint's answer: 'scheduled' unless the effective time had passed when it arrived. */
  status: string;
  requestedAt: string | null;
  verifiedAt: string | null;
  latencyMs: number | null;
  /** The wiki account was seen disabled (or gone) while its effective time was still ahead. */
  disabledEarlyInApp: boolean;
  /** After the phase: the wiki account is still active or still holds entitlements. */
  stillActiveAfter: boolean;
}

interface ScenarioResult {
  scenario: 'idle' | 'burst';
  terminations: number;
  revoked: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** verified_at < requested_at: revoked before the effective time. Must be 0. */
  early: number;
  /** Wiki accounts seen disabled before their effective time by the driver's polling. Must be 0. */
  earlyInApp: number;
  /** Answered 'applied' rather than 'scheduled' (the effective time had passed on arrival: not a timer measure). */
  notScheduled: number;
  stillActiveAfter: number;
  perTermination: Termination[];
}

interface BurstLoad {
  users: number;
  post: RunStats;
  /** First POST → last burst user converged ('active' in identity_progress), when all did. */
  convergedSeconds: number | null;
  converged: number;
  /** The estimate the effective times were spread over (the middle half of it). */
  estimatedWindowSeconds: number;
  /** Terminations whose effective time fell between the first POST and the last burst user converging. */
  terminationsInWindow: number;
  timeline: { s: number; posted: number; converged: number; revoked: number }[];
}

interface PopulationResult {
  users: number;
  post: RunStats;
  /** First POST → every user's wiki account active with its entitlement. */
  seconds: number;
  provisionedPerSecond: number;
}

export interface HrTerminationResult {
  startedAt: string;
  machine: ReturnType<typeof describeMachine>;
  setup: Record<string, unknown>;
  population: PopulationResult;
  idle: ScenarioResult;
  burst: ScenarioResult & { load: BurstLoad };
  file?: string;
}

const employeeNumber = (i: number) => `E${i}`;

/** A bench user with the enterprise extension's employeeNumber (the default HR match key). */
function hrUserBody(i: number): Record<string, unknown> {
  const body = userBody(i);
  return {
    ...body,
    schemas: [...(body.schemas as string[]), ENTERPRISE_URN],
    [ENTERPRISE_URN]: { employeeNumber: employeeNumber(i) },
  };
}

/** Stores the policy (everyone gets wiki/reader) and a fresh HR signing secret; before `scimflow serve` starts. */
async function seedHr(stack: Stack): Promise<string> {
  const db = await openDatabase({ file: stack.db.name, synchronous: 'NORMAL' });
  try {
    const stores = createStores(db);
    await stores.policies.put(
      stack.target.directoryId,
      parsePolicy({
        baseline: 'all',
        rules: [{ name: 'everyone', grant: [{ app: APP, entitlements: [ENTITLEMENT] }] }],
      }),
    );
    return (await stores.hr.newSecret(stack.target.directoryId, 0)).secret;
  } finally {
    db.close();
  }
}

/** Sends one signed termination; anything but 201 is an error. */
async function sendTermination(
  target: ScimTarget,
  webhook: Webhook,
  eventId: string,
  person: string,
  effectiveAt: Date,
): Promise<{ identityId: string; effectiveAt: string; status: string }> {
  const body = JSON.stringify({
    id: eventId,
    type: 'termination',
    person: { employeeNumber: person },
    effectiveAt: effectiveAt.toISOString(),
  });
  const now = new Date();
  const res = await fetch(`${target.baseUrl}/hr/v1/${target.directoryId}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign(eventId, now, body),
    },
    body,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`HR termination ${eventId} → ${res.status} ${text.slice(0, 200)}`);
  const answer = JSON.parse(text) as { identityId: string | null; effectiveAt: string; status: string };
  if (!answer.identityId) throw new Error(`HR termination ${eventId} matched no identity (${answer.status})`);
  return { identityId: answer.identityId, effectiveAt: answer.effectiveAt, status: answer.status };
}

/** Sends the terminations (at most 8 in flight), one per person, effective at `at[k]`. */
async function sendTerminations(
  target: ScimTarget,
  webhook: Webhook,
  tag: string,
  people: { index: number; identityId: string }[],
  at: Date[],
): Promise<Termination[]> {
  const out: Termination[] = [];
  const stats = await runBounded(people.length, 8, async (k) => {
    const { index, identityId } = people[k]!;
    const eventId = `${tag}-${k + 1}`;
    const answer = await sendTermination(target, webhook, eventId, employeeNumber(index), at[k]!);
    if (answer.identityId !== identityId)
      throw new Error(`${eventId}: matched ${answer.identityId}, not the user created (${identityId})`);
    out[k] = {
      eventId,
      employeeNumber: employeeNumber(index),
      identityId,
      effectiveAt: answer.effectiveAt,
      status: answer.status,
      requestedAt: null,
      verifiedAt: null,
      latencyMs: null,
      disabledEarlyInApp: false,
      stillActiveAfter: false,
    };
  });
  if (stats.failures > 0) throw new Error(`${stats.failures} terminations refused: ${stats.firstFailure}`);
  return out;
}

/** Reads of scimflow's database the phases poll. */
function queries(stack: Stack) {
  const dir = stack.target.directoryId;
  const appId = stack.appIds[0]!;
  const revocations = stack.db.prepare<
    [string],
    { identity_id: string; requested_at: string; verified_at: string; latency_ms: number }
  >('SELECT identity_id, requested_at, verified_at, latency_ms FROM revocations WHERE directory_id = ?');
  const provisioned = stack.db.prepare<[string, string, string], { identity_id: string }>(
    `SELECT x.identity_id FROM applied_accounts x JOIN local_accounts l ON l.app_id = x.app_id AND l.id = x.remote_id
     WHERE x.directory_id = ? AND x.app_id = ? AND x.state = 'active' AND l.active = 1
       AND EXISTS (SELECT 1 FROM json_each(l.entitlements_json) WHERE value = ?)`,
  );
  const settled = stack.db.prepare<[string], { identity_id: string; updated_at: string }>(
    "SELECT identity_id, updated_at FROM identity_progress WHERE directory_id = ? AND lifecycle = 'active'",
  );
  const account = stack.db.prepare<[string, string, string], { active: number; entitlements_json: string }>(
    `SELECT l.active, l.entitlements_json FROM applied_accounts x JOIN local_accounts l
       ON l.app_id = x.app_id AND l.id = x.remote_id WHERE x.directory_id = ? AND x.identity_id = ? AND x.app_id = ?`,
  );
  return {
    revocations: () => revocations.all(dir),
    /** Identities whose wiki account is active with the entitlement, as applied and in the app itself. */
    provisioned: () => new Set(provisioned.all(dir, appId, ENTITLEMENT).map((r) => r.identity_id)),
    /** Identities whose workflow has settled with them active, and when. */
    settled: () => new Map(settled.all(dir).map((r) => [r.identity_id, r.updated_at])),
    /** The identity's wiki account: active and with entitlements (undefined: none). */
    account: (identityId: string) => {
      const row = account.get(dir, identityId, appId);
      return row && { active: row.active === 1, entitlements: JSON.parse(row.entitlements_json) as string[] };
    },
  };
}
type Queries = ReturnType<typeof queries>;

/** Creates users `from…from+count-1` through SCIM; ids[i - from] is user i's id (undefined when its POST failed). */
async function createUsers(
  target: ScimTarget,
  from: number,
  count: number,
  concurrency: number,
  onCreated: (id: string) => void = () => undefined,
): Promise<{ ids: (string | undefined)[]; post: RunStats }> {
  const ids: (string | undefined)[] = new Array<string | undefined>(count);
  const post = await runBounded(count, concurrency, async (k) => {
    const body = await scimCall(target, 'POST', '/Users', hrUserBody(from + k), 201);
    ids[k] = String(body.id);
    onCreated(ids[k]);
  });
  return { ids, post };
}

/**
 * Polls until every termination has its revocation row (or `deadline`), filling in each one's row; meanwhile checks
 * that no wiki account of a termination still ahead is seen disabled.
 */
async function awaitRevocations(
  q: Queries,
  terms: Termination[],
  deadline: number,
  log: (line: string) => void,
): Promise<boolean> {
  const byId = new Map(terms.map((t) => [t.identityId, t]));
  const fill = () => {
    for (const r of q.revocations()) {
      const t = byId.get(r.identity_id);
      if (!t || t.latencyMs !== null) continue;
      Object.assign(t, { requestedAt: r.requested_at, verifiedAt: r.verified_at, latencyMs: r.latency_ms });
    }
    for (const t of terms) {
      if (t.disabledEarlyInApp || Date.now() >= Date.parse(t.effectiveAt)) continue;
      const account = q.account(t.identityId);
      // Only counted when the effective time is still ahead after the read (the read itself takes time).
      if ((!account || !account.active) && Date.now() < Date.parse(t.effectiveAt)) t.disabledEarlyInApp = true;
    }
    return terms.every((t) => t.latencyMs !== null);
  };
  const stopLogging = every(2_000, () =>
    log(`  revoked ${terms.filter((t) => t.latencyMs !== null).length}/${terms.length}`),
  );
  try {
    return await pollUntil(fill, deadline, 50);
  } finally {
    stopLogging();
  }
}

function summarise(scenario: ScenarioResult['scenario'], q: Queries, terms: Termination[]): ScenarioResult {
  for (const t of terms) {
    const account = q.account(t.identityId);
    t.stillActiveAfter = account !== undefined && (account.active || account.entitlements.length > 0);
  }
  const latencies = terms.flatMap((t) => (t.latencyMs === null ? [] : [t.latencyMs]));
  return {
    scenario,
    terminations: terms.length,
    revoked: latencies.length,
    missing: terms.length - latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : NaN,
    early: terms.filter((t) => t.latencyMs !== null && t.latencyMs < 0).length,
    earlyInApp: terms.filter((t) => t.disabledEarlyInApp).length,
    notScheduled: terms.filter((t) => t.status !== 'scheduled').length,
    stillActiveAfter: terms.filter((t) => t.stillActiveAfter).length,
    perTermination: terms,
  };
}

const secondsBetween = (from: number, to: number) => round((to - from) / 1000, 2);

async function runBench(o: Options): Promise<HrTerminationResult> {
  const startedAt = new Date().toISOString();
  const { log } = o;
  if (o.terminations < 1 || 2 * o.terminations > o.users)
    throw new Error(
      '--terminations must be at least 1 and at most half of --users (idle and burst each take their own)',
    );
  const stack = await startStack({
    temporalDb: 'file',
    apps: [{ name: APP, type: 'local' }],
    serveEnv: {},
    log: o.childLog,
  });
  const onSignal = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const webhook = new Webhook(await seedHr(stack));
    await stack.startScimflow();
    const q = queries(stack);
    const target = stack.target;

    log(`population: POST ${o.users} users (concurrency ${o.concurrency}), wait for every ${APP} account`);
    const t0 = Date.now();
    const created = await createUsers(target, 0, o.users, o.concurrency);
    if (created.post.failures > 0)
      throw new Error(`${created.post.failures} population POSTs failed: ${created.post.firstFailure}`);
    const ids = created.ids as string[];
    const ready = () => {
      const provisioned = q.provisioned();
      const settled = q.settled();
      return ids.filter((id) => provisioned.has(id) && settled.has(id)).length;
    };
    const stopLogging = every(5_000, () => log(`  provisioned ${ready()}/${o.users}`));
    const provisioned = await pollUntil(() => ready() === o.users, t0 + Math.max(300_000, o.users * 300), 200);
    stopLogging();
    if (!provisioned) throw new Error(`only ${ready()}/${o.users} ${APP} accounts provisioned in time`);
    const seconds = secondsBetween(t0, Date.now());
    const population: PopulationResult = {
      users: o.users,
      post: created.post,
      seconds,
      provisionedPerSecond: round(o.users / seconds, 1),
    };
    log(
      `  ${o.users} provisioned in ${seconds} s (${population.provisionedPerSecond}/s; POST ${created.post.perSecond}/s)`,
    );

    // (1) idle: effective at now + 5 s, + 5.5 s, …
    const n = o.terminations;
    const person = (i: number) => ({ index: i, identityId: ids[i]! });
    const idleBase = Date.now() + IDLE_LEAD_MS;
    const idleAt = Array.from({ length: n }, (_, k) => new Date(idleBase + k * IDLE_GAP_MS));
    log(`(1) idle: ${n} terminations effective from +${IDLE_LEAD_MS / 1000} s, one every ${IDLE_GAP_MS} ms`);
    const idleTerms = await sendTerminations(
      target,
      webhook,
      'idle',
      Array.from({ length: n }, (_, k) => person(k)),
      idleAt,
    );
    await awaitRevocations(q, idleTerms, idleAt[n - 1]!.getTime() + Math.max(120_000, n * 2_000), log);
    const idle = summarise('idle', q, idleTerms);
    log(`  time to revoke ms: p50 ${idle.p50Ms}, p99 ${idle.p99Ms}, max ${idle.maxMs}; missing ${idle.missing}`);

    // (2) burst: effective over the middle half of the burst's estimated window (at the population's provisioning rate).
    const estimatedWindowMs = Math.max(10_000, (o.burst / population.provisionedPerSecond) * 1000);
    const burstStart = Date.now() + BURST_LEAD_MS;
    const burstAt = Array.from(
      { length: n },
      (_, k) => new Date(burstStart + estimatedWindowMs * (n === 1 ? 0.5 : 0.25 + (0.5 * k) / (n - 1))),
    );
    log(
      `(2) burst: ${n} terminations effective over +${round((0.25 * estimatedWindowMs) / 1000, 1)}…+${round((0.75 * estimatedWindowMs) / 1000, 1)} s of ${o.burst} user creations (estimated ${round(estimatedWindowMs / 1000, 1)} s)`,
    );
    const burstTerms = await sendTerminations(
      target,
      webhook,
      'burst',
      Array.from({ length: n }, (_, k) => person(n + k)),
      burstAt,
    );
    await sleep(Math.max(0, burstStart - Date.now()));
    const postStart = Date.now();
    let posted = 0;
    const burstIds = new Set<string>();
    const revokedNow = () => burstTerms.filter((t) => t.latencyMs !== null).length;
    const burstSettled = () => {
      let count = 0;
      let last = 0;
      for (const [id, at] of q.settled()) {
        if (!burstIds.has(id)) continue;
        count += 1;
        last = Math.max(last, Date.parse(at));
      }
      return { count, last };
    };
    const timeline: BurstLoad['timeline'] = [];
    const sample = () => {
      const point = {
        s: secondsBetween(postStart, Date.now()),
        posted,
        converged: burstSettled().count,
        revoked: revokedNow(),
      };
      timeline.push(point);
      log(
        `  t=${point.s}s posted ${point.posted}/${o.burst}, converged ${point.converged}, revoked ${point.revoked}/${n}`,
      );
    };
    const stopSampling = every(2_000, sample);
    const revoking = awaitRevocations(
      q,
      burstTerms,
      burstAt[n - 1]!.getTime() + Math.max(600_000, o.burst * 300),
      () => undefined,
    );
    revoking.catch(() => undefined); // awaited below, after the POSTs
    const burstPost = await createUsers(target, o.users, o.burst, o.concurrency, (id) => {
      posted += 1;
      burstIds.add(id);
    });
    log(
      `  POST phase: ${burstPost.post.perSecond} req/s in ${burstPost.post.seconds} s, ${burstPost.post.failures} failed${burstPost.post.firstFailure ? ` (${burstPost.post.firstFailure})` : ''}`,
    );
    await revoking;
    const burstConverged = await pollUntil(
      () => burstSettled().count >= burstIds.size,
      postStart + Math.max(600_000, o.burst * 600),
      250,
    );
    stopSampling();
    sample();
    const settledNow = burstSettled();
    const windowEnd = burstConverged ? settledNow.last : Date.now();
    const load: BurstLoad = {
      users: o.burst,
      post: burstPost.post,
      convergedSeconds: burstConverged ? secondsBetween(postStart, settledNow.last) : null,
      converged: settledNow.count,
      estimatedWindowSeconds: round(estimatedWindowMs / 1000, 1),
      terminationsInWindow: burstTerms.filter((t) => {
        const at = Date.parse(t.effectiveAt);
        return at >= postStart && at <= windowEnd;
      }).length,
      timeline,
    };
    const burst = { ...summarise('burst', q, burstTerms), load };
    log(
      `  time to revoke ms: p50 ${burst.p50Ms}, p99 ${burst.p99Ms}, max ${burst.maxMs}; missing ${burst.missing}; burst converged in ${load.convergedSeconds ?? 'n/a'} s, ${load.terminationsInWindow}/${n} effective inside it`,
    );

    return {
      startedAt,
      machine: describeMachine(),
      setup: {
        code: codeFingerprint(),
        topology: 'Temporal dev server (file db) + `scimflow serve` (own process) + this driver; one local app',
        app: APP,
        policy: { baseline: 'all', rules: [{ name: 'everyone', grant: [{ app: APP, entitlements: [ENTITLEMENT] }] }] },
        users: o.users,
        terminations: o.terminations,
        burst: o.burst,
        concurrency: o.concurrency,
        idleLeadMs: IDLE_LEAD_MS,
        idleGapMs: IDLE_GAP_MS,
        measure: 'revocations.latency_ms: the termination effective time (requested_at) → every app verified',
      },
      population,
      idle,
      burst,
    };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stack.stop();
  }
}

function formatTable(r: HrTerminationResult): string[] {
  const fmt = (v: number | null) => (v === null || Number.isNaN(v) ? 'n/a' : String(v));
  const load = r.burst.load;
  const rows = [
    ['scenario', 'terminations', 'p50 ms', 'p99 ms', 'max ms', 'early', 'missing', 'load'],
    ...[r.idle, r.burst].map((s) => [
      s.scenario,
      String(s.terminations),
      fmt(s.p50Ms),
      fmt(s.p99Ms),
      fmt(s.maxMs),
      `${s.early}${s.earlyInApp ? ` (+${s.earlyInApp} in app)` : ''}`,
      String(s.missing),
      s.scenario === 'idle'
        ? `none (${r.population.users} users provisioned)`
        : `${load.users} POSTs in ${load.post.seconds} s, converged in ${fmt(load.convergedSeconds)} s; ${load.terminationsInWindow}/${s.terminations} effective inside`,
    ]),
  ];
  return alignColumns(rows);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '200' },
      terminations: { type: 'string', default: '30' },
      burst: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '32' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const int = (name: 'users' | 'terminations' | 'burst' | 'concurrency') => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const log = (line: string) => console.log(line);
  const result = await runBench({
    users: int('users'),
    terminations: int('terminations'),
    burst: int('burst'),
    concurrency: int('concurrency'),
    log,
    // Without --verbose only scimflow's warnings and errors pass.
    childLog: values.verbose
      ? (s) => console.error(s)
      : (s) => /\[(WARN|ERROR)\]|\bError\b|\bfailed\b/.test(s) && console.error(s),
  });
  const problems = [result.idle, result.burst].flatMap((s) =>
    [
      s.early ? `${s.early} revoked before the effective time` : '',
      s.earlyInApp ? `${s.earlyInApp} accounts disabled before the effective time` : '',
      s.missing ? `${s.missing} never revoked` : '',
      s.notScheduled ? `${s.notScheduled} not scheduled (effective time passed on arrival)` : '',
      s.stillActiveAfter ? `${s.stillActiveAfter} ${APP} accounts still active after revocation` : '',
    ]
      .filter(Boolean)
      .map((p) => `${s.scenario}: ${p}`),
  );
  log('');
  for (const line of formatTable(result)) log(line);
  for (const p of problems) log(`PROBLEM ${p}`);
  const saved = saveNamedResult('hr-termination', result);
  result.file = saved.file;
  log(`saved ${saved.file} and ${saved.latest}`);
  if (problems.length > 0) process.exitCode = 1;
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  });
