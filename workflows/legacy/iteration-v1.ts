// workflows/legacy/iteration-v1.ts: one convergence as the first workflow ran it, frozen for the runs recorded with it.
//
// Workflow histories recorded before the per-app lanes (workflows/identity.ts, PER_APP_LANES_PATCH) replay through this
// code, command for command: one plan for all apps, steps one after another. Nothing new runs here; the identity
// workflow takes it only for iterations whose history has no per-app-lanes marker.
import * as wf from '@temporalio/workflow';
import { truncateLabel } from '../../domain/planner/desired';
import type { IdentityKey, RetryTiming } from '../contracts';
import { SEARCH_ATTRIBUTES } from '../contracts';
import { activityProxies, converge } from './converge-v1';
import { classifyChange, planSteps } from './plan-v1';
import type { AppliedApp, DesiredState, LifecycleLabel, PlanStep } from './types-v1';

/** Marks workflows that load state and record progress through local activities. */
export const LOCAL_BOOKKEEPING_PATCH = 'local-bookkeeping-2026-11';

/** The state the first workflow kept in locals; the identity workflow owns it and lends it to each iteration. */
export interface IterationState {
  lastSeq: number;
  processedSeq: number;
  dirty: boolean;
  exception: string | null;
  lifecycle: LifecycleLabel | 'idle';
}

export interface IterationView {
  desired: DesiredState | null;
  applied: AppliedApp[];
  plan: PlanStep[];
}

function settledLabel(desired: DesiredState): string {
  if (desired.status === 'active') return 'active';
  if (desired.status === 'inactive') return 'suspended';
  return 'deprovisioned';
}

/** Runs one iteration; 'completed' when the identity was deleted and fully revoked (the workflow then returns). */
export async function legacyIteration(
  key: IdentityKey,
  state: IterationState,
  view: IterationView,
  timing: RetryTiming,
): Promise<'continue' | 'completed'> {
  const io = activityProxies(timing);
  state.dirty = false;
  const seqAtStart = state.lastSeq;
  // Patch: histories recorded before local bookkeeping replay through the original activities.
  const localBookkeeping = wf.patched(LOCAL_BOOKKEEPING_PATCH);
  const bookkeeping = localBookkeeping ? io.local : io.reads;
  let desired: DesiredState;
  if (localBookkeeping) ({ desired, applied: view.applied } = await io.local.loadState(key));
  else [desired, view.applied] = await Promise.all([io.reads.loadDesiredState(key), io.reads.loadAppliedState(key)]);
  view.desired = desired;
  view.plan = planSteps(desired, view.applied);
  state.lifecycle = classifyChange(desired, view.plan);
  wf.upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.directory, value: key.directoryId },
    { key: SEARCH_ATTRIBUTES.userName, value: truncateLabel(desired.userName) },
    { key: SEARCH_ATTRIBUTES.lifecycle, value: state.lifecycle === 'steady' ? settledLabel(desired) : state.lifecycle },
  ]);
  const seq = Math.max(seqAtStart, desired.latestSeq);
  const rollback = (appId: string) => desired.apps.find((a) => a.appId === appId)?.onGrantFailure !== 'keep';
  const result = view.plan.length > 0 ? await converge(view.plan, { ...key, seq, rollback }, io, timing) : null;
  state.exception = result?.exception ?? null;
  if (result && !state.exception && result.revocationsVerified && desired.status !== 'active' && desired.deactivatedAt)
    await bookkeeping.recordRevocation({
      ...key,
      seq: desired.deactivatedSeq ?? seq,
      requestedAt: desired.deactivatedAt,
    });
  if (!state.exception) state.processedSeq = Math.max(state.processedSeq, seq);
  view.applied = view.plan.length > 0 ? await bookkeeping.loadAppliedState(key) : view.applied;
  state.lifecycle = state.exception ? state.lifecycle : 'steady';
  const label = state.exception ? 'exception' : settledLabel(desired);
  await bookkeeping.recordProgress({
    ...key,
    processedSeq: state.processedSeq,
    lifecycle: label,
    exception: state.exception,
  });
  wf.upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.lifecycle, value: label },
    { key: SEARCH_ATTRIBUTES.exception, value: state.exception !== null },
  ]);
  return desired.status === 'deleted' && !state.exception && !state.dirty ? 'completed' : 'continue';
}
