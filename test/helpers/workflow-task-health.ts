// test/helpers/workflow-task-health.ts: tells a workflow that is slow from one whose workflow task keeps failing (a bug),
// and keeps the histories of a failed run.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJson } from './history-json';
import type { Stack } from './stack';

// temporal.api.enums.v1.WorkflowTaskFailedCause (@temporalio/proto is not a direct dependency): NON_DETERMINISTIC_ERROR
// and WORKFLOW_WORKER_UNHANDLED_FAILURE. Other causes (an unhandled command when a signal races a completion, a reset
// sticky queue) are routine and retried.
const BUGS: number[] = [24, 14];

/**
 * A workflow task that fails on a nondeterminism or a throw in workflow code is retried for ever and the workflow makes no
 * progress: waiting for its convergence would only time out. Returns the recorded failure, or undefined.
 */
export async function failingWorkflowTask(stack: Stack, workflowId: string): Promise<string | undefined> {
  const handle = stack.client.workflow.getHandle(workflowId);
  const events = (await handle.fetchHistory().catch(() => undefined))?.events ?? []; // not started yet: nothing failed
  const failed = events.filter((e) => {
    const cause = e.workflowTaskFailedEventAttributes?.cause;
    return cause !== undefined && cause !== null && BUGS.includes(cause);
  });
  const last = failed.at(-1)?.workflowTaskFailedEventAttributes;
  return last ? `workflow task failed ${failed.length} time(s): ${last.failure?.message ?? 'no message'}` : undefined;
}

/** Writes each workflow's history as JSON (the CLI's format) to `toDir`, for replaying a counterexample offline. */
export async function writeHistories(stack: Stack, workflows: { name: string; workflowId: string }[], toDir: string) {
  fs.mkdirSync(toDir, { recursive: true });
  for (const { name, workflowId } of workflows) {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    fs.writeFileSync(path.join(toDir, `${name}.json`), historyToJson(history));
  }
}
