// activities/index.ts: createActivities(deps), every side effect the identity workflow performs.
import { Context } from '@temporalio/activity';
import { createAccountSteps } from './account-steps';
import { createEntitlementSteps } from './entitlement-steps';
import { createGroupFeedActivities } from './group-feed';
import { asActivityFailure } from './failures';
import { createIdentityStateActivities } from './identity-state';
import { createLegacyActivities } from './legacy-steps';
import { createNhiHandover } from './nhi-handover';
import { createReconcileActivities } from './reconcile-activity';
import type { ActivityDeps } from './step-kit';
import { createStepKit } from './step-kit';

export type { ActivityDeps } from './step-kit';

/**
 * Scheduled activities heartbeat on a timer while they run (a third of their heartbeat timeout): a lost worker is seen
 * within seconds instead of at the start-to-close timeout, and a cancellation reaches an activity blocked in one long
 * downstream call. Local activities run inside the workflow's task and need none.
 */
function withHeartbeats<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const context = Context.current();
    const timeout = context.info.heartbeatTimeoutMs;
    if (context.info.isLocal || !timeout) return fn(...args);
    const timer = setInterval(() => context.heartbeat(), Math.max(100, Math.floor(timeout / 3)));
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** Every activity: heartbeats, and an app's Retry-After as the next retry's delay (activities/failures.ts). */
function wrapped<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  const beating = withHeartbeats(fn);
  return async (...args: A): Promise<R> => {
    try {
      return await beating(...args);
    } catch (err) {
      throw asActivityFailure(err, Context.current().info.isLocal);
    }
  };
}

function wrapAll<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, wrapped(fn as (...args: unknown[]) => Promise<unknown>)]),
  ) as unknown as T;
}

export function createActivities(deps: ActivityDeps) {
  const kit = createStepKit(deps);
  const steps = {
    ...createIdentityStateActivities(kit),
    ...createAccountSteps(kit),
    ...createEntitlementSteps(kit),
    ...createNhiHandover(kit),
  };
  return wrapAll({
    ...createLegacyActivities(kit, steps),
    ...steps,
    ...createReconcileActivities(deps),
    ...createGroupFeedActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
