// runtime/group-feed-client.ts: wakes (or starts) a webhook app's group feed; the API does it after each group write.
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import { groupFeedWorkflowId, groupsChangedSignal, TASK_QUEUE } from '../workflows/contracts';

/** Signal-with-start: the feed of one webhook app runs (from its stored cursor) and looks at the log now. */
export async function pokeGroupFeed(client: Client, appId: string): Promise<void> {
  await client.workflow.signalWithStart('groupFeedWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: groupFeedWorkflowId(appId),
    args: [{ appId }],
    signal: groupsChangedSignal,
    signalArgs: [],
  });
}

/** The webhook apps whose group feed these events concern: apps of the directories with a group or membership change. */
export async function groupFeedsOf(stores: Stores, events: readonly EventRow[]): Promise<string[]> {
  const directories = new Set(
    events.filter((e) => e.resourceType === 'Group' || e.kind === 'membership').map((e) => e.directoryId),
  );
  const appIds: string[] = [];
  for (const d of directories)
    for (const a of await stores.directories.listApps(d)) if (a.type === 'webhook') appIds.push(a.id);
  return appIds;
}
