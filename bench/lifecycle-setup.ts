// bench/lifecycle-setup.ts: what the lifecycle bench ran on and with, as saved beside its numbers.
import os from 'node:os';
import { defaultWorkflowTaskSlots } from '../worker/config';
import { DEFAULT_RETRY_TIMING } from '../workflows/contracts';
import type { Variant } from './lifecycle-apps';
import type { AppSpec } from './lifecycle-stack';

export function describeMachine(): { cpus: number; cpuModel?: string; memoryGiB: number; node: string } {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function describeSetup(s: {
  code: unknown;
  temporalDb: 'file' | 'memory';
  apps: AppSpec[];
  variant: Variant;
  limitedApp: { latencyMs: number; groups: boolean };
  concurrency: number;
  workerEnv?: Record<string, string>;
  retriedActivityAttempts: number;
}): Record<string, unknown> {
  return {
    code: s.code,
    topology:
      'Temporal dev server (own process) + `scimflow serve` (API + poker + worker, own process) + this load driver' +
      (s.variant === 'local' ? '' : ' + the second app (own process)'),
    temporalPersistence:
      s.temporalDb === 'file' ? 'SQLite file (WAL, synchronous=NORMAL), as `scimflow serve` uses' : 'in-memory SQLite',
    apps: s.apps.map((a) => ({ name: a.name, type: a.type })), // not the config: it holds the app's token
    variant: s.variant,
    limitedApp:
      s.variant === 'limited'
        ? { ...s.limitedApp, process: 'testkit/limited-scim-app-main.ts (own process)' }
        : undefined,
    concurrency: s.concurrency,
    worker: {
      WORKER_MAX_CONCURRENT_ACTIVITIES: '100 (default)',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: `${defaultWorkflowTaskSlots()} (default: 10 per core, 10–100)`,
      maxCachedWorkflows: 'fixed in worker/create-worker.ts (2000 when this bench was written)',
      ...s.workerEnv,
    },
    retryTiming: {
      ...DEFAULT_RETRY_TIMING,
      note: 'production defaults (no injection); retriedActivityAttempts counts audit rows with attempt > 1',
    },
    retriedActivityAttempts: s.retriedActivityAttempts,
    policy: 'none stored: DEFAULT_POLICY (every app, no entitlements)',
  };
}
