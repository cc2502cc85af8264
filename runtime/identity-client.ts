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

export interface SignalIdentity extends IdentityKey {
  seq: number;
  /** Re-converge even if the workflow has seen `seq` already (replay, resync, retry of a closed run). */
  force?: boolean;
  /** Input of a workflow this signal starts (tests inject short retry timings). */
  workflowInput?: Pick<IdentityWorkflowInput, 'retry' | 'historyBudget'>;
}

/** Signal-with-start: wakes the identity's workflow, starting a new run when none is open (a closed one included). */
export async function signalIdentity(client: Client, target: SignalIdentity): Promise<void> {
  await client.workflow.signalWithStart('identityWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: identityWorkflowId(target.directoryId, target.identityId),
    args: [{ directoryId: target.directoryId, identityId: target.identityId, lastSeq: 0, ...target.workflowInput }],
    signal: identityChangedSignal,
    signalArgs: [{ seq: target.seq, force: target.force ?? false }],
    typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.directory, value: target.directoryId }],
  });
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
