// worker/create-worker.ts: config → store → connectors → createActivities → Worker.create.
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createConnectorResolver } from '../activities/connectors';
import { shareOf } from '../connectors/worker-share';
import type { Stores } from '../store';
import { TASK_QUEUE } from '../workflows/contracts';

export interface WorkerDeps {
  stores: Stores;
  connection: NativeConnection;
  namespace: string;
  /** Prebuilt bundle (tests bundle once per run); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivities?: number;
  maxConcurrentWorkflowTasks?: number;
  taskQueue?: string;
  /**
   * A shutdown still waiting after this long is forced (worker.run() rejects with GracefulShutdownPeriodExpiredError).
   * The SDK can wait for ever on a workflow task polled during shutdown whose local activity is never started (it is
   * heartbeated every few seconds); a worker must stop when asked.
   */
  shutdownForceTimeMs?: number;
}

/** What `scimflow serve` and `scimflow worker` give a shutdown before forcing it (the process exits right after). */
export const DEFAULT_SHUTDOWN_FORCE_MS = 30_000;

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const slots = { activities: deps.maxConcurrentActivities ?? 100, localActivities: 100 };
  const activities = createActivities({
    stores: deps.stores,
    connectors: createConnectorResolver(deps.stores, shareOf(slots)),
  });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    activities,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: workflowsPath() }),
    maxConcurrentActivityTaskExecutions: slots.activities,
    maxConcurrentLocalActivityExecutions: slots.localActivities,
    maxConcurrentWorkflowTaskExecutions: deps.maxConcurrentWorkflowTasks ?? 100,
    maxCachedWorkflows: 2000,
    ...(deps.shutdownForceTimeMs !== undefined ? { shutdownForceTime: deps.shutdownForceTimeMs } : {}),
  });
}
