// test/helpers/property-oracle.ts: what the final directory state implies for each app, checked against the apps' real accounts.
import { listLocalAccounts } from '../../connectors/local-app';
import type { Stack } from './stack';
import { scim } from './stack';
import type { PropertyDirectory, Slot } from './property-driver';
import { ENTERPRISE } from './property-driver';
import type { GroupName } from './property-model';
import { GROUPS } from './property-model';

export type AppName = 'alpha' | 'beta' | 'gamma';

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

/** POLICY's meaning written out by hand (not through the engine's evaluator): app → entitlements an account must hold. */
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
  return Object.fromEntries(Object.entries(access).map(([app, set]) => [app, [...set].sort()]));
}

/** Reads the final state back over the SCIM API, the way an IdP would see it. */
export async function readFinalState(stack: Stack, dir: PropertyDirectory, slots: Slot[]): Promise<FinalUser[]> {
  const members = new Map<GroupName, string[]>();
  for (const group of GROUPS) {
    const res = await scim(stack.baseUrl, dir.token, 'GET', `/scim/v2/${dir.id}/Groups/${dir.groups[group]}`);
    if (res.status !== 200) throw new Error(`GET group ${group} answered ${res.status}`);
    members.set(
      group,
      ((res.body.members ?? []) as { value: string }[]).map((m) => m.value),
    );
  }
  const users: FinalUser[] = slots.flatMap(({ userName, retired }, slot) =>
    retired.map((id) => ({ slot, id, userName, status: 'deleted' as const, groups: [], superseded: true })),
  );
  for (const [slot, { id, userName }] of slots.entries()) {
    if (!id) continue;
    const res = await scim(stack.baseUrl, dir.token, 'GET', `/scim/v2/${dir.id}/Users/${id}`);
    if (res.status !== 200 && res.status !== 404) throw new Error(`GET user ${userName} answered ${res.status}`);
    const doc = (res.status === 200 ? res.body : {}) as Record<string, any>;
    users.push({
      slot,
      id,
      userName,
      status: res.status === 404 ? 'deleted' : doc.active === false ? 'inactive' : 'active',
      displayName: doc.displayName,
      givenName: doc.name?.givenName,
      department: doc[ENTERPRISE]?.department,
      groups: GROUPS.filter((g) => members.get(g)!.includes(id)),
    });
  }
  return users;
}

const GRANTING = ['account.created', 'account.updated', 'entitlement.granted'];
const REMOVING = ['revocation.verified', 'compensation.account'];
const LIFECYCLE_LABEL = { active: 'active', inactive: 'suspended', deleted: 'deprovisioned' } as const;

export interface CheckStats {
  activeAccounts: number;
  disabledAccounts: number;
  entitlements: number;
  revoked: number;
}

/** Every mismatch between the apps, the audit trail and the final directory state, as readable lines. */
export function checkConvergence(
  stack: Stack,
  dir: PropertyDirectory,
  apps: PropertyApp[],
  users: FinalUser[],
  stats: CheckStats,
): string[] {
  const problems: string[] = [];
  const docOf = stack.stores.db.prepare<[string, string], { doc: string }>(
    'SELECT doc FROM local_accounts WHERE app_id = ? AND id = ?',
  );
  const known = new Set(users.map((u) => u.userName.toLowerCase()));
  for (const app of apps) {
    const accounts = listLocalAccounts(stack.stores.db, app.id);
    for (const orphan of accounts.filter((a) => !known.has(a.userName.toLowerCase())))
      problems.push(`${app.name}: account ${orphan.userName} belongs to no user of the directory`);
    for (const user of users) {
      const where = `${app.name}/${user.userName} (${user.status}${user.superseded ? ', superseded' : ''})`;
      const trail = stack.stores.applied.auditTrail(dir.id, user.id).filter((a) => a.appId === app.id);
      const everCreated = trail.some((a) => a.action === 'account.created');
      const want = expectedAccess(user)[app.name];
      // A removal (verified revocation, or the compensation of a failed grant run) follows this identity's last grant.
      if (!want && everCreated) {
        const lastGrant = Math.max(...trail.filter((a) => GRANTING.includes(a.action)).map((a) => a.id));
        const lastRemoval = Math.max(-1, ...trail.filter((a) => REMOVING.includes(a.action)).map((a) => a.id));
        if (lastRemoval < lastGrant)
          problems.push(`${where}: no revocation.verified after the last grant (audit ${lastGrant})`);
        else stats.revoked += 1;
      }
      if (user.superseded) continue;

      const mine = accounts.filter((a) => a.userName.toLowerCase() === user.userName.toLowerCase());
      const account = mine[0];
      // Any identity this userName ever had may have created the account the current one holds (a rehire adopts it).
      const namesakes = users.filter((u) => u.userName === user.userName).map((u) => u.id);
      const createdByAny = namesakes.some((id) =>
        stack.stores.applied.auditTrail(dir.id, id).some((a) => a.appId === app.id && a.action === 'account.created'),
      );
      if (mine.length > 1) problems.push(`${where}: ${mine.length} accounts`);
      if (want) {
        if (!account) problems.push(`${where}: no account, expected an active one with [${want.join(', ')}]`);
        else {
          if (!account.active) problems.push(`${where}: account is disabled, expected active`);
          if (JSON.stringify(account.entitlements) !== JSON.stringify(want))
            problems.push(`${where}: holds [${account.entitlements.join(', ')}], expected [${want.join(', ')}]`);
          const doc = JSON.parse(docOf.get(app.id, account.id)?.doc ?? '{}') as Record<string, any>;
          if (doc.displayName !== user.displayName || doc.name?.givenName !== user.givenName)
            problems.push(
              `${where}: app has ${doc.displayName}/${doc.name?.givenName}, directory ${user.displayName}/${user.givenName}`,
            );
        }
      } else if (app.deprovision === 'delete') {
        if (account) problems.push(`${where}: account still exists in an app that deletes leavers`);
      } else {
        if (createdByAny && !account)
          problems.push(`${where}: the provisioned account vanished instead of being disabled`);
        if (account?.active) problems.push(`${where}: account is still active`);
        if (account && account.entitlements.length > 0)
          problems.push(`${where}: disabled account still holds [${account.entitlements.join(', ')}]`);
      }
      // The audit trail explains every account and entitlement present.
      if (account && !createdByAny) problems.push(`${where}: account present without an account.created audit row`);
      for (const e of account?.entitlements ?? [])
        if (!trail.some((a) => a.action === 'entitlement.granted' && a.detail?.entitlement === e))
          problems.push(`${where}: holds ${e} without an entitlement.granted audit row`);
      if (account?.active) stats.activeAccounts += 1;
      else if (account) stats.disabledAccounts += 1;
      stats.entitlements += account?.entitlements.length ?? 0;
    }
  }
  for (const user of users) {
    const progress = stack.stores.applied.progress(dir.id, user.id);
    if (progress?.lifecycle !== LIFECYCLE_LABEL[user.status])
      problems.push(`${user.userName}: lifecycle ${progress?.lifecycle}, expected ${LIFECYCLE_LABEL[user.status]}`);
  }
  return problems;
}
