// activities/reconcile-activity.ts: the scheduled reconcile (workflows/reconcile.ts) as an activity: the same
// reconcileApp as the CLI's; its repairs' events are delivered by the API's relay (an activity has no Temporal client).
import { countsOf, reconcileApp } from './reconcile-app';
import type { ActivityDeps } from './step-kit';

/** What a scheduled run returns into its workflow's history: counts, never the findings themselves. */
export interface ReconcileSummary {
  appId: string;
  /** Set when nothing ran: the app was removed since the schedule was made. */
  skipped?: string;
  runId?: string;
  scanned?: { accounts: number; groups: number };
  counts?: Record<string, number>;
  errors?: number;
}

export function createReconcileActivities(deps: ActivityDeps) {
  return {
    async reconcileApp(input: { appId: string }): Promise<ReconcileSummary> {
      if (!(await deps.stores.directories.getApp(input.appId)))
        return { appId: input.appId, skipped: 'the app was removed' };
      const report = await reconcileApp(deps.stores, (await deps.connectors(input.appId)).connector, {
        appId: input.appId,
        dryRun: false,
      });
      return {
        appId: input.appId,
        runId: report.runId,
        scanned: report.scanned,
        counts: countsOf(report),
        errors: report.errors.length,
      };
    },
  };
}
