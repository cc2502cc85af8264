// workflows/identity.ts: one long-lived workflow per identity; signals only mark work, the loop converges current state.
import * as wf from '@temporalio/workflow';
import { classifyChange, planSteps } from '../domain/planner/plan';
import type { AppliedApp, DesiredState, LifecycleLabel, PlanStep } from '../domain/planner/types';
import { activityProxies, converge } from './converge';
import type { IdentityView, IdentityWorkflowInput, RetryTiming } from './contracts';
import {
  DEFAULT_RETRY_TIMING,
  identityChangedSignal,
  identityQuery,
  resyncUpdate,
  retryExceptionUpdate,
  SEARCH_ATTRIBUTES,
} from './contracts';

/** Marks workflows that load state and record progress through local activities. */
export const LOCAL_BOOKKEEPING_PATCH = 'local-bookkeeping-2026-11';

function settledLabel(desired: DesiredState): string {
  if (desired.status === 'active') return 'active';
  if (desired.status === 'inactive') return 'suspended';
  return 'deprovisioned';
}

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...input.retry };
  const io = activityProxies(timing);
  let lastSeq = input.lastSeq;
  let processedSeq = input.processedSeq ?? 0;
  let dirty = input.dirty ?? true;
  let exception: string | null = input.exception ?? null;
  let lifecycle: LifecycleLabel | 'idle' = 'idle';
  let desired: DesiredState | null = null;
  let applied: AppliedApp[] = [];
  let plan: PlanStep[] = [];

  wf.setHandler(identityChangedSignal, ({ seq, force }) => {
    if (seq <= lastSeq && !force) return; // duplicate or stale poke: converging on current state already covers it
    lastSeq = Math.max(lastSeq, seq);
    dirty = true;
    exception = null; // a new change is a new reason to try; a leaver must never wait behind an old exception
  });
  wf.setHandler(retryExceptionUpdate, () => {
    const retried = exception !== null;
    exception = null;
    dirty = true;
    return { retried };
  });
  wf.setHandler(resyncUpdate, () => {
    dirty = true;
    return { accepted: true };
  });
  wf.setHandler(identityQuery, (): IdentityView => ({
    directoryId: input.directoryId,
    identityId: input.identityId,
    lastSeq,
    processedSeq,
    lifecycle,
    exception,
    desired,
    applied,
    plan,
  }));

  const key = { directoryId: input.directoryId, identityId: input.identityId };
  for (;;) {
    await wf.condition(() => (dirty && exception === null) || wf.workflowInfo().continueAsNewSuggested);
    if (!dirty || exception !== null) break; // only continue-as-new wakes us here
    dirty = false;
    const seqAtStart = lastSeq;
    // Patch: histories recorded before local bookkeeping replay through the original activities.
    const localBookkeeping = wf.patched(LOCAL_BOOKKEEPING_PATCH);
    const bookkeeping = localBookkeeping ? io.local : io.reads;
    if (localBookkeeping) ({ desired, applied } = await io.local.loadState(key));
    else [desired, applied] = await Promise.all([io.reads.loadDesiredState(key), io.reads.loadAppliedState(key)]);
    plan = planSteps(desired, applied);
    lifecycle = classifyChange(desired, plan);
    wf.upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.directory, value: input.directoryId },
      { key: SEARCH_ATTRIBUTES.userName, value: desired.userName },
      { key: SEARCH_ATTRIBUTES.lifecycle, value: lifecycle === 'steady' ? settledLabel(desired) : lifecycle },
    ]);
    const seq = Math.max(seqAtStart, desired.latestSeq);
    const rollback = (appId: string) => desired?.apps.find((a) => a.appId === appId)?.onGrantFailure !== 'keep';
    const result = plan.length > 0 ? await converge(plan, { ...key, seq, rollback }, io, timing) : null;
    exception = result?.exception ?? null;
    if (result && !exception && result.revocationsVerified && desired.status !== 'active' && desired.deactivatedAt)
      await bookkeeping.recordRevocation({
        ...key,
        seq: desired.deactivatedSeq ?? seq,
        requestedAt: desired.deactivatedAt,
      });
    if (!exception) processedSeq = Math.max(processedSeq, seq);
    applied = plan.length > 0 ? await bookkeeping.loadAppliedState(key) : applied;
    lifecycle = exception ? lifecycle : 'steady';
    const label = exception ? 'exception' : settledLabel(desired);
    await bookkeeping.recordProgress({ ...key, processedSeq, lifecycle: label, exception });
    wf.upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.lifecycle, value: label },
      { key: SEARCH_ATTRIBUTES.exception, value: exception !== null },
    ]);
    // A deleted identity that is fully revoked has no future: a re-created user gets a new id (and a new workflow).
    if (desired.status === 'deleted' && !exception && !dirty) return;
  }
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof identityWorkflow>({
    directoryId: input.directoryId,
    identityId: input.identityId,
    lastSeq,
    processedSeq,
    dirty,
    exception: exception ?? undefined,
    retry: input.retry,
  });
}
