// bench/lifecycle-cli.ts: `node --require tsx/cjs bench/lifecycle.ts [--users N …]`: flags → runLifecycleBench options.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LifecycleOptions } from './lifecycle';
import { VARIANTS } from './lifecycle-apps';

/** Takes the runner as an argument so lifecycle.ts can call this without an import cycle. */
export function runFromCommandLine(run: (opts: LifecycleOptions) => Promise<unknown>): void {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '10000' },
      leavers: { type: 'string', default: '1000' },
      'idle-leavers': { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '32' },
      'ceiling-workflows': { type: 'string', default: '2000' },
      'ceiling-activities': { type: 'string', default: '6' },
      'temporal-db': { type: 'string', default: 'file' },
      variant: { type: 'string', default: 'limited' },
      'limited-latency-ms': { type: 'string', default: '0' },
      'limited-groups': { type: 'string', default: 'on' },
      'isolation-joiners': { type: 'string', default: '100' },
      'isolation-hang-ms': { type: 'string', default: '60000' },
      'isolation-settle-ms': { type: 'string', default: '15000' },
      'sync-leavers': { type: 'string', default: '30' },
      'contention-sync-users': { type: 'string' },
      'reconcile-accounts': { type: 'string', default: '100000' },
      'worker-activities': { type: 'string' },
      'worker-workflow-tasks': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const int = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const choice = <T extends string>(name: 'temporal-db' | 'variant' | 'limited-groups', allowed: readonly T[]): T => {
    const v = values[name] as T;
    if (!allowed.includes(v)) throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
    return v;
  };
  const workerEnv: Record<string, string> = {};
  if (values['worker-activities']) workerEnv.WORKER_MAX_CONCURRENT_ACTIVITIES = String(int('worker-activities'));
  if (values['worker-workflow-tasks'])
    workerEnv.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS = String(int('worker-workflow-tasks'));
  const log = (s: string) => console.log(s);
  run({
    users: int('users'),
    leavers: int('leavers'),
    idleLeavers: int('idle-leavers'),
    concurrency: int('concurrency'),
    ceilingWorkflows: int('ceiling-workflows'),
    ceilingActivities: int('ceiling-activities'),
    isolationJoiners: int('isolation-joiners'),
    isolationHangMs: int('isolation-hang-ms'),
    isolationSettleMs: int('isolation-settle-ms'),
    reconcileAccounts: int('reconcile-accounts'),
    syncLeavers: int('sync-leavers'),
    contentionSyncUsers: values['contention-sync-users'] === undefined ? undefined : int('contention-sync-users'),
    temporalDb: choice('temporal-db', ['file', 'memory'] as const),
    variant: choice('variant', VARIANTS),
    limitedApp: {
      latencyMs: int('limited-latency-ms'),
      groups: choice('limited-groups', ['on', 'off'] as const) === 'on',
    },
    workerEnv,
    // Without --verbose only scimflow's warnings and errors pass (not webpack's bundle listing).
    childLog: values.verbose
      ? (s) => console.error(s)
      : (s) => /\[(WARN|ERROR)\]|\bError\b|\bfailed\b/.test(s) && console.error(s),
    log,
    save: !values['no-save'],
    profileDir: values.profile
      ? path.join(
          process.env.SCIMFLOW_CACHE_DIR || path.join(os.homedir(), '.cache', 'scimflow'),
          'bench',
          'profiles',
          `lifecycle-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        )
      : undefined,
  }).catch((err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  });
}
