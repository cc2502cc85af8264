// bench/lifecycle-verify.ts: the end state read from the apps themselves: every leaver disabled in every app, stayers active.
import type Database from 'better-sqlite3';
import type { AppSpec } from './lifecycle-stack';
import { round } from './lifecycle-driver';

/** What one app holds for one identity: 'disabled' is the only good answer for a leaver, 'active' for a stayer. */
export type AccountState = 'active' | 'disabled' | 'absent' | 'duplicate';

export interface AppEndState {
  app: string;
  /** Where the accounts were read: scimflow's local_accounts table, or the app's own GET /Users. */
  source: string;
  accounts: number;
  leavers: Record<AccountState, number>;
  stayers: Record<AccountState, number>;
}

export interface EndStateResult {
  leavers: number;
  stayers: number;
  /** Leavers that are not disabled (exactly one account, active false) in every app, counted once per identity. */
  failures: number;
  /** Stayers that are not active (exactly one account, active true) in every app: a bench that disables everyone fails. */
  stayerFailures: number;
  examples: { identityId: string; userName: string; app: string; state: AccountState; leaver: boolean }[];
  byApp: AppEndState[];
  seconds: number;
}

type Accounts = Map<string, boolean[]>;

const PAGE = 100;

function addAccount(accounts: Accounts, userName: string, active: boolean): void {
  const key = userName.toLowerCase();
  accounts.set(key, [...(accounts.get(key) ?? []), active]);
}

function readLocalApp(db: Database.Database, appId: string): Accounts {
  const accounts: Accounts = new Map();
  const rows = db
    .prepare<[string], { user_name: string; active: number }>(
      'SELECT user_name, active FROM local_accounts WHERE app_id = ?',
    )
    .all(appId);
  for (const row of rows) addAccount(accounts, row.user_name, row.active === 1);
  return accounts;
}

/** Pages through GET /Users (RFC 7644 §3.4.2.4) with the app's own token: what the app says, not what scimflow recorded. */
async function readScimApp(url: string, token: string): Promise<Accounts> {
  const accounts: Accounts = new Map();
  for (let startIndex = 1; ;) {
    const res = await fetch(`${url.replace(/\/+$/, '')}/Users?startIndex=${startIndex}&count=${PAGE}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${url}/Users?startIndex=${startIndex} → ${res.status} ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { totalResults?: number; Resources?: { userName: string; active?: boolean }[] };
    const users = body.Resources ?? [];
    // RFC 7643 §4.1.1: `active` has no default; an app that leaves it out has not said the account is disabled.
    for (const user of users) addAccount(accounts, user.userName, user.active !== false);
    startIndex += users.length;
    if (users.length === 0 || startIndex > (body.totalResults ?? 0)) return accounts;
  }
}

function stateOf(accounts: Accounts, userName: string): AccountState {
  const found = accounts.get(userName.toLowerCase()) ?? [];
  if (found.length === 0) return 'absent';
  if (found.length > 1) return 'duplicate';
  return found[0] ? 'active' : 'disabled';
}

const zero = (): Record<AccountState, number> => ({ active: 0, disabled: 0, absent: 0, duplicate: 0 });

/** `appIds` are aligned with `apps` (as the stack created them); identities are matched to accounts by userName. */
export async function verifyEndState(opts: {
  db: Database.Database;
  directoryId: string;
  apps: AppSpec[];
  appIds: string[];
  leaverIds: string[];
  stayerIds: string[];
}): Promise<EndStateResult> {
  const t0 = Date.now();
  const userNames = new Map(
    opts.db
      .prepare<[string], { id: string; user_name: string }>(
        "SELECT id, user_name FROM resources WHERE directory_id = ? AND type = 'User'",
      )
      .all(opts.directoryId)
      .map((r) => [r.id, r.user_name]),
  );
  const failed = { leavers: new Set<string>(), stayers: new Set<string>() };
  const examples: EndStateResult['examples'] = [];
  const byApp: AppEndState[] = [];
  for (const [i, app] of opts.apps.entries()) {
    const config = app.config as { url: string; token: string } | undefined;
    const accounts =
      app.type === 'local' ? readLocalApp(opts.db, opts.appIds[i]!) : await readScimApp(config!.url, config!.token);
    const row: AppEndState = {
      app: app.name,
      source: app.type === 'local' ? 'scimflow DB: local_accounts' : `GET ${config!.url}/Users`,
      accounts: [...accounts.values()].reduce((n, a) => n + a.length, 0),
      leavers: zero(),
      stayers: zero(),
    };
    const check = (ids: string[], leaver: boolean) => {
      for (const identityId of ids) {
        const userName = userNames.get(identityId) ?? '';
        const state = stateOf(accounts, userName);
        (leaver ? row.leavers : row.stayers)[state] += 1;
        if (state === (leaver ? 'disabled' : 'active')) continue;
        (leaver ? failed.leavers : failed.stayers).add(identityId);
        if (examples.length < 10) examples.push({ identityId, userName, app: app.name, state, leaver });
      }
    };
    check(opts.leaverIds, true);
    check(opts.stayerIds, false);
    byApp.push(row);
  }
  return {
    leavers: opts.leaverIds.length,
    stayers: opts.stayerIds.length,
    failures: failed.leavers.size,
    stayerFailures: failed.stayers.size,
    examples,
    byApp,
    seconds: round((Date.now() - t0) / 1000, 2),
  };
}

export function formatEndState(r: EndStateResult): string[] {
  return [
    ...r.byApp.map(
      (a) => `  ${a.app} (${a.source}): leavers ${JSON.stringify(a.leavers)}, stayers ${JSON.stringify(a.stayers)}`,
    ),
    `  ${r.failures}/${r.leavers} leavers not disabled in every app; ${r.stayerFailures}/${r.stayers} stayers not active in every app (read in ${r.seconds} s)`,
    ...r.examples.map(
      (e) => `    e.g. ${e.leaver ? 'leaver' : 'stayer'} ${e.userName} (${e.identityId}) is ${e.state} in ${e.app}`,
    ),
  ];
}
