// workflows/group-feed.ts: one per webhook app: sends the app its directory's group events in log order, for ever.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { groupsChangedSignal } from './contracts';

/** Retried for ever with backoff (an endpoint that is down for hours is waited for); a page is small, so 5 minutes. */
const { deliverGroupFeed } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

/** Without a signal the feed still looks every so often (a signal lost while the API could not reach Temporal). */
const IDLE_LOOK = '1 minute';
/** Pages per run before continue-as-new keeps the history short. */
const PAGES_PER_RUN = 200;

export async function groupFeedWorkflow(input: { appId: string }): Promise<void> {
  let woken = false;
  wf.setHandler(groupsChangedSignal, () => {
    woken = true;
  });
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    woken = false;
    const result = await deliverGroupFeed({ appId: input.appId });
    if (result.gone) return;
    if (!result.more) await wf.condition(() => woken, IDLE_LOOK);
  }
  await wf.continueAsNew<typeof groupFeedWorkflow>(input);
}
