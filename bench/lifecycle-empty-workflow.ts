// bench/lifecycle-empty-workflow.ts: the ceiling workflows: one that does nothing, and joiner-shaped ones whose activities do nothing.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

interface Noop {
  noop(): Promise<void>;
}
const { noop } = proxyActivities<Noop>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '1 minute' });

export async function emptyWorkflow(): Promise<void> {}

/** Same task shape as a joiner (sequential activities, one workflow task each), with no work inside them. */
export async function noopActivitiesWorkflow(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}

/** The same steps as local activities: they run inside the workflow task, so the server sees one task, not 2N+1. */
export async function noopLocalActivitiesWorkflow(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await local.noop();
}
