// api/health.ts: readiness of the database, the Temporal server and a polling worker (GET /healthz).
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import { TASK_QUEUE } from '../workflows/contracts';

export interface HealthReport {
  ok: boolean;
  database: boolean;
  temporal: boolean;
  worker: boolean;
  detail?: string;
}

export async function checkHealth(stores: Stores, client: Client, namespace: string): Promise<HealthReport> {
  const report: HealthReport = { ok: false, database: false, temporal: false, worker: false };
  try {
    stores.db.prepare('SELECT 1').get();
    report.database = true;
    await client.workflowService.getSystemInfo({});
    report.temporal = true;
    const queue = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: 1, // workflow task pollers
    });
    const recent = Date.now() - 60_000;
    report.worker = (queue.pollers ?? []).some((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return seconds * 1000 > recent;
    });
  } catch (err) {
    report.detail = (err as Error).message;
  }
  report.ok = report.database && report.temporal && report.worker;
  return report;
}
