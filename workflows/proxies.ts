// workflows/proxies.ts: how the identity workflow calls its activities: bookkeeping, fast first attempts, relentless retries.
import * as wf from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import type { RetryTiming } from './contracts';
import { NEEDS_A_HUMAN, REFUSED } from './contracts';
import { gated, LocalGate } from './local-gate';

/**
 * A fast first attempt gives up sooner than a scheduled one: while it runs it holds the workflow's local-activity gate,
 * and a slow app belongs on the scheduled path (retried, heartbeated, visible in the Temporal UI).
 */
export const FAST_ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * Marks runs in which a lane whose app just failed waits for the local-activity gate like any other. Runs recorded before
 * it replay the old rule: such a lane took the gate only when it happened to be free (`LocalGate.tryRun`).
 */
export const SICK_APPS_WAIT_PATCH = 'sick-apps-wait-for-gate-2026-12';

/** Temporal task priority of revocations and undos (1 is first; 3 is the default). */
const REVOCATION_PRIORITY = 1;

export type ActivityProxy = ReturnType<typeof wf.proxyLocalActivities<Activities>>;

export function stepProxies(timing: RetryTiming) {
  const base = {
    initialInterval: timing.initialIntervalMs,
    maximumInterval: timing.maximumIntervalMs,
    backoffCoefficient: 2,
  };
  const scheduled = {
    startToCloseTimeout: timing.activityTimeoutMs,
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    // A cancelled grant is awaited until its activity has really stopped: a revocation that follows must not race a
    // create still on the wire.
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
  const gate = new LocalGate();
  const fast = wf.proxyLocalActivities<Activities>({
    startToCloseTimeout: Math.min(timing.activityTimeoutMs, FAST_ATTEMPT_TIMEOUT_MS),
    retry: { maximumAttempts: 1 },
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return {
    /** Reads and writes on scimflow's own database: no task-queue round trip through the server. */
    local: gated(
      wf.proxyLocalActivities<Activities>({ startToCloseTimeout: timing.activityTimeoutMs, retry: base }),
      gate,
    ),
    /**
     * The first attempt of a downstream step, as a local activity: a leaver's whole revocation then fits in one
     * workflow task, where scheduled activities cost three server round trips each (the dev server's ceiling). It
     * waits for the workflow's local-activity gate, whether the app's last call (`healthy`) failed or not: whether the
     * gate is free at a given instant is not something replay reproduces (workflows/local-gate.ts). The caller falls
     * back to the scheduled proxies below, which retry, heartbeat and show in the Temporal UI, when it fails
     * (`ran: false`: only in runs recorded before SICK_APPS_WAIT_PATCH, when the gate was busy).
     */
    firstAttempt: <T>(
      call: (io: ActivityProxy) => Promise<T>,
      healthy: boolean,
    ): Promise<{ ran: true; value: T } | { ran: false }> =>
      healthy || wf.patched(SICK_APPS_WAIT_PATCH)
        ? gate.run(async () => ({ ran: true as const, value: await call(fast) }))
        : gate.tryRun(() => call(fast)),
    /**
     * Grants: none on a refusal; transient failures in rounds of `grantMaximumAttempts`, after each of which the app is
     * marked blocked (visible) and the lane waits one maximum interval; cancelled by a newer change.
     */
    grant: wf.proxyActivities<Activities>({
      ...scheduled,
      retry: {
        ...base,
        maximumAttempts: timing.grantMaximumAttempts,
        nonRetryableErrorTypes: [...REFUSED, ...NEEDS_A_HUMAN],
      },
    }),
    /**
     * Revocations: retried on every failure, refusals included, in rounds of `revocationAlertAfterAttempts`; after each
     * round the app is marked blocked (visible) and the workflow starts another. Only an ambiguous match stops them.
     */
    revocation: wf.proxyActivities<Activities>({
      ...scheduled,
      // Ahead of every grant in the activity queue, whatever the workflow's own priority (the fairness key is inherited).
      priority: { priorityKey: REVOCATION_PRIORITY },
      retry: { ...base, maximumAttempts: timing.revocationAlertAfterAttempts, nonRetryableErrorTypes: NEEDS_A_HUMAN },
    }),
    /** Undoing a failed run's grants: retried without limit, never cancelled. */
    undo: wf.proxyActivities<Activities>({ ...scheduled, retry: base, priority: { priorityKey: REVOCATION_PRIORITY } }),
  };
}

export type StepProxies = ReturnType<typeof stepProxies>;

/** The application failure type behind an activity failure ('' for timeouts, cancellations and the like). */
export function failureType(err: unknown): string {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  return cause instanceof wf.ApplicationFailure ? (cause.type ?? '') : '';
}

/**
 * The wait an app (its Retry-After) or its open circuit asked for on this failure, 0 when none: from the failure's
 * details (activities/failures.ts), since the SDK does not decode `nextRetryDelay` on the workflow side.
 */
export function retryAfterMs(err: unknown): number {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  if (!(cause instanceof wf.ApplicationFailure)) return 0;
  if (cause.nextRetryDelay != null) return msToNumber(cause.nextRetryDelay);
  const detail = cause.details?.[0] as { retryAfterMs?: unknown } | undefined;
  return typeof detail?.retryAfterMs === 'number' && detail.retryAfterMs > 0 ? detail.retryAfterMs : 0;
}

/** The most useful message of a failure: the app's or the activity's own, not Temporal's wrapper. */
export function failureMessage(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
