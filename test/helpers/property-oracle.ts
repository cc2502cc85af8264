// test/helpers/property-oracle.ts: what the final directory state implies for each app, checked against the apps' real accounts.
import type { LocalAccount } from '../../store/local-accounts';
import type { Stack } from './stack';
import { scim } from './stack';
import type { PropertyDirectory, Slot } from './property-driver';
import { ENTERPRISE } from './property-driver';
import type { GroupName } from './property-model';
import { GROUPS } from './property-model';
import type { FinalUser, PropertyApp } from './property-policy';
import { expectedAccess } from './property-policy';

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

// An adopted account (found after an unclear create, or a rehire's) and a re-enabled one give access like a created one.
const GRANTING = ['account.created', 'account.adopted', 'account.enabled', 'account.updated', 'entitlement.granted'];
const PROVISIONED = ['account.created', 'account.adopted'];
// A compensation undoes a failed grant run (it disables or deletes the account that run created): a removal too.
const REMOVING = ['revocation.verified', 'compensation.account'];
const LIFECYCLE_LABEL = { active: 'active', inactive: 'suspended', deleted: 'deprovisioned' } as const;

export interface CheckStats {
  activeAccounts: number;
  disabledAccounts: number;
  entitlements: number;
  revoked: number;
}

interface Ctx {
  stack: Stack;
  dir: PropertyDirectory;
  users: FinalUser[];
  stats: CheckStats;
  problems: string[];
}

/** Every mismatch between the apps, the audit trail and the final directory state, as readable lines. */
export async function checkConvergence(
  stack: Stack,
  dir: PropertyDirectory,
  apps: PropertyApp[],
  users: FinalUser[],
  stats: CheckStats,
): Promise<string[]> {
  const ctx: Ctx = { stack, dir, users, stats, problems: [] };
  const known = new Set(users.map((u) => u.userName.toLowerCase()));
  for (const app of apps) {
    const accounts = await stack.stores.localAccounts.list(app.id);
    for (const orphan of accounts.filter((a) => !known.has(a.userName.toLowerCase())))
      ctx.problems.push(`${app.name}: account ${orphan.userName} belongs to no user of the directory`);
    for (const user of users) {
      await checkRemovalAfterGrants(ctx, app, user);
      if (!user.superseded) await checkAccount(ctx, app, user, accounts);
    }
  }
  for (const user of users) {
    const progress = await stack.stores.applied.progress(dir.id, user.id);
    if (progress?.lifecycle !== LIFECYCLE_LABEL[user.status])
      ctx.problems.push(`${user.userName}: lifecycle ${progress?.lifecycle}, expected ${LIFECYCLE_LABEL[user.status]}`);
  }
  return ctx.problems;
}

const label = (app: PropertyApp, user: FinalUser) =>
  `${app.name}/${user.userName} (${user.status}${user.superseded ? ', superseded' : ''})`;

const trailOf = async (ctx: Ctx, app: PropertyApp, identityId: string) =>
  (await ctx.stack.stores.applied.auditTrail(ctx.dir.id, identityId)).filter((a) => a.appId === app.id);

/** An identity that lost (or never had) access to an app it was provisioned in: a removal follows its last grant there. */
async function checkRemovalAfterGrants(ctx: Ctx, app: PropertyApp, user: FinalUser): Promise<void> {
  const trail = await trailOf(ctx, app, user.id);
  if (expectedAccess(user)[app.name] || !trail.some((a) => PROVISIONED.includes(a.action))) return;
  const lastGrant = Math.max(...trail.filter((a) => GRANTING.includes(a.action)).map((a) => a.id));
  const lastRemoval = Math.max(-1, ...trail.filter((a) => REMOVING.includes(a.action)).map((a) => a.id));
  if (lastRemoval < lastGrant)
    ctx.problems.push(`${label(app, user)}: no revocation.verified after the last grant (audit ${lastGrant})`);
  else ctx.stats.revoked += 1;
}

/** The app's real account for the current identity of a userName: state, entitlements, attributes, and their audit rows. */
async function checkAccount(ctx: Ctx, app: PropertyApp, user: FinalUser, accounts: LocalAccount[]): Promise<void> {
  const where = label(app, user);
  const problem = (text: string) => ctx.problems.push(`${where}: ${text}`);
  const mine = accounts.filter((a) => a.userName.toLowerCase() === user.userName.toLowerCase());
  const account = mine[0];
  const want = expectedAccess(user)[app.name];
  // Any identity this userName ever had may have created the account the current one holds (a rehire adopts it).
  let createdByAny = false;
  for (const u of ctx.users.filter((u) => u.userName === user.userName)) {
    createdByAny = (await trailOf(ctx, app, u.id)).some((a) => PROVISIONED.includes(a.action));
    if (createdByAny) break;
  }
  if (mine.length > 1) problem(`${mine.length} accounts`);
  if (want) {
    if (!account) problem(`no account, expected an active one with [${want.join(', ')}]`);
    else {
      if (!account.active) problem('account is disabled, expected active');
      if (JSON.stringify(account.entitlements) !== JSON.stringify(want))
        problem(`holds [${account.entitlements.join(', ')}], expected [${want.join(', ')}]`);
      const doc = await accountDoc(ctx, app, account.id);
      if (doc.displayName !== user.displayName || doc.name?.givenName !== user.givenName)
        problem(`app has ${doc.displayName}/${doc.name?.givenName}, directory ${user.displayName}/${user.givenName}`);
    }
  } else if (app.deprovision === 'delete') {
    if (account) problem('account still exists in an app that deletes leavers');
  } else {
    if (createdByAny && !account) problem('the provisioned account vanished instead of being disabled');
    if (account?.active) problem('account is still active');
    if (account && account.entitlements.length > 0)
      problem(`disabled account still holds [${account.entitlements.join(', ')}]`);
  }
  // The audit trail explains every account and entitlement present.
  if (account && !createdByAny) problem('account present without an account.created audit row');
  const trail = await trailOf(ctx, app, user.id);
  for (const e of account?.entitlements ?? [])
    if (!trail.some((a) => a.action === 'entitlement.granted' && a.detail?.entitlement === e))
      problem(`holds ${e} without an entitlement.granted audit row`);
  if (account?.active) ctx.stats.activeAccounts += 1;
  else if (account) ctx.stats.disabledAccounts += 1;
  ctx.stats.entitlements += account?.entitlements.length ?? 0;
}

async function accountDoc(ctx: Ctx, app: PropertyApp, accountId: string): Promise<Record<string, any>> {
  return (await ctx.stack.stores.localAccounts.get(app.id, accountId))?.doc ?? {};
}
