// workflows/reconcile.ts: one reconcile of one app, started by the app's Temporal Schedule (runtime/reconcile-schedule.ts).
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileSummary } from '../activities/reconcile-activity';

const { reconcileApp } = wf.proxyActivities<Activities>({
  // A scan of 100,000 accounts takes about a minute here; an hour leaves room for slow apps. Heartbeats (every
  // activity sends them) show a lost worker within a minute.
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function reconcileAppWorkflow(input: { appId: string }): Promise<ReconcileSummary> {
  return reconcileApp({ appId: input.appId });
}
