// bench/lifecycle.ts: the lifecycle bench (issues 4 and 9): Temporal ceiling, initial sync, idle leavers, leaver burst,
// end state read from the apps (table + JSON).
import type { NodeChild } from './lifecycle-procs';
import type { PhaseCpu } from './lifecycle-measure';
import { createMeasurer } from './lifecycle-measure';
import type { ServerProfile } from './lifecycle-server-metrics';
import { findMetricsUrl } from './lifecycle-server-metrics';
import { identityBreakdowns, spread } from './lifecycle-breakdowns';
import type { CeilingResult } from './lifecycle-ceiling';
import { CEILING_TASK_QUEUE, ceilingShapes, runCeiling } from './lifecycle-ceiling';
import { sqliteReader } from './bench-reader';
import type { BurstResult, IdleLeaverResult, PhaseContext, SyncResult } from './lifecycle-phases';
import { runBurst, runIdleLeavers, runInitialSync } from './lifecycle-phases';
import type { Row } from './lifecycle-report';
import { buildRows, codeFingerprint, formatProfile, formatTable, saveResult } from './lifecycle-report';
import { runFromCommandLine } from './lifecycle-cli';
import type { ProfileSummary } from './lifecycle-cpuprofile';
import { summariseProfileDir } from './lifecycle-cpuprofile';
import type { Variant } from './lifecycle-apps';
import { startDownstreamApps } from './lifecycle-apps';
import type { AppSpec } from './lifecycle-stack';
import { startStack } from './lifecycle-stack';
import { startLimitedApp } from './lifecycle-limited';
import type { HangingApp, IsolationResult, LeaversDuringSyncResult } from './lifecycle-contention';
import { runIsolation, runLeaversDuringSync } from './lifecycle-contention';
import type { ReconcileBenchResult } from './lifecycle-reconcile';
import { runReconcile, seedAccounts } from './lifecycle-reconcile';
import type { EndStateResult } from './lifecycle-verify';
import { formatEndState, verifyEndState } from './lifecycle-verify';
import { describeMachine, describeSetup } from './lifecycle-setup';

export interface LifecycleOptions {
  users: number;
  /** Size of the leaver burst (d). */
  leavers: number;
  /** Leavers deactivated one at a time (c). */
  idleLeavers: number;
  log: (s: string) => void;
  concurrency?: number;
  /** Workflows per ceiling run (a); 0 skips the ceiling. */
  ceilingWorkflows?: number;
  /** No-op activities in the joiner-shaped ceiling workflows (regular, then local); 0 skips those runs. */
  ceilingActivities?: number;
  temporalDb?: 'file' | 'memory';
  /** Which downstream apps (see lifecycle-apps.ts); 'limited' by default: one local app + the limited SCIM app. */
  variant?: Variant;
  /** The limited app's added latency per request (default 0) and whether it serves /Groups (default true). */
  limitedApp?: { latencyMs?: number; groups?: boolean };
  /** Env for the scimflow process, e.g. { WORKER_MAX_CONCURRENT_ACTIVITIES: '200' }. */
  workerEnv?: Record<string, string>;
  historySample?: number;
  /** (f) Healthy-tenant joiners timed idle and while the other tenant's app hangs; 0 skips (needs variant 'limited'). */
  isolationJoiners?: number;
  /** How long the hanging app takes to answer each request during (f). */
  isolationHangMs?: number;
  /** Between the other tenant's joiners meeting the hang and the measurement (default 15 s). */
  isolationSettleMs?: number;
  /** (g) Leavers deactivated during a second large sync; 0 skips. */
  syncLeavers?: number;
  /** (g) Size of that sync (default: `users`). */
  contentionSyncUsers?: number;
  /** (h) Accounts the limited app holds (seeded up to this) for `scimflow reconcile`; 0 skips (needs 'limited'). */
  reconcileAccounts?: number;
  syncTimeoutMs?: number;
  burstTimeoutMs?: number;
  /** Write V8 CPU profiles of the scimflow process (all threads, its whole life) here and summarise them. */
  profileDir?: string;
  /** Scimflow's own output lines (worker warnings…); dropped unless given. */
  childLog?: (s: string) => void;
  save?: boolean;
}

export interface LifecycleResult {
  startedAt: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  setup: Record<string, unknown>;
  ceilings: CeilingResult[];
  sync: SyncResult;
  idle: IdleLeaverResult;
  burst: BurstResult;
  endState: EndStateResult;
  cpu: Record<string, PhaseCpu>;
  /** Temporal's own metrics per phase: persistence calls, history task queue waits, schedule-to-start. */
  server: Record<string, ServerProfile | undefined>;
  histories: Awaited<ReturnType<typeof identityBreakdowns>>;
  isolation?: IsolationResult;
  leaversDuringSync?: LeaversDuringSyncResult;
  reconcile?: ReconcileBenchResult;
  profiles?: ProfileSummary[];
  rows: Row[];
  file?: string;
}

export async function runLifecycleBench(opts: LifecycleOptions): Promise<LifecycleResult> {
  const startedAt = new Date().toISOString();
  const { log } = opts;
  const o = {
    concurrency: 32,
    ceilingWorkflows: 2_000,
    ceilingActivities: 6,
    temporalDb: 'file' as const,
    variant: 'limited' as Variant,
    historySample: 30,
    isolationJoiners: 100,
    isolationHangMs: 60_000,
    isolationSettleMs: 15_000,
    syncLeavers: 30,
    reconcileAccounts: 100_000,
    ...opts,
  };
  const contentionSyncUsers = o.contentionSyncUsers ?? o.users;
  if (o.syncLeavers > o.users - o.leavers - o.idleLeavers) throw new Error('syncLeavers must not exceed the stayers');
  const isolation = o.isolationJoiners > 0 && o.variant === 'limited';
  if (o.leavers + o.idleLeavers > o.users) throw new Error('leavers + idleLeavers must not exceed users');
  const syncTimeoutMs = o.syncTimeoutMs ?? Math.max(600_000, o.users * 120);
  const burstTimeoutMs = o.burstTimeoutMs ?? Math.max(300_000, o.leavers * 600);
  const limitedApp = { latencyMs: 0, groups: true, ...o.limitedApp };
  const downstream = await startDownstreamApps(o.variant, limitedApp, log);
  const healthyApp = isolation
    ? await startLimitedApp({ latencyMs: 0, groups: true, log }).catch(async (err: Error) => {
        await downstream.stop();
        throw err;
      })
    : undefined;
  const stopApps = async () => {
    await downstream.stop();
    await healthyApp?.stop();
  };
  const { apps } = downstream;
  const childLog = o.childLog ?? (() => undefined);
  const tenants = healthyApp
    ? [
        {
          name: 'healthy-tenant',
          apps: [
            {
              name: 'app-healthy',
              type: 'scim' as const,
              config: { url: healthyApp.baseUrl, token: healthyApp.token },
            },
          ],
        },
      ]
    : [];
  const stack = await startStack({
    temporalDb: o.temporalDb,
    apps,
    tenants,
    serveEnv: o.workerEnv ?? {},
    log: childLog,
  }).catch(async (err: Error) => {
    await stopApps();
    throw err;
  });
  const stopAll = async () => {
    await stack.stop();
    await stopApps();
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const metricsUrl = await findMetricsUrl(stack.temporalPid);
  if (!metricsUrl) log('  note: the Temporal server metrics endpoint was not found; no server-side profile');
  const { pids, cpu, server, measured } = createMeasurer(metricsUrl, log);
  pids.temporalServer = stack.temporalPid;
  Object.assign(pids, downstream.pids);
  const ctx: PhaseContext = {
    client: stack.client,
    read: sqliteReader(stack.db),
    target: stack.target,
    concurrency: o.concurrency,
    log,
    measured,
  };
  try {
    log(
      `lifecycle bench: ${o.users} users, ${o.idleLeavers} idle leavers, burst of ${o.leavers}; apps ${apps.map((a) => `${a.name}(${a.type})`).join(', ')}`,
    );
    const ceilings: CeilingResult[] = [];
    if (o.ceilingWorkflows > 0) {
      const worker: NodeChild = await stack.startCeilingWorker(CEILING_TASK_QUEUE);
      pids.ceilingWorker = worker.pid;
      for (const shape of ceilingShapes(o.ceilingActivities)) {
        log(`(a) ceiling: ${o.ceilingWorkflows} × ${shape.what}`);
        const c = await measured(`ceiling.${shape.workflow}`, () =>
          runCeiling(ctx, { ...shape, count: o.ceilingWorkflows, timeoutMs: 600_000 }),
        );
        log(`  ${c.completedPerSecond} completed/s (${c.completed} in ${c.seconds} s; starts ${c.starts.perSecond}/s)`);
        ceilings.push(c);
      }
      await worker.stop();
      delete pids.ceilingWorker;
    }

    const code = codeFingerprint();
    log(`scimflow code: ${code.sha256} (${code.files} files, newest change ${code.newestChange})`);
    const profileArgs = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
    const scimflow = await stack.startScimflow(profileArgs);
    pids.scimflow = scimflow.pid;
    log(
      `(b) initial sync: POST ${o.users} users (concurrency ${o.concurrency}), wait until converged in ${apps.length} apps`,
    );
    const { ids, result: sync } = await measured('initialSync', () => runInitialSync(ctx, o.users, syncTimeoutMs));
    log(
      `  ${sync.converged}/${o.users} converged in ${sync.seconds} s (${sync.convergedPerSecond}/s), ${sync.exceptions} exceptions; active accounts per app ${JSON.stringify(sync.appliedActiveByApp)}`,
    );

    const idleIds = ids.slice(ids.length - o.idleLeavers);
    const burstIds = ids.slice(0, o.leavers);
    log(`(c) ${idleIds.length} leavers one at a time`);
    const idle = await measured('idleLeavers', () => runIdleLeavers(ctx, idleIds, { gapMs: 300, timeoutMs: 120_000 }));
    log(`  time to revoke ms: p50 ${idle.p50Ms}, p99 ${idle.p99Ms}, max ${idle.maxMs}, missing ${idle.missing}`);
    log(`(d) burst of ${burstIds.length} leavers`);
    const burst = await measured('burst', () => runBurst(ctx, burstIds, burstTimeoutMs));
    log(
      `  all recorded after ${burst.seconds ?? 'n/a'} s; time to revoke ms: p50 ${burst.p50Ms}, p99 ${burst.p99Ms}, max ${burst.maxMs}, missing ${burst.missing}`,
    );
    log(`(e) end state, read from the apps themselves`);
    const leaverIds = [...burstIds, ...idleIds];
    const leaverSet = new Set(leaverIds);
    const endState = await verifyEndState({
      db: stack.db,
      directoryId: stack.target.directoryId,
      apps,
      appIds: stack.appIds,
      leaverIds,
      stayerIds: ids.filter((id) => !leaverSet.has(id)),
    });
    for (const line of formatEndState(endState)) log(line);

    log(`reading ${o.historySample} workflow histories per phase for the time breakdown`);
    const histories = await identityBreakdowns(stack.client, stack.db, stack.target.directoryId, {
      joiners: spread(ids.slice(o.leavers, ids.length - o.idleLeavers), o.historySample),
      idleLeavers: idleIds,
      burstLeavers: spread(burstIds, o.historySample),
    });

    let isolationResult: IsolationResult | undefined;
    if (isolation) {
      log(`(f) isolation: a healthy tenant's joiners, idle and while the other tenant's app hangs`);
      isolationResult = await measured('isolation', () =>
        runIsolation(ctx, {
          healthy: stack.tenants[0]!.target,
          other: stack.target,
          hanging: controlOf(apps.find((a) => a.name === 'app-limited')!),
          joiners: o.isolationJoiners,
          otherJoiners: 200,
          settleMs: o.isolationSettleMs,
          hangMs: o.isolationHangMs,
          firstIndex: 2 * o.users,
        }),
      );
      log(
        `  joiner p99 ${isolationResult.idle.p99Ms} ms idle, ${isolationResult.whileOtherHangs.p99Ms} ms while the other tenant's app hangs (${isolationResult.p99OverheadPercent} %)`,
      );
    }
    let duringSync: LeaversDuringSyncResult | undefined;
    if (o.syncLeavers > 0) {
      const stayers = ids.slice(o.leavers, ids.length - o.idleLeavers);
      log(`(g) ${o.syncLeavers} leavers while ${contentionSyncUsers} more users sync`);
      duringSync = await measured('leaversDuringSync', () =>
        runLeaversDuringSync(ctx, {
          leaverIds: spread(stayers, o.syncLeavers),
          syncUsers: contentionSyncUsers,
          firstIndex: 3 * o.users,
          gapMs: 500,
          timeoutMs: 600_000,
        }),
      );
      log(
        `  time to revoke ms: p50 ${duringSync.p50Ms}, p99 ${duringSync.p99Ms}, max ${duringSync.maxMs}, missing ${duringSync.missing}; sync converged ${duringSync.syncConvergedAtEnd}/${contentionSyncUsers} in ${duringSync.syncSeconds} s`,
      );
    }

    let reconcile: ReconcileBenchResult | undefined;
    const limitedIndex = apps.findIndex((a) => a.name === 'app-limited');
    if (o.reconcileAccounts > 0 && limitedIndex >= 0) {
      const limitedConfig = apps[limitedIndex]!.config as { url: string; token: string };
      const seeded = await seedAccounts(limitedConfig, o.reconcileAccounts);
      log(
        `(h) scimflow reconcile over ${o.reconcileAccounts} accounts (${seeded} of them seeded, unknown to scimflow)`,
      );
      reconcile = await measured('reconcile', () =>
        runReconcile({
          appId: stack.appIds[limitedIndex]!,
          env: { DATA_DIR: stack.dataDir, TEMPORAL_ADDRESS: stack.temporalAddress },
          seeded,
          log,
        }),
      );
      log(
        `  ${reconcile.accounts} accounts in ${reconcile.seconds} s (${reconcile.accountsPerSecond}/s; wall ${reconcile.wallSeconds} s), peak RSS ${reconcile.peakRssMiB} MiB, findings ${JSON.stringify(reconcile.findings)}, errors ${reconcile.errors}`,
      );
    }

    // A profile is written when the process exits: stop scimflow now (stack.stop() would, after the report).
    if (o.profileDir) await scimflow.stop();
    const profiles = o.profileDir ? summariseProfileDir(o.profileDir) : undefined;
    const retriedActivityAttempts = stack.db
      .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE directory_id = ? AND attempt > 1')
      .get(stack.target.directoryId)!.n;
    const rows = buildRows(
      { ceilings, sync, idle, burst, endState, isolation: isolationResult, leaversDuringSync: duringSync, reconcile },
      o.variant,
    );
    const result: LifecycleResult = {
      startedAt,
      machine: describeMachine(),
      setup: describeSetup({ ...o, apps, limitedApp, code, retriedActivityAttempts }),
      ceilings,
      sync,
      idle,
      burst,
      endState,
      cpu,
      server,
      histories,
      isolation: isolationResult,
      leaversDuringSync: duringSync,
      reconcile,
      profiles,
      rows,
    };
    log('');
    for (const line of formatProfile(result)) log(line);
    log('');
    for (const line of formatTable(rows)) log(line);
    if (o.save !== false) {
      const saved = saveResult(result, o.variant);
      result.file = saved.file;
      log(`saved ${saved.file} and ${saved.latest}`);
    }
    return result;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopAll();
  }
}

/** The limited app's /__control, seen as an app that can be made to hang. */
function controlOf(app: AppSpec): HangingApp {
  const { url, token } = app.config as { url: string; token: string };
  const control = (what: string) => new URL(`/__control/${what}`, url).toString();
  const call = async (what: string, init: RequestInit = {}) => {
    const res = await fetch(control(what), {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    if (!res.ok) throw new Error(`${control(what)} → ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  return {
    setLatency: async (ms) => {
      await call('faults', { method: 'POST', body: JSON.stringify({ latencyMs: ms }) });
    },
    inFlight: async () => Number((await call('load')).inFlight),
  };
}

if (require.main === module) runFromCommandLine(runLifecycleBench);
