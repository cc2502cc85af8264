// activities/failures.ts: how a connector's failure leaves an activity: an app's Retry-After becomes the retry delay.
import { ApplicationFailure } from '@temporalio/common';
import { DownstreamUnavailableError } from '../connectors/connector';

/**
 * The longest wait an app's Retry-After can impose on one retry. Longer answers (a buggy app, a date far ahead) are cut
 * here: a revocation must not sleep for a day because an app said so; it asks again and gets a new answer.
 */
export const RETRY_AFTER_CAP_MS = 10 * 60_000;

/**
 * A transient failure whose app said when to come back becomes an ApplicationFailure of the same type with
 * `nextRetryDelay`: Temporal schedules the next attempt then instead of at the retry policy's backoff, and the workflow
 * sees the delay on the failure. Everything else passes unchanged (the SDK turns errors into failures by their name).
 */
export function asActivityFailure(err: unknown, local = false): unknown {
  if (!(err instanceof DownstreamUnavailableError) || err.retryAfterMs === undefined) return err;
  const retryAfterMs = Math.min(Math.max(err.retryAfterMs, 0), RETRY_AFTER_CAP_MS);
  // The delay also travels in the details: the SDK decodes nextRetryDelay for the server, not for the workflow. A
  // local activity (a fast first attempt, never retried itself) carries it in the details only: the workflow waits.
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    ...(local ? {} : { nextRetryDelay: retryAfterMs }),
    details: [{ status: err.status ?? null, retryAfterMs }],
  });
}
