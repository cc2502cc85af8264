// store/desired-state.ts: reads an identity's facts from the store and derives its desired state (domain/planner).
import crypto from 'node:crypto';
import type { Desired } from '../domain/planner/desired';
import { desiredFromFacts } from '../domain/planner/desired';
import type { Policy } from '../domain/policy/policy';
import { DEFAULT_POLICY, parsePolicy } from '../domain/policy/policy';
import type { Stores } from './index';

/** 32 hex characters of SHA-256: enough to notice a changed spec, short enough to store per (identity, app). */
export function specHash(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The identity's desired state and account spec, from the user (deleted ones too), its groups, the policy and the apps.
 * `policy` replaces the directory's current one (what a policy change would do).
 */
export function loadDesired(stores: Stores, directoryId: string, identityId: string, policy?: Policy): Desired {
  const resource = stores.resources.getAnyState(directoryId, identityId);
  const stored = policy ? undefined : stores.policies.latest(directoryId);
  return desiredFromFacts(
    {
      directoryId,
      identityId,
      resource,
      groups:
        resource?.type === 'User'
          ? stores.members.groupsOf(directoryId, identityId).flatMap((g) => (g.display ? [g.display] : []))
          : [],
      policy: policy ?? (stored ? parsePolicy(stored.policy) : DEFAULT_POLICY),
      apps: stores.directories.listApps(directoryId).map((app) => ({
        id: app.id,
        name: app.name,
        deprovision: app.config.deprovision === 'delete' ? ('delete' as const) : ('disable' as const),
        removing: app.config.removing === true,
      })),
      latestSeq: stores.events.latestSeqFor(directoryId, identityId),
    },
    specHash,
  );
}
