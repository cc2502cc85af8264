// api/health.ts: readiness of the database, the Temporal server and a polling worker (GET /healthz).
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import { TASK_QUEUE } from '../workflows/contracts';

export interface HealthReport {
  ok: boolean;
  database: boolean;
  temporal: boolean;
  worker: boolean;
  /** What failed, one `part: reason` per failed check, joined by `; `. */
  detail?: string;
}

/** Each remote check gets this long; /healthz answers within about this much whatever is down (load balancers time out at 1–5 s). */
export const HEALTH_CHECK_TIMEOUT_MS = 800;

/** A worker that polled the task queue this recently counts as alive. */
const WORKER_SEEN_WITHIN_MS = 60_000;

class CheckTimeout extends Error {}

/** `check` under a deadline: Temporal's own (the call is cancelled) and a timer as a backstop (a connect that hangs). */
async function withinDeadline<T>(client: Client, ms: number, check: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms + 50);
  });
  try {
    return await Promise.race([client.withDeadline(Date.now() + ms, check), backstop]);
  } finally {
    clearTimeout(timer);
  }
}

const reason = (err: unknown, timeoutMs: number): string =>
  err instanceof CheckTimeout || /deadline/i.test((err as Error).message ?? '')
    ? `no answer within ${timeoutMs} ms`
    : ((err as Error).message ?? String(err)).split('\n')[0]!;

export async function checkHealth(
  stores: Stores,
  client: Client,
  namespace: string,
  timeoutMs: number = HEALTH_CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const failures: string[] = [];
  let database = false;
  try {
    await stores.ping();
    database = true;
  } catch (err) {
    failures.push(`database: ${reason(err, timeoutMs)}`);
  }
  // The two Temporal calls run at once, each under the deadline.
  const [system, queue] = await Promise.allSettled([
    withinDeadline(client, timeoutMs, () => client.workflowService.getSystemInfo({})),
    withinDeadline(client, timeoutMs, () =>
      client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: TASK_QUEUE },
        taskQueueType: 1, // workflow task pollers
      }),
    ),
  ]);
  const temporal = system.status === 'fulfilled';
  if (system.status === 'rejected') failures.push(`temporal: ${reason(system.reason, timeoutMs)}`);
  let worker = false;
  if (queue.status === 'fulfilled') {
    const recent = Date.now() - WORKER_SEEN_WITHIN_MS;
    worker = (queue.value.pollers ?? []).some((p) => Number(p.lastAccessTime?.seconds ?? 0) * 1000 > recent);
    if (!worker) failures.push(`worker: none polled ${TASK_QUEUE} in the last ${WORKER_SEEN_WITHIN_MS / 1000} s`);
  } else if (temporal) failures.push(`worker: ${reason(queue.reason, timeoutMs)}`);
  else failures.push('worker: unknown while Temporal does not answer');
  const report: HealthReport = { ok: database && temporal && worker, database, temporal, worker };
  if (failures.length > 0) report.detail = failures.join('; ');
  return report;
}
