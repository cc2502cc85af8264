// bench/lifecycle-ceiling.ts: (a) the raw Temporal ceiling: trivial workflows on their own worker and task queue.
import type { RunStats } from './lifecycle-driver';
import { pollUntil, round, runBounded } from './lifecycle-driver';
import type { PhaseContext } from './lifecycle-phases';
import { secondsSince } from './lifecycle-phases';

export interface CeilingResult {
  workflow: string;
  args: unknown[];
  what: string;
  count: number;
  starts: RunStats;
  completed: number;
  /** First start sent → last close time recorded by the server. */
  seconds: number;
  completedPerSecond: number;
  finished: boolean;
}

export const CEILING_TASK_QUEUE = 'bench-ceiling';

/** The reference shapes: empty; a joiner's count of activities doing nothing; the same as local activities. */
export function ceilingShapes(activities: number): { workflow: string; args: unknown[]; what: string }[] {
  const shapes = [{ workflow: 'emptyWorkflow', args: [] as unknown[], what: 'empty workflow' }];
  if (activities > 0)
    shapes.push(
      { workflow: 'noopActivitiesWorkflow', args: [activities], what: `workflow with ${activities} no-op activities` },
      {
        workflow: 'noopLocalActivitiesWorkflow',
        args: [activities],
        what: `workflow with ${activities} no-op local activities`,
      },
    );
  return shapes;
}

export async function runCeiling(
  ctx: PhaseContext,
  o: { workflow: string; args: unknown[]; what: string; count: number; timeoutMs: number },
): Promise<CeilingResult> {
  const t0 = Date.now();
  const starts = await runBounded(o.count, ctx.concurrency, async (i) => {
    await ctx.client.workflow.start(o.workflow, {
      taskQueue: CEILING_TASK_QUEUE,
      workflowId: `bench-${o.workflow}-${i}`,
      args: o.args,
    });
  });
  const query = `TaskQueue="${CEILING_TASK_QUEUE}" AND WorkflowType="${o.workflow}" AND ExecutionStatus="Completed"`;
  let completed = 0;
  const finished = await pollUntil(
    async () => (completed = (await ctx.client.workflow.count(query)).count) >= o.count - starts.failures,
    t0 + o.timeoutMs,
    200,
  );
  // Visibility is polled every 200 ms; the servers' own close times make the end exact.
  let lastClose = 0;
  if (finished)
    for await (const wf of ctx.client.workflow.list({ query }))
      lastClose = Math.max(lastClose, wf.closeTime?.getTime() ?? 0);
  const seconds = secondsSince(t0, finished ? lastClose : Date.now());
  const { workflow, args, what, count } = o;
  return {
    workflow,
    args,
    what,
    count,
    starts,
    completed,
    seconds,
    completedPerSecond: round(completed / seconds, 1),
    finished,
  };
}
