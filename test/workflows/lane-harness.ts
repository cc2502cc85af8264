// test/workflows/lane-harness.ts: a workflow that drives one AppLane with workflow-side stand-ins for its activities,
// so that an interleaving the property test hit by chance is played on purpose (on the real dev server).
import * as wf from '@temporalio/workflow';
import type { IdentitySnapshot } from '../../workflows/contracts';
import { DEFAULT_RETRY_TIMING } from '../../workflows/contracts';
import type { LaneContext } from '../../workflows/app-lane';
import { AppLane } from '../../workflows/app-lane';
import type { StepProxies } from '../../workflows/proxies';

const APP = 'app-1';

/**
 * A grant step says `superseded`; while the lane's replan reads the identity, a newer generation is dispatched.
 * Returns whether the lane reported the newest generation settled.
 */
export async function replanRaceHarness(): Promise<{ settledNewest: boolean }> {
  let releaseLoad: (() => void) | undefined;
  const snapshot = {
    desired: { status: 'deleted', latestSeq: 2, apps: [] },
    applied: [],
  } as unknown as IdentitySnapshot;
  const io = {
    local: {
      loadIdentity: () => new Promise<IdentitySnapshot>((resolve) => (releaseLoad = () => resolve(snapshot))),
      recordAppBlock: async () => undefined,
    },
    // The store changed under the step: the activity answers superseded.
    firstAttempt: async () => ({ ran: true, value: { outcome: 'superseded', accountCreated: false } }),
  } as unknown as StepProxies;
  const ctx: LaneContext = {
    key: { directoryId: 'dir', identityId: 'id' },
    workflowId: wf.workflowInfo().workflowId,
    timing: DEFAULT_RETRY_TIMING,
    io,
    changed: () => undefined,
  };
  const lane = new AppLane(APP, ctx);
  void lane.run();
  const provision = { kind: 'provisionAccount' as const, specHash: 'h', create: true };
  lane.dispatch({ gen: 1, seq: 1, plan: { appId: APP, revoke: [], grant: [provision] }, rollback: true });
  await wf.condition(() => releaseLoad !== undefined); // the replan is reading
  lane.dispatch({ gen: 2, seq: 2, plan: { appId: APP, revoke: [], grant: [] }, rollback: true });
  releaseLoad!();
  return { settledNewest: await wf.condition(() => lane.settledFor(2), '5 seconds') };
}
