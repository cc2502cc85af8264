// domain/planner/plan.ts: pure planner, one app at a time: (status, desired, applied) → revocations, then grants.
import type { AppliedApp, AppPlan, DesiredApp, DesiredState, IdentityStatus, LifecycleLabel } from './types';

/**
 * The steps that take one app from what scimflow applied there to what the identity should hold now.
 *
 * Access goes first: the account is disabled (or deleted) before entitlements are cleaned up, so a refused clean-up
 * (a 403 on a group removal) never leaves the account usable. A leaver never depends on an earlier joiner having
 * succeeded: with no recorded account, or only a recorded intent, the revocation still searches the app.
 */
export function planApp(
  status: IdentityStatus,
  appId: string,
  want: DesiredApp | undefined,
  have: AppliedApp | undefined,
): AppPlan {
  const plan: AppPlan = { appId, revoke: [], grant: [] };
  // An app removed from the directory's configuration cannot be reached any more: nothing to plan.
  if (!want) return plan;
  const held = have && have.state !== 'deleted' && have.state !== 'pending' ? have.entitlements : [];

  if (want.account === 'active') {
    const stale = held.filter((e) => !want.entitlements.includes(e));
    if (stale.length > 0) plan.revoke.push({ kind: 'revokeEntitlements', entitlements: stale });
    if (!have || have.state !== 'active' || have.specHash !== want.specHash) {
      const create = !have || have.state === 'pending' || have.state === 'deleted' || have.remoteId === null;
      plan.grant.push({ kind: 'provisionAccount', specHash: want.specHash, create });
    }
    // A grant recorded but never confirmed is granted again: its call may never have reached the app.
    const unconfirmed = have?.unconfirmedEntitlements ?? [];
    const missing = want.entitlements.filter((e) => !held.includes(e) || unconfirmed.includes(e));
    if (missing.length > 0) plan.grant.push({ kind: 'grantEntitlements', entitlements: missing });
    return plan;
  }

  const mode = want.account === 'absent' ? 'delete' : 'disable';
  if (!have) {
    // Never recorded here. A leaver still looks the account up (it may exist from a create whose answer was lost
    // before intents were recorded, or from before scimflow); an active identity outside this app's bundle does not.
    if (status !== 'active') plan.revoke.push({ kind: 'revokeAccount', mode });
    return plan;
  }
  const accountDone =
    have.revocationVerified && (have.state === 'deleted' || (have.state === 'disabled' && mode === 'disable'));
  if (!accountDone) plan.revoke.push({ kind: 'revokeAccount', mode });
  if (mode === 'disable' && held.length > 0) plan.revoke.push({ kind: 'revokeEntitlements', entitlements: held });
  return plan;
}

/** Every app the identity has, or should have, an account in, each with its plan (sorted by app id). */
export function planApps(desired: DesiredState, applied: AppliedApp[]): AppPlan[] {
  const appIds = [...new Set([...desired.apps.map((a) => a.appId), ...applied.map((a) => a.appId)])].sort();
  return appIds.map((appId) =>
    planApp(
      desired.status,
      appId,
      desired.apps.find((a) => a.appId === appId),
      applied.find((a) => a.appId === appId),
    ),
  );
}

export function isEmptyPlan(plan: AppPlan): boolean {
  return plan.revoke.length === 0 && plan.grant.length === 0;
}

export function classifyChange(desired: DesiredState, plans: AppPlan[]): LifecycleLabel {
  if (plans.every(isEmptyPlan)) return 'steady';
  if (desired.status !== 'active') return 'leaver';
  if (plans.some((p) => p.grant.some((s) => s.kind === 'provisionAccount' && s.create))) return 'joiner';
  return 'mover';
}

/** The label an identity carries once converged. */
export function settledLabel(status: IdentityStatus): 'active' | 'suspended' | 'deprovisioned' {
  if (status === 'active') return 'active';
  if (status === 'inactive') return 'suspended';
  return 'deprovisioned';
}
