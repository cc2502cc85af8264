// worker/config.ts: the Temporal connection keys shared by the worker, the API's client and the CLI.
import os from 'node:os';
import { z } from 'zod';
import { parseEnv } from '../store/env';

/**
 * Workflow tasks a worker runs at once: 10 per core, between 10 and 100. More than the host can run within the 10 s
 * workflow-task timeout makes tasks time out mid-way on a busy host; each is then evicted, replayed and its local
 * activities run again. Measured on 2 cores (bench:cluster, 2,000 users): 100 slots gave 622 evictions and 10.7
 * identities/s on a real Temporal server, 20 slots none and 16.8/s (the dev server: 16.1/s → 21.8/s).
 */
export function defaultWorkflowTaskSlots(cores: number = os.availableParallelism()): number {
  return Math.min(100, Math.max(10, 10 * cores));
}

const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_CLI: z.string().min(1).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(defaultWorkflowTaskSlots()),
  /** `scimflow worker` only: serve GET /metrics on this port (its process has no API to serve them). */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export function loadTemporalConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(TemporalEnv, env, 'Temporal');
  return Object.freeze({
    /** Set: use that server. Unset: `scimflow serve` starts the embedded dev server on `port`/`uiPort`. */
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    port: e.TEMPORAL_PORT,
    uiPort: e.TEMPORAL_UI_PORT,
    cliPath: e.TEMPORAL_CLI,
    worker: {
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    },
    metrics: e.METRICS_PORT === undefined ? undefined : { port: e.METRICS_PORT, host: e.METRICS_HOST },
  });
}

export type TemporalConfig = ReturnType<typeof loadTemporalConfig>;
