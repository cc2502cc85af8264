// test/helpers/property-oracle-scim.ts: the limited SCIM app's real accounts and groups (read over HTTP) against the final state.
import type { LimitedScimApp } from '../../testkit/limited-scim-app';
import type { Stack } from './stack';
import type { PropertyDirectory } from './property-driver';
import type { FinalUser } from './property-policy';
import { SCIM_APP_NAME, expectedAccess } from './property-policy';

export interface PropertyScimApp {
  id: string;
  name: typeof SCIM_APP_NAME;
  app: LimitedScimApp;
}

export interface ScimCheckStats {
  activeAccounts: number;
  disabledAccounts: number;
  memberships: number;
  verifiedLeavers: number;
}

interface AppUser {
  id: string;
  userName: string;
  active?: boolean;
  displayName?: string;
  name?: { givenName?: string };
}

interface AppState {
  users: AppUser[];
  /** Account id → displayNames of the groups listing it as a member. */
  groupsOf: Map<string, string[]>;
}

const PROVISIONED = ['account.created', 'account.adopted'];
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** What the app serves to any SCIM client: GET /Users and GET /Groups with its token, as one page each. */
export async function readScimApp(app: LimitedScimApp): Promise<AppState> {
  const list = async <T>(resource: string): Promise<T[]> => {
    const res = await fetch(`${app.baseUrl}/${resource}?count=1000`, {
      headers: { authorization: `Bearer ${app.token}`, accept: 'application/scim+json' },
    });
    if (res.status !== 200) throw new Error(`GET ${resource} from ${SCIM_APP_NAME} answered ${res.status}`);
    const body = (await res.json()) as { totalResults: number; Resources?: T[] };
    const resources = body.Resources ?? [];
    if (resources.length !== body.totalResults) throw new Error(`${resource} of ${SCIM_APP_NAME} span several pages`);
    return resources;
  };
  const users = await list<AppUser>('Users');
  const groups = await list<{ displayName: string; members?: { value: string }[] }>('Groups');
  const groupsOf = new Map<string, string[]>();
  for (const group of groups)
    for (const { value } of group.members ?? [])
      groupsOf.set(value, [...(groupsOf.get(value) ?? []), group.displayName]);
  return { users, groupsOf };
}

/**
 * After quiescence: every leaver's account is disabled (or was never there) and its revocation verified in scimflow's
 * applied state; an active user has exactly one active account with the groups the policy gives; the app holds at most
 * one account per userName and per identity; and every account is explained by an account.created or account.adopted
 * audit row naming it, written for an identity with that userName.
 */
export async function checkScimApp(
  stack: Stack,
  dir: PropertyDirectory,
  scimApp: PropertyScimApp,
  users: FinalUser[],
  stats: ScimCheckStats,
): Promise<string[]> {
  const { users: accounts, groupsOf } = await readScimApp(scimApp.app);
  const problems: string[] = [];
  const provisionedIds = async (identityId: string): Promise<string[]> =>
    (await stack.stores.applied.auditTrail(dir.id, identityId))
      .filter((a) => a.appId === scimApp.id && PROVISIONED.includes(a.action))
      .map((a) => String(a.detail?.remoteId));

  for (const account of accounts) {
    const where = `${SCIM_APP_NAME}: account ${account.userName} (${account.id})`;
    const owners = users.filter((u) => same(u.userName, account.userName));
    if (owners.length === 0) problems.push(`${where} belongs to no user of the directory`);
    if (accounts.filter((a) => same(a.userName, account.userName)).length > 1)
      problems.push(`${where} is one of several accounts with that userName`);
    let explained = false;
    for (const u of owners) {
      explained = (await provisionedIds(u.id)).includes(account.id);
      if (explained) break;
    }
    if (!explained) problems.push(`${where} is explained by no account.created/account.adopted audit row`);
  }
  for (const user of users) {
    const where = `${SCIM_APP_NAME}/${user.userName} (${user.status}${user.superseded ? ', superseded' : ''}, ${user.id})`;
    const problem = (text: string) => problems.push(`${where}: ${text}`);
    const mine = new Set(await provisionedIds(user.id));
    const held = accounts.filter((a) => mine.has(a.id));
    if (held.length > 1) problem(`${held.length} accounts in the app (${held.map((a) => a.id).join(', ')})`);
    const applied = await stack.stores.applied.get(dir.id, user.id, scimApp.id);
    const want = expectedAccess(user).delta;
    if (!want) {
      // A leaver, superseded or not: whatever it was given is revoked, and scimflow verified it.
      if (applied && !(['disabled', 'deleted'].includes(applied.state) && applied.revocationVerified))
        problem(`applied state ${applied.state}, revocationVerified ${applied.revocationVerified}`);
      if (!applied && mine.size > 0) problem('provisioned, but scimflow has no applied state for it');
      if (applied?.revocationVerified) stats.verifiedLeavers += 1;
    }
    if (user.superseded) continue; // the account by this userName is its successor's now
    const account = accounts.find((a) => same(a.userName, user.userName));
    const groups = [...(account ? (groupsOf.get(account.id) ?? []) : [])].sort();
    if (want) {
      if (!account) {
        problem(`no account, expected an active one in [${want.join(', ')}]`);
        continue;
      }
      if (account.active === false) problem('account is disabled, expected active');
      if (JSON.stringify(groups) !== JSON.stringify(want))
        problem(`member of [${groups.join(', ')}], expected [${want.join(', ')}]`);
      if (account.displayName !== user.displayName || account.name?.givenName !== user.givenName)
        problem(
          `app has ${account.displayName}/${account.name?.givenName}, directory ${user.displayName}/${user.givenName}`,
        );
      if (applied?.state !== 'active' || applied.remoteId !== account.id)
        problem(`applied state ${applied?.state} for ${applied?.remoteId}, the app's account is ${account.id}`);
      stats.activeAccounts += 1;
    } else if (account) {
      if (account.active !== false) problem('account is still active');
      if (groups.length > 0) problem(`disabled account is still a member of [${groups.join(', ')}]`);
      stats.disabledAccounts += 1;
    }
    stats.memberships += groups.length;
  }
  return problems;
}
