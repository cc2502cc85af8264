// domain/policy/evaluate.ts: pure evaluation of a policy against identity facts → the app bundles an identity should have.
import type { Condition, Policy } from './policy';
import type { IdentityFacts } from './facts';
import { readPath } from './facts';

export interface AppEntitlements {
  /** App name → sorted entitlement names; an app present here gets an account. */
  [appName: string]: string[];
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
const eqCi = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
const oneOf = (fact: string | undefined, wanted: string | string[]) =>
  fact !== undefined && list(wanted).some((w) => eqCi(w, fact));

export function conditionHolds(c: Condition, facts: IdentityFacts): boolean {
  if (c.group !== undefined && !list(c.group).some((g) => facts.groups.some((fg) => eqCi(fg, g)))) return false;
  if (c.department !== undefined && !oneOf(facts.department, c.department)) return false;
  if (c.title !== undefined && !oneOf(facts.title, c.title)) return false;
  if (c.costCenter !== undefined && !oneOf(facts.costCenter, c.costCenter)) return false;
  if (c.employeeType !== undefined && !oneOf(facts.employeeType, c.employeeType)) return false;
  if (c.division !== undefined && !oneOf(facts.division, c.division)) return false;
  if (c.organization !== undefined && !oneOf(facts.organization, c.organization)) return false;
  if (c.manager !== undefined && !oneOf(facts.manager, c.manager)) return false;
  if (c.attribute !== undefined) {
    const value = readPath(facts.doc, c.attribute.path);
    const present = value !== undefined && value !== null && value !== '';
    if (c.attribute.present !== undefined && present !== c.attribute.present) return false;
    if (
      c.attribute.equals !== undefined &&
      !(typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    )
      return false;
    if (c.attribute.equals !== undefined && !oneOf(String(value), c.attribute.equals)) return false;
  }
  if (c.all !== undefined && !c.all.every((sub) => conditionHolds(sub, facts))) return false;
  if (c.any !== undefined && !c.any.some((sub) => conditionHolds(sub, facts))) return false;
  if (c.not !== undefined && conditionHolds(c.not, facts)) return false;
  return true;
}

/** Which apps (by name) an active identity gets, with which entitlements; `appNames` are the directory's apps. */
export function evaluatePolicy(policy: Policy, facts: IdentityFacts, appNames: string[]): AppEntitlements {
  const result = new Map<string, Set<string>>();
  const baseline = policy.baseline === 'all' ? appNames : policy.baseline;
  for (const app of baseline) if (appNames.includes(app)) result.set(app, new Set());
  for (const rule of policy.rules) {
    if (!conditionHolds(rule.when, facts)) continue;
    for (const grant of rule.grant) {
      if (!appNames.includes(grant.app)) continue;
      const set = result.get(grant.app) ?? new Set<string>();
      for (const e of grant.entitlements) set.add(e);
      result.set(grant.app, set);
    }
  }
  const out = Object.create(null) as AppEntitlements; // an app may be named `__proto__`
  for (const [app, set] of [...result.entries()].sort(([a], [b]) => a.localeCompare(b))) out[app] = [...set].sort();
  return out;
}
