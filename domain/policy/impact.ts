// domain/policy/impact.ts: what a policy change would change for identities (pure), for `policy set [--dry-run]`.
import type { DesiredState } from '../planner/types';

/** One identity's change between two desired states: accounts and entitlements gained and lost, by app name. */
export interface IdentityImpact {
  identityId: string;
  label: string;
  accountsGained: string[];
  accountsLost: string[];
  /** `app:entitlement` pairs. */
  entitlementsGained: string[];
  entitlementsLost: string[];
}

const activeApps = (state: DesiredState) => state.apps.filter((a) => a.account === 'active');

/** The change for one identity, or undefined when both states grant the same accounts and entitlements. */
export function identityImpact(before: DesiredState, after: DesiredState): IdentityImpact | undefined {
  const had = new Map(activeApps(before).map((a) => [a.appName, a]));
  const has = new Map(activeApps(after).map((a) => [a.appName, a]));
  const pairs = (apps: Map<string, { entitlements: string[] }>) =>
    new Set([...apps].flatMap(([app, a]) => a.entitlements.map((e) => `${app}:${e}`)));
  const hadPairs = pairs(had);
  const hasPairs = pairs(has);
  const impact: IdentityImpact = {
    identityId: after.identityId,
    label: after.label,
    accountsGained: [...has.keys()].filter((app) => !had.has(app)).sort(),
    accountsLost: [...had.keys()].filter((app) => !has.has(app)).sort(),
    entitlementsGained: [...hasPairs].filter((p) => !hadPairs.has(p)).sort(),
    entitlementsLost: [...hadPairs].filter((p) => !hasPairs.has(p)).sort(),
  };
  const changed =
    impact.accountsGained.length +
    impact.accountsLost.length +
    impact.entitlementsGained.length +
    impact.entitlementsLost.length;
  return changed > 0 ? impact : undefined;
}

export interface ImpactSummary {
  identitiesScanned: number;
  identitiesAffected: number;
  /** How many identities gain or lose each account (by app name) or entitlement (`app:entitlement`). */
  accountsGained: Record<string, number>;
  accountsLost: Record<string, number>;
  entitlementsGained: Record<string, number>;
  entitlementsLost: Record<string, number>;
}

export function summarizeImpact(scanned: number, impacts: IdentityImpact[]): ImpactSummary {
  const count = (pick: (i: IdentityImpact) => string[]) => {
    const counts = new Map<string, number>(); // a Map: app names like `constructor` are keys like any other
    for (const key of impacts.flatMap(pick).sort()) counts.set(key, (counts.get(key) ?? 0) + 1);
    return Object.fromEntries(counts);
  };
  return {
    identitiesScanned: scanned,
    identitiesAffected: impacts.length,
    accountsGained: count((i) => i.accountsGained),
    accountsLost: count((i) => i.accountsLost),
    entitlementsGained: count((i) => i.entitlementsGained),
    entitlementsLost: count((i) => i.entitlementsLost),
  };
}
