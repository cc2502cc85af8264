// test/workflows/lane-harness.ts: a workflow that drives one AppLane with workflow-side stand-ins for its activities,
// so that an interleaving the property test hit by chance is played on purpose (on the real dev server).
import * as wf from '@temporalio/workflow';
import type { IdentitySnapshot } from '../../workflows/contracts';
import { DEFAULT_RETRY_TIMING } from '../../workflows/contracts';
import type { LaneContext } from '../../workflows/app-lane';
import { AppLane } from '../../workflows/app-lane';
import { planApp } from '../../domain/planner/plan';
import type { AppliedApp, DesiredApp } from '../../domain/planner/types';
import type { StepProxies } from '../../workflows/proxies';
import { stepProxies } from '../../workflows/proxies';

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
  lane.dispatch({
    gen: 1,
    seq: 1,
    plan: { appId: APP, revoke: [], grant: [provision] },
    rollback: true,
    callsEnded: 0,
  });
  await wf.condition(() => releaseLoad !== undefined); // the replan is reading
  lane.dispatch({ gen: 2, seq: 2, plan: { appId: APP, revoke: [], grant: [] }, rollback: true, callsEnded: 0 });
  releaseLoad!();
  return { settledNewest: await wf.condition(() => lane.settledFor(2), '5 seconds') };
}

/** The app `gateReplayHarness`'s activities keep slow: its fast first attempt holds the local-activity gate for seconds. */
export const SLOW_APP = 'slow';
/** The app whose first attempt fails (503, retry after a minute): its lane is then unhealthy. */
export const SICK_APP = 'sick';
/** Sent while the slow app's first attempt holds the gate: the sick app gets a new generation. */
export const dispatchSickSignal = wf.defineSignal('dispatchSick');

/**
 * Two lanes of one identity share the real step proxies and local-activity gate. The sick lane's first attempt fails
 * and it waits for the app's Retry-After; the slow lane's first attempt then holds the gate for longer than the
 * workflow task may last, so the workflow task is heartbeated and the signal that hands the sick lane a new generation
 * arrives in a later workflow task than the one where the slow local activity started (on replay, its result and the
 * signal reach the workflow in one activation). Returns once both lanes settled their newest generation.
 */
export async function gateReplayHarness(): Promise<{ settled: boolean }> {
  const timing = {
    ...DEFAULT_RETRY_TIMING,
    initialIntervalMs: 100,
    maximumIntervalMs: 1_000,
    activityTimeoutMs: 10_000,
  };
  const ctx: LaneContext = {
    key: { directoryId: 'dir', identityId: 'id' },
    workflowId: wf.workflowInfo().workflowId,
    timing,
    io: stepProxies(timing),
    changed: () => undefined,
  };
  const sick = new AppLane(SICK_APP, ctx);
  const slow = new AppLane(SLOW_APP, ctx);
  void sick.run();
  void slow.run();
  const grant = (appId: string) => ({
    appId,
    revoke: [],
    grant: [{ kind: 'grantEntitlements' as const, entitlements: ['e'] }],
  });
  const dispatch = (lane: AppLane, gen: number) =>
    lane.dispatch({ gen, seq: gen, plan: grant(lane.appId), rollback: false, callsEnded: lane.callsEnded });
  wf.setHandler(dispatchSickSignal, () => dispatch(sick, 2));
  dispatch(sick, 1);
  await wf.condition(() => sick.blockedKind === 'grant'); // its first attempt failed: the lane is unhealthy
  dispatch(slow, 1);
  const settled = await wf.condition(() => sick.settledFor(2) && slow.settledFor(1), '30 seconds');
  return { settled };
}

/**
 * A leaver's entitlement revocation is on the wire (a scheduled activity: its fast attempt had failed) when the user is
 * reactivated: the identity reads its state, which still records the entitlement as held, and hands the lane a plan
 * without it; then the revocation ends and takes the entitlement away. Returns what the app holds once the lane settled
 * the reactivation.
 */
export async function stalePlanHarness(): Promise<{ held: string[]; settled: boolean }> {
  const app = new Set(['ci']); // what the app holds, and what the store records it holds
  let wanted: string[] = [];
  let releaseRevoke: (() => void) | undefined;
  const want = (): DesiredApp => ({
    appId: APP,
    appName: APP,
    account: 'active',
    specHash: 'h',
    entitlements: wanted,
    onGrantFailure: 'rollback',
    deprovision: 'disable',
  });
  const have = (): AppliedApp => ({
    appId: APP,
    remoteId: 'r1',
    state: 'active',
    specHash: 'h',
    entitlements: [...app],
    revocationVerified: false,
  });
  const io = {
    local: {
      loadIdentity: async () => ({
        desired: { status: 'active', latestSeq: 2, apps: [want()] },
        applied: [have()],
      }),
      recordAppBlock: async () => undefined,
    },
    firstAttempt: async () => ({ ran: false }), // no fast attempt: the scheduled activities take the step
    revocation: {
      // Like activities/entitlement-steps.ts: what is still not wanted was decided when the attempt started.
      revokeEntitlements: ({ step }: { step: { entitlements: string[] } }) => {
        const revoke = step.entitlements.filter((e) => !wanted.includes(e));
        return new Promise<void>((resolve) => {
          releaseRevoke = () => {
            for (const e of revoke) app.delete(e);
            resolve();
          };
        });
      },
    },
    grant: {
      grantEntitlements: async ({ step }: { step: { entitlements: string[] } }) => {
        for (const e of step.entitlements) app.add(e);
        return { outcome: 'done', accountCreated: false };
      },
    },
  } as unknown as StepProxies;
  const lane = new AppLane(APP, {
    key: { directoryId: 'dir', identityId: 'id' },
    workflowId: wf.workflowInfo().workflowId,
    timing: DEFAULT_RETRY_TIMING,
    io,
    changed: () => undefined,
  });
  void lane.run();
  const revoke = { kind: 'revokeEntitlements' as const, entitlements: ['ci'] };
  lane.dispatch({ gen: 1, seq: 1, plan: { appId: APP, revoke: [revoke], grant: [] }, rollback: true, callsEnded: 0 });
  await wf.condition(() => releaseRevoke !== undefined); // the revocation is on the wire
  // The reactivation: the identity reads its state (ci still recorded as held), plans, and dispatches.
  wanted = ['ci'];
  const callsEnded = lane.callsEnded;
  const plan = planApp('active', APP, want(), have());
  lane.dispatch({ gen: 2, seq: 2, plan, rollback: true, callsEnded });
  releaseRevoke!(); // the revocation ends after the read
  const settled = await wf.condition(() => lane.settledFor(2), '5 seconds');
  return { held: [...app], settled };
}
