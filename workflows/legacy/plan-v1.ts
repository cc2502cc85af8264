// workflows/legacy/plan-v1.ts: the first planner, frozen: runs recorded before per-app convergence replay through it.
import type { AppliedApp, DesiredApp, DesiredState, LifecycleLabel, PlanStep } from './types-v1';

const ABSENT: AppliedApp = { appId: '', remoteId: null, state: 'deleted', specHash: null, entitlements: [] };

function planApp(
  want: DesiredApp | undefined,
  have: AppliedApp,
  appId: string,
): { revoke: PlanStep[]; grant: PlanStep[] } {
  const revoke: PlanStep[] = [];
  const grant: PlanStep[] = [];
  const exists = have.state !== 'deleted' && have.remoteId !== null;
  const target = want?.account ?? 'absent';

  if (target === 'active' && want) {
    if (!exists)
      grant.push({ kind: 'createAccount', stepId: `${appId}/create`, appId, spec: want.spec, specHash: want.specHash });
    else if (have.state !== 'active' || have.specHash !== want.specHash)
      grant.push({ kind: 'updateAccount', stepId: `${appId}/update`, appId, spec: want.spec, specHash: want.specHash });
    const held = exists ? have.entitlements : [];
    const stale = held.filter((e) => !want.entitlements.includes(e));
    for (const e of stale)
      revoke.push({ kind: 'revokeEntitlement', stepId: `${appId}/revoke/${e}`, appId, entitlement: e });
    if (stale.length > 0)
      revoke.push({
        kind: 'verifyRevoked',
        stepId: `${appId}/verify-entitlements`,
        appId,
        entitlements: stale,
        expect: 'entitlements',
      });
    for (const e of want.entitlements.filter((x) => !held.includes(x)))
      grant.push({ kind: 'grantEntitlement', stepId: `${appId}/grant/${e}`, appId, entitlement: e });
    return { revoke, grant };
  }

  // Leaver (or no longer entitled to this app): never compensated, always verified.
  // An app removed from the directory's configuration cannot be reached any more, so it plans nothing.
  if (!exists || !want) return { revoke, grant };
  if (target === 'absent' && want.deprovision === 'delete') {
    revoke.push({ kind: 'deleteAccount', stepId: `${appId}/delete`, appId });
    revoke.push({
      kind: 'verifyRevoked',
      stepId: `${appId}/verify`,
      appId,
      entitlements: have.entitlements,
      expect: 'deleted',
    });
    return { revoke, grant };
  }
  if (have.state === 'disabled' && have.entitlements.length === 0) return { revoke, grant };
  for (const e of have.entitlements)
    revoke.push({ kind: 'revokeEntitlement', stepId: `${appId}/revoke/${e}`, appId, entitlement: e });
  if (have.state === 'active')
    revoke.push({
      kind: 'disableAccount',
      stepId: `${appId}/disable`,
      appId,
      spec: { ...want.spec, active: false },
      specHash: want.specHash,
    });
  revoke.push({
    kind: 'verifyRevoked',
    stepId: `${appId}/verify`,
    appId,
    entitlements: have.entitlements,
    expect: 'disabled',
  });
  return { revoke, grant };
}

/** Ordered steps that take the applied state to the desired state. An already-converged identity plans nothing. */
export function planSteps(desired: DesiredState, applied: AppliedApp[]): PlanStep[] {
  const appIds = [...new Set([...desired.apps.map((a) => a.appId), ...applied.map((a) => a.appId)])].sort();
  const revokes: PlanStep[] = [];
  const grants: PlanStep[] = [];
  for (const appId of appIds) {
    const want = desired.apps.find((a) => a.appId === appId);
    const have = applied.find((a) => a.appId === appId) ?? { ...ABSENT, appId };
    const { revoke, grant } = planApp(want, have, appId);
    revokes.push(...revoke);
    grants.push(...grant);
  }
  return [...revokes, ...grants];
}

export function classifyChange(desired: DesiredState, steps: PlanStep[]): LifecycleLabel {
  if (steps.length === 0) return 'steady';
  if (desired.status !== 'active') return 'leaver';
  if (steps.some((s) => s.kind === 'createAccount')) return 'joiner';
  return 'mover';
}
