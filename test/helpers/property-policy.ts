// test/helpers/property-policy.ts: the property's apps and entitlement policy, and what that policy means, written out by hand.
import type { GroupName } from './property-model';

export type AppName = 'alpha' | 'beta' | 'gamma' | 'delta';

export interface PropertyApp {
  id: string;
  name: AppName;
  deprovision: 'disable' | 'delete';
}

/** alpha: plain; beta: a flaky app (one call in five fails transiently); gamma: leavers' accounts are deleted. */
export const APP_CONFIGS: { name: AppName; config: Record<string, unknown> }[] = [
  { name: 'alpha', config: { deprovision: 'disable' } },
  { name: 'beta', config: { deprovision: 'disable', chaos: { transientFailureRate: 0.2 } } },
  { name: 'gamma', config: { deprovision: 'delete' } },
];

/** delta: a limited SCIM app (testkit/limited-scim-app.ts) that loses answers and has outages; entitlements are its Groups. */
export const SCIM_APP_NAME = 'delta';

export const POLICY = {
  baseline: ['alpha'],
  rules: [
    {
      name: 'engineers',
      when: { group: 'eng' },
      grant: [
        { app: 'alpha', entitlements: ['repo:write'] },
        { app: 'beta', entitlements: ['deploy'] },
      ],
    },
    {
      name: 'operators',
      when: { group: 'ops' },
      grant: [
        { app: 'beta', entitlements: ['pager'] },
        { app: 'gamma', entitlements: ['console'] },
      ],
    },
    {
      name: 'sales',
      when: { department: 'Sales' },
      grant: [
        { app: 'alpha', entitlements: ['crm'] },
        { app: 'gamma', entitlements: ['quota'] },
      ],
    },
    { name: 'engineering', when: { department: 'Engineering' }, grant: [{ app: 'beta', entitlements: ['ci'] }] },
  ],
};

export interface FinalUser {
  slot: number;
  id: string;
  userName: string;
  status: 'active' | 'inactive' | 'deleted';
  displayName?: string;
  givenName?: string;
  department?: string;
  groups: GroupName[];
  /** A deleted identity whose userName the IdP has since created again: the account by that name is its successor's. */
  superseded?: boolean;
}

/** POLICY plus delta: every active user gets an account there, and groups follow IdP groups and one department. */
export const SCIM_POLICY = {
  baseline: [...POLICY.baseline, SCIM_APP_NAME],
  rules: [
    ...POLICY.rules,
    { name: 'delta-eng', when: { group: 'eng' }, grant: [{ app: SCIM_APP_NAME, entitlements: ['developers'] }] },
    { name: 'delta-ops', when: { group: 'ops' }, grant: [{ app: SCIM_APP_NAME, entitlements: ['operators'] }] },
    {
      name: 'delta-support',
      when: { department: 'Support' },
      grant: [{ app: SCIM_APP_NAME, entitlements: ['helpdesk'] }],
    },
  ],
};

/**
 * POLICY's (and SCIM_POLICY's) meaning written out by hand (not through the engine's evaluator): app → entitlements an
 * account must hold.
 */
export function expectedAccess(user: FinalUser): Partial<Record<AppName, string[]>> {
  if (user.status !== 'active') return {};
  const access: Partial<Record<AppName, Set<string>>> = { alpha: new Set() };
  const grant = (app: AppName, entitlement: string) => (access[app] ??= new Set()).add(entitlement);
  if (user.groups.includes('eng')) {
    grant('alpha', 'repo:write');
    grant('beta', 'deploy');
  }
  if (user.groups.includes('ops')) {
    grant('beta', 'pager');
    grant('gamma', 'console');
  }
  if (user.department === 'Sales') {
    grant('alpha', 'crm');
    grant('gamma', 'quota');
  }
  if (user.department === 'Engineering') grant('beta', 'ci');
  // delta only exists in the SCIM runs; the local oracle never asks about it.
  access.delta = new Set();
  if (user.groups.includes('eng')) grant('delta', 'developers');
  if (user.groups.includes('ops')) grant('delta', 'operators');
  if (user.department === 'Support') grant('delta', 'helpdesk');
  return Object.fromEntries(Object.entries(access).map(([app, set]) => [app, [...set].sort()]));
}
