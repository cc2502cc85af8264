// workflows/legacy/converge-v1.ts: the first plan executor, frozen: runs recorded before per-app convergence replay through it.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { RetryTiming } from '../contracts';
import type { PlanStep, StepInput } from './types-v1';

export interface ConvergeResult {
  exception: string | null;
  /** True when every revocation in the plan was read back from its app. */
  revocationsVerified: boolean;
}

export function activityProxies(timing: RetryTiming) {
  const base = {
    initialInterval: timing.initialIntervalMs,
    maximumInterval: timing.maximumIntervalMs,
    backoffCoefficient: 2,
  };
  const reads = wf.proxyActivities<Activities>({ startToCloseTimeout: timing.activityTimeoutMs, retry: base });
  // Reads and bookkeeping on our own database run as local activities: no task-queue round trip through the server,
  // which is the throughput ceiling on a small machine (see docs/performance.md).
  const local = wf.proxyLocalActivities<Activities>({ startToCloseTimeout: timing.activityTimeoutMs, retry: base });
  const grants = wf.proxyActivities<Activities>({
    startToCloseTimeout: timing.activityTimeoutMs,
    retry: {
      ...base,
      maximumAttempts: timing.grantMaximumAttempts,
      nonRetryableErrorTypes: ['DownstreamRejectedError'],
    },
  });
  // No attempt cap and no non-retryable types: a revocation is never given up (the activity raises an alert instead).
  const relentless = wf.proxyActivities<Activities>({ startToCloseTimeout: timing.activityTimeoutMs, retry: base });
  return { reads, local, grants, relentless };
}

type Proxies = ReturnType<typeof activityProxies>;

function undoFor(step: PlanStep, input: Omit<StepInput, 'step'>, io: Proxies): (() => Promise<void>) | undefined {
  const key = `${input.idempotencyKey}/undo`;
  if (step.kind === 'grantEntitlement')
    return () =>
      io.relentless.revokeEntitlement({
        ...input,
        idempotencyKey: key,
        step: {
          kind: 'revokeEntitlement',
          stepId: `${step.stepId}/undo`,
          appId: step.appId,
          entitlement: step.entitlement,
        },
      });
  if (step.kind === 'createAccount')
    return () =>
      io.relentless.compensateAccount({
        ...input,
        idempotencyKey: key,
        step: { ...step, stepId: `${step.stepId}/undo` },
      });
  return undefined;
}

export async function converge(
  steps: PlanStep[],
  ctx: { directoryId: string; identityId: string; seq: number; rollback: (appId: string) => boolean },
  io: Proxies,
  timing: RetryTiming,
): Promise<ConvergeResult> {
  const undo: (() => Promise<void>)[] = [];
  let revocationsVerified = true;
  for (const step of steps) {
    const input: StepInput = {
      directoryId: ctx.directoryId,
      identityId: ctx.identityId,
      seq: ctx.seq,
      idempotencyKey: `${wf.workflowInfo().workflowId}/${ctx.seq}/${step.stepId}`,
      step,
      alertAfterAttempts: timing.revocationAlertAfterAttempts,
    };
    switch (step.kind) {
      case 'revokeEntitlement':
        await io.relentless.revokeEntitlement(input);
        continue;
      case 'disableAccount':
        await io.relentless.disableAccount(input);
        continue;
      case 'deleteAccount':
        await io.relentless.deleteAccount(input);
        continue;
      case 'verifyRevoked':
        revocationsVerified = (await io.relentless.verifyRevoked(input)) && revocationsVerified;
        continue;
      default:
    }
    try {
      if (step.kind === 'createAccount') await io.grants.createAccount(input);
      else if (step.kind === 'updateAccount') await io.grants.updateAccount(input);
      else await io.grants.grantEntitlement(input);
      const revert = undoFor(step, input, io);
      if (revert && ctx.rollback(step.appId)) undo.unshift(revert);
    } catch (err) {
      const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
      await wf.CancellationScope.nonCancellable(async () => {
        for (const revert of undo) await revert();
      });
      const rolledBack = undo.length > 0 ? `; ${undo.length} grant(s) of this run were rolled back` : '';
      return { exception: `${step.kind} ${step.stepId} failed: ${cause}${rolledBack}`, revocationsVerified };
    }
  }
  return { exception: null, revocationsVerified };
}
