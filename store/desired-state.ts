// store/desired-state.ts: reads an identity's facts from the store and derives its desired state (domain/planner).
import crypto from 'node:crypto';
import type { Desired, ServiceFacts, StoredIdentity } from '../domain/planner/desired';
import { matchValuesOf } from '../domain/hr/match';
import { hrStatusAt } from '../domain/hr/status';
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
export async function loadDesired(
  stores: Stores,
  directoryId: string,
  identityId: string,
  policy?: Policy,
  now: Date = new Date(),
): Promise<Desired> {
  const stored = policy ? undefined : await stores.policies.latest(directoryId);
  const user = await stores.resources.getAnyState(directoryId, identityId);
  const nhi = await serviceOf(stores, directoryId, identityId, now);
  const resource: StoredIdentity | undefined = user ?? nhi?.resource;
  const person = resource?.type === 'User' && !nhi;
  const hrFacts = person ? await stores.hr.factsFor(directoryId, identityId, matchValuesOf(resource.doc)) : [];
  const owns = person ? await stores.nhis.countOwnedActive(directoryId, identityId) : 0;
  const groups = resource?.type === 'User' ? await stores.members.groupsOf(directoryId, identityId) : [];
  const apps = await stores.directories.listApps(directoryId);
  const latestSeq = await stores.events.latestSeqFor(directoryId, identityId);
  return desiredFromFacts(
    {
      directoryId,
      identityId,
      resource,
      ...(hrFacts.length > 0 ? { hr: hrStatusAt(hrFacts, now) } : {}),
      ...(nhi ? { service: nhi.service } : {}),
      ...(owns > 0 ? { ownsNhis: owns } : {}),
      groups: groups.flatMap((g) => (g.display ? [g.display] : [])),
      policy: policy ?? (stored ? parsePolicy(stored.policy) : DEFAULT_POLICY),
      apps: apps.map((app) => ({
        id: app.id,
        name: app.name,
        deprovision: app.config.deprovision === 'delete' ? ('delete' as const) : ('disable' as const),
        removing: app.config.removing === true,
      })),
      latestSeq,
    },
    specHash,
  );
}

/** A non-human identity as the planner sees it: a user named after it, holding the accounts it declares. */
async function serviceOf(
  stores: Stores,
  directoryId: string,
  id: string,
  now: Date,
): Promise<{ resource: StoredIdentity; service: ServiceFacts } | undefined> {
  const nhi = await stores.nhis.get(directoryId, id);
  if (!nhi) return undefined;
  return {
    resource: {
      type: 'User',
      doc: { userName: nhi.name, displayName: nhi.name, userType: nhi.kind, active: true },
      active: true,
      deletedAt: null,
      deactivatedAt: null,
      deactivatedSeq: null,
    },
    service: {
      // One the IdP pushed as a user gets its accounts from the policy, like any user.
      ...(nhi.source === 'admin' ? { bundles: nhi.apps } : {}),
      revoked: nhi.status === 'revoked' && nhi.revokedAt ? { at: nhi.revokedAt, seq: nhi.revokedSeq ?? 0 } : null,
      expiresAt: nhi.expiresAt,
      rotateBy: nhi.rotateBy,
      now: now.toISOString(),
    },
  };
}
