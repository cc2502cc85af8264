// connectors/local-app.ts: the built-in demo app; keeps accounts in scimflow's own database (table local_accounts).
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';
import { DownstreamRejectedError } from './connector';

interface RawAccount {
  id: string;
  user_name: string;
  external_id: string | null;
  active: number;
  doc: string;
  entitlements_json: string;
}

const toRemote = (r: RawAccount): RemoteAccount => ({
  id: r.id,
  userName: r.user_name,
  externalId: r.external_id ?? undefined,
  active: r.active === 1,
});

const entitlementsOf = (r: RawAccount): string[] => JSON.parse(r.entitlements_json) as string[];

/** user_name, user_name_lower, external_id, active, doc: the columns an account spec sets. */
const specColumns = (spec: AccountSpec) =>
  [
    spec.userName,
    spec.userName.toLowerCase(),
    spec.externalId ?? null,
    spec.active ? 1 : 0,
    JSON.stringify(spec),
  ] as const;

const isUniqueViolation = (err: unknown) =>
  err instanceof Error && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export interface LocalAppOptions {
  /** The id a new account gets (default: a random UUID); a webhook app derives it from the call's idempotency key. */
  newId?: (spec: AccountSpec, options: CallOptions) => string;
}

export function createLocalAppConnector(db: Database.Database, appId: string, opts: LocalAppOptions = {}): Connector {
  const byId = db.prepare<[string, string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? AND id = ?');
  const byUserName = db.prepare<[string, string], RawAccount>(
    'SELECT * FROM local_accounts WHERE app_id = ? AND user_name_lower = ?',
  );
  const byExternalId = db.prepare<[string, string], RawAccount>(
    'SELECT * FROM local_accounts WHERE app_id = ? AND external_id = ?',
  );
  const page = db.prepare<[string, number, number], RawAccount>(
    'SELECT * FROM local_accounts WHERE app_id = ? ORDER BY id LIMIT ? OFFSET ?',
  );
  const total = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM local_accounts WHERE app_id = ?');
  const now = () => new Date().toISOString();

  function read(remoteId: string): RawAccount {
    const row = byId.get(appId, remoteId);
    if (!row) throw new DownstreamRejectedError(`local app: no account ${remoteId}`, 404);
    return row;
  }

  function setEntitlements(remoteId: string, change: (held: Set<string>) => void): void {
    db.transaction(() => {
      const row = read(remoteId);
      const held = new Set(entitlementsOf(row));
      change(held);
      db.prepare('UPDATE local_accounts SET entitlements_json = ?, updated_at = ? WHERE app_id = ? AND id = ?').run(
        JSON.stringify([...held].sort()),
        now(),
        appId,
        remoteId,
      );
    }).immediate();
  }

  return {
    async getAccount(remoteId) {
      const row = byId.get(appId, remoteId);
      return row ? toRemote(row) : undefined;
    },
    async searchAccounts(attribute, value) {
      const rows =
        attribute === 'externalId' ? byExternalId.all(appId, value) : byUserName.all(appId, value.toLowerCase());
      return rows.map(toRemote);
    },
    async createAccount(spec: AccountSpec, options: CallOptions) {
      const id = opts.newId ? opts.newId(spec, options) : crypto.randomUUID();
      try {
        db.prepare(
          `INSERT INTO local_accounts (app_id, id, user_name, user_name_lower, external_id, active, doc, entitlements_json, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`,
        ).run(appId, id, ...specColumns(spec), now(), now());
      } catch (err) {
        if (isUniqueViolation(err))
          throw new DownstreamRejectedError(`local app: an account named ${spec.userName} exists already`, 409);
        throw err;
      }
      return toRemote(read(id));
    },
    async updateAccount(remoteId, spec) {
      read(remoteId);
      db.prepare(
        `UPDATE local_accounts SET user_name = ?, user_name_lower = ?, external_id = ?, active = ?, doc = ?, updated_at = ?
         WHERE app_id = ? AND id = ?`,
      ).run(...specColumns(spec), now(), appId, remoteId);
      return toRemote(read(remoteId));
    },
    async disableAccount(remoteId) {
      const row = byId.get(appId, remoteId);
      if (!row) return undefined;
      const doc = { ...(JSON.parse(row.doc) as Record<string, unknown>), active: false };
      db.prepare('UPDATE local_accounts SET active = 0, doc = ?, updated_at = ? WHERE app_id = ? AND id = ?').run(
        JSON.stringify(doc),
        now(),
        appId,
        remoteId,
      );
      return toRemote(read(remoteId));
    },
    async deleteAccount(remoteId) {
      db.prepare('DELETE FROM local_accounts WHERE app_id = ? AND id = ?').run(appId, remoteId);
    },
    async grantEntitlement(remoteId, entitlement) {
      setEntitlements(remoteId, (held) => held.add(entitlement));
    },
    async revokeEntitlement(remoteId, entitlement) {
      if (byId.get(appId, remoteId)) setEntitlements(remoteId, (held) => held.delete(entitlement));
    },
    async heldEntitlements(remoteId, among) {
      const row = byId.get(appId, remoteId);
      const held = row ? entitlementsOf(row) : [];
      return among.filter((e) => held.includes(e));
    },
    async listAccounts(startIndex, count) {
      const rows = page.all(appId, count, Math.max(0, startIndex - 1));
      return {
        accounts: rows.map((r) => ({
          ...toRemote(r),
          attributes: { id: r.id, ...(JSON.parse(r.doc) as Record<string, unknown>) },
          entitlements: entitlementsOf(r),
        })),
        totalResults: total.get(appId)!.n,
      };
    },
    async entitlementHolders() {
      return null; // each account carries its entitlements
    },
  };
}

/** An account of a local app with its entitlements (what the CLI's `app accounts` and the tests show). */
export interface LocalAccount extends RemoteAccount {
  entitlements: string[];
}

/** All accounts of a local app (the CLI's `app accounts` and the tests read the demo app through this). */
export function listLocalAccounts(db: Database.Database, appId: string): LocalAccount[] {
  return db
    .prepare<[string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? ORDER BY user_name_lower')
    .all(appId)
    .map((r) => ({ ...toRemote(r), entitlements: entitlementsOf(r) }));
}
