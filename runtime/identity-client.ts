// runtime/identity-client.ts: the one way any process (API poker, CLI, admin API) signals or retries an identity's workflow.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { IdentityKey, IdentityWorkflowInput } from '../workflows/contracts';
import {
  identityChangedSignal,
  identityWorkflowId,
  retryExceptionUpdate,
  SEARCH_ATTRIBUTES,
  TASK_QUEUE,
} from '../workflows/contracts';

/**
 * Task priority (1 is first, 5 last; Temporal's default is 3). A leaver's workflow is raised to LEAVER_PRIORITY before
 * its signal, so its workflow task and activities pass every backlogged joiner in the task queues; the fairness key
 * (the directory) shares dispatch between tenants. Both need a server whose matching runs the priority/fairness
 * matcher (`matching.useNewMatcher`, `matching.enableFairness`; see docs/operations.md); elsewhere they are ignored.
 */
export const LEAVER_PRIORITY = 1;
export const DEFAULT_PRIORITY = 3;

export interface SignalIdentity extends IdentityKey {
  seq: number;
  /**
   * 'leaver' (deactivated, deleted): the workflow is raised to LEAVER_PRIORITY before the signal; 'rejoin'
   * (reactivated): put back to DEFAULT_PRIORITY. Other changes leave a running workflow's priority as it is.
   */
  priority?: 'leaver' | 'rejoin';
  /** Re-converge even if the workflow has seen `seq` already (replay, resync, retry of a closed run). */
  force?: boolean;
  /** The request that recorded the change (X-Request-Id), for the workflow's log and view. */
  requestId?: string;
  /** Input of a workflow this signal starts (tests inject short retry timings). */
  workflowInput?: Pick<IdentityWorkflowInput, 'retry' | 'historyBudget'>;
}

/** Signal-with-start: wakes the identity's workflow, starting a new run when none is open (a closed one included). */
export async function signalIdentity(client: Client, target: SignalIdentity): Promise<void> {
  const priorityKey = target.priority === 'leaver' ? LEAVER_PRIORITY : DEFAULT_PRIORITY;
  if (target.priority) await setIdentityPriority(client, target, priorityKey);
  await client.workflow.signalWithStart('identityWorkflow', {
    priority: { priorityKey, fairnessKey: target.directoryId },
    taskQueue: TASK_QUEUE,
    workflowId: identityWorkflowId(target.directoryId, target.identityId),
    args: [{ directoryId: target.directoryId, identityId: target.identityId, lastSeq: 0, ...target.workflowInput }],
    signal: identityChangedSignal,
    signalArgs: [
      { seq: target.seq, force: target.force ?? false, ...(target.requestId ? { requestId: target.requestId } : {}) },
    ],
    typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.directory, value: target.directoryId }],
  });
}

/**
 * Sets a running identity workflow's priority (tasks created from now on); none running is fine: signal-with-start
 * then starts one at that priority. A server without the option (older than 1.28) is not an error: order is only lost.
 */
export async function setIdentityPriority(client: Client, target: IdentityKey, priorityKey: number): Promise<void> {
  try {
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: identityWorkflowId(target.directoryId, target.identityId) },
      workflowExecutionOptions: { priority: { priorityKey, fairnessKey: target.directoryId } },
      updateMask: { paths: ['priority'] },
    });
  } catch (err) {
    const code = (err as { code?: number }).code;
    // 5 NOT_FOUND (no run, or a closed one), 12 UNIMPLEMENTED (an older server): signal-with-start still delivers.
    if (code !== 5 && code !== 12) throw err;
  }
}

export interface RetryOutcome {
  /** The workflow was holding an exception, which is cleared and re-converged. */
  retried: boolean;
  /** No run was open (it failed, was terminated, or completed): a new run was started to converge current state. */
  restarted: boolean;
}

/**
 * Retries an identity: an open run re-converges (the retryException update); a run that is not open any more (a
 * workflow that failed, was terminated or timed out, or a deleted identity's completed run) is started again with a
 * forced signal, so "retry after a fix" works whatever stopped the workflow.
 */
export async function retryIdentity(
  client: Client,
  target: IdentityKey & { seq: number; workflowInput?: SignalIdentity['workflowInput'] },
): Promise<RetryOutcome> {
  const handle = client.workflow.getHandle(identityWorkflowId(target.directoryId, target.identityId));
  const open = await handle
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    });
  if (open) {
    try {
      return { ...(await handle.executeUpdate(retryExceptionUpdate)), restarted: false };
    } catch (err) {
      // The run closed between the two calls (a deleted identity completing): start it again below.
      if ((await handle.describe()).status.name === 'RUNNING') throw err;
    }
  }
  await signalIdentity(client, { ...target, force: true });
  return { retried: true, restarted: true };
}
