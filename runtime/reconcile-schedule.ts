// runtime/reconcile-schedule.ts: each app's Temporal Schedule that reconciles it (visible in the Temporal UI).
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { TASK_QUEUE } from '../workflows/contracts';

/** How often an app is reconciled unless `--reconcile-every` says otherwise. */
export const DEFAULT_RECONCILE_EVERY = '6h';

export const reconcileScheduleId = (appId: string) => `scimflow-reconcile-${appId}`;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `6h`, `1d` → milliseconds (at least 5 minutes, at most 30 days); `off` → null. */
export function parseReconcileEvery(text: string): number | null {
  if (text === 'off') return null;
  const match = /^(\d+)([mhd])$/.exec(text);
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : NaN;
  if (!(ms >= 5 * 60_000 && ms <= 30 * 86_400_000))
    throw new Error(`--reconcile-every must be a duration from 5m to 30d (like 30m, 6h, 1d), or off: ${text}`);
  return ms;
}

/**
 * Creates, changes or removes (null) the app's schedule. A run that would overlap a running one is skipped; the
 * workflow id is the schedule's with the run time, so each run shows on its own in the UI.
 */
export async function setReconcileSchedule(client: Client, appId: string, everyMs: number | null): Promise<void> {
  const scheduleId = reconcileScheduleId(appId);
  const handle = client.schedule.getHandle(scheduleId);
  if (everyMs === null) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'reconcileAppWorkflow',
        workflowId: `reconcile-${appId}`,
        taskQueue: TASK_QUEUE,
        args: [{ appId }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { appId },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await handle.update((previous) => ({ ...previous, spec }));
  }
}
