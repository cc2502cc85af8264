// runtime/stall-reason.ts: why an identity's workflow is not converging, from what Temporal says about its run (pure).

/** What the watchdog learns about an identity's workflow run. */
export interface RunView {
  /** 'RUNNING', 'FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED', 'COMPLETED', 'CONTINUED_AS_NEW', or 'NOT_FOUND'. */
  status: string;
  /** Attempt of the pending workflow task (a task that keeps failing: non-determinism, a payload over a limit…). */
  pendingTaskAttempt?: number;
  /** Message of the run's close event (why it failed or was terminated), when it has one. */
  closeMessage?: string;
}

/** Attempts after which a failing workflow task is an exception rather than a hiccup (a deploy, a worker restart). */
export const FAILING_TASK_ATTEMPTS = 3;

/**
 * The exception to show for an identity with changes its workflow has not processed, or null while its run is healthy
 * (converging, or waiting on an app: a blocked app is already visible per app).
 */
export function stallReason(run: RunView): string | null {
  switch (run.status) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return (run.pendingTaskAttempt ?? 0) >= FAILING_TASK_ATTEMPTS
        ? `workflow task failing (attempt ${run.pendingTaskAttempt}): the worker cannot run this identity's workflow; ` +
            'see the workflow in the Temporal UI, deploy a fix, then `scimflow retry`'
        : null;
    case 'NOT_FOUND':
      return 'no workflow run for this identity: run `scimflow retry` to start one';
    default: {
      const why = run.closeMessage ? `: ${run.closeMessage}` : '';
      return `workflow ${run.status.toLowerCase().replace('_', ' ')}${why}; run \`scimflow retry\` once the cause is fixed`;
    }
  }
}
