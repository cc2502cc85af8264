// test/helpers/leaver-world.ts: one directory of a real stack wired to limited SCIM apps (and local apps), for leaver tests.
import { expect } from 'chai';
import type { LocalAccount } from '../../store/local-accounts';
import type { AppliedAccount, IdentityException } from '../../store/applied-state';
import type { LimitedScimApp, LimitedScimAppOptions, RequestRecord, ScimUser } from '../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import type { Stack } from './stack';
import { scim } from './stack';

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ADMIN_TOKEN = 'test-admin-token-0123456789'; // the one test/helpers/stack.ts gives the API

export interface LimitedAppSpec extends LimitedScimAppOptions {
  name: string;
  deprovision?: 'disable' | 'delete';
}

export interface WiredApp {
  id: string;
  name: string;
  app: LimitedScimApp;
}

export interface WorldOptions {
  limited: LimitedAppSpec[];
  /** Names of local (in-database) apps to add next to the limited ones. */
  local?: string[];
  /** Entitlements every active user gets, by app name (a rule without condition); apps left out get an account only. */
  entitlements?: Record<string, string[]>;
}

export interface LeaverWorld {
  stack: Stack;
  directoryId: string;
  token: string;
  limited(name: string): WiredApp;
  /** Wires one more limited app into the directory (an app connected after its users already left). */
  addLimited(spec: LimitedAppSpec): Promise<WiredApp>;
  localAccount(appName: string, userName: string): Promise<LocalAccount | undefined>;
  createUser(userName: string, extra?: Record<string, unknown>): Promise<string>;
  /** PATCH active=false; the API must accept it whatever happens downstream. */
  deactivate(identityId: string): Promise<void>;
  remove(identityId: string): Promise<void>;
  applied(identityId: string, appName: string): Promise<AppliedAccount | undefined>;
  exceptionOf(identityId: string): Promise<IdentityException | undefined>;
  /** Whether every one of them has its time to revoke recorded (the workflow does so after the apps verified it). */
  revocationsRecorded(identityIds: string[]): Promise<boolean>;
  /** The operator's retry (admin API), which re-converges an identity from current state. */
  retry(identityId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function wireWorld(stack: Stack, options: WorldOptions): Promise<LeaverWorld> {
  const { directory, token } = await stack.stores.directories.create({ name: 'leavers', dialect: 'generic' });
  const directoryId = directory.id;
  const limitedApps = new Map<string, WiredApp>();
  const localApps = new Map<string, string>();
  const base = `/scim/v2/${directoryId}`;

  async function addLimited({ name, deprovision = 'disable', ...appOptions }: LimitedAppSpec): Promise<WiredApp> {
    const app = await startLimitedScimApp(appOptions);
    const config = { deprovision, url: app.baseUrl, token: app.token, timeoutMs: 5_000 };
    const { id } = await stack.stores.directories.addApp({ directoryId, name, type: 'scim', config });
    const wired = { id, name, app };
    limitedApps.set(name, wired);
    return wired;
  }

  for (const spec of options.limited) await addLimited(spec);
  for (const name of options.local ?? [])
    localApps.set(
      name,
      (await stack.stores.directories.addApp({ directoryId, name, type: 'local', config: { deprovision: 'disable' } }))
        .id,
    );
  if (options.entitlements)
    await stack.stores.policies.put(directoryId, {
      baseline: 'all',
      rules: [
        {
          name: 'everyone',
          grant: Object.entries(options.entitlements).map(([app, entitlements]) => ({ app, entitlements })),
        },
      ],
    });

  const appIdOf = (name: string) => limitedApps.get(name)?.id ?? localApps.get(name);

  return {
    stack,
    directoryId,
    token,
    limited(name) {
      const wired = limitedApps.get(name);
      if (!wired) throw new Error(`no limited app named ${name}`);
      return wired;
    },
    addLimited,
    async localAccount(appName, userName) {
      const appId = localApps.get(appName);
      if (!appId) throw new Error(`no local app named ${appName}`);
      return (await stack.stores.localAccounts.list(appId)).find((a) => a.userName === userName);
    },
    async createUser(userName, extra = {}) {
      const res = await scim(stack.baseUrl, token, 'POST', `${base}/Users`, {
        schemas: [USER_URN],
        userName,
        active: true,
        ...extra,
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return (res.body as { id: string }).id;
    },
    async deactivate(identityId) {
      const res = await scim(stack.baseUrl, token, 'PATCH', `${base}/Users/${identityId}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.active).to.equal(false);
    },
    async remove(identityId) {
      const res = await scim(stack.baseUrl, token, 'DELETE', `${base}/Users/${identityId}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
    },
    async applied(identityId, appName) {
      const appId = appIdOf(appName);
      if (!appId) throw new Error(`no app named ${appName}`);
      return await stack.stores.applied.get(directoryId, identityId, appId);
    },
    async exceptionOf(identityId) {
      return (await stack.stores.applied.exceptions(directoryId)).find((e) => e.identityId === identityId);
    },
    async revocationsRecorded(identityIds) {
      const recorded = new Set((await stack.stores.applied.revocations(directoryId)).map((r) => r.identityId));
      return identityIds.every((id) => recorded.has(id));
    },
    async retry(identityId) {
      const res = await fetch(`${stack.baseUrl}/admin/directories/${directoryId}/identities/${identityId}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status, await res.clone().text()).to.equal(200);
    },
    async stop() {
      await Promise.all([...limitedApps.values()].map(({ app }) => app.stop()));
    },
  };
}

/** The app's accounts with this userName (the app keeps userNames unique, so more than one would be its bug). */
export function accountsNamed(app: LimitedScimApp, userName: string): ScimUser[] {
  return app.users().filter((u) => u.userName.toLowerCase() === userName.toLowerCase());
}

/** Whether the app's group of that displayName lists the account as a member (false when the group does not exist). */
export function inGroup(app: LimitedScimApp, groupName: string, accountId: string): boolean {
  const group = app.groups().find((g) => g.displayName === groupName);
  return group?.members.some((m) => m.value === accountId) ?? false;
}

/** Every group the account is a member of, by displayName. */
export function groupsOf(app: LimitedScimApp, accountId: string): string[] {
  return app
    .groups()
    .filter((g) => g.members.some((m) => m.value === accountId))
    .map((g) => g.displayName);
}

/** The `filter` of a logged request, decoded ('' when it has none). */
export function filterOf(request: RequestRecord): string {
  return new URLSearchParams(request.query).get('filter') ?? '';
}
