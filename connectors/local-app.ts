// connectors/local-app.ts: the built-in demo app; keeps accounts in scimflow's own database (table local_accounts).
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';

interface RawAccount {
  id: string;
  user_name: string;
  external_id: string | null;
  active: number;
  entitlements_json: string;
}

const toRemote = (r: RawAccount): RemoteAccount => ({
  id: r.id,
  userName: r.user_name,
  externalId: r.external_id ?? undefined,
  active: r.active === 1,
  entitlements: JSON.parse(r.entitlements_json) as string[],
});

/** user_name, user_name_lower, external_id, active, doc: the columns an account spec sets. */
const specColumns = (spec: AccountSpec) =>
  [
    spec.userName,
    spec.userName.toLowerCase(),
    spec.externalId ?? null,
    spec.active ? 1 : 0,
    JSON.stringify(spec),
  ] as const;

export function createLocalAppConnector(db: Database.Database, appId: string): Connector {
  const byId = db.prepare<[string, string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? AND id = ?');
  const byUserName = db.prepare<[string, string], RawAccount>(
    'SELECT * FROM local_accounts WHERE app_id = ? AND user_name_lower = ?',
  );
  const byExternalId = db.prepare<[string, string], RawAccount>(
    'SELECT * FROM local_accounts WHERE app_id = ? AND external_id = ?',
  );
  const now = () => new Date().toISOString();

  function write(remoteId: string, spec: AccountSpec): RemoteAccount {
    db.prepare(
      `UPDATE local_accounts SET user_name = ?, user_name_lower = ?, external_id = ?, active = ?, doc = ?, updated_at = ?
       WHERE app_id = ? AND id = ?`,
    ).run(...specColumns(spec), now(), appId, remoteId);
    return toRemote(byId.get(appId, remoteId)!);
  }

  function setEntitlements(remoteId: string, change: (held: Set<string>) => void): void {
    db.transaction(() => {
      const row = byId.get(appId, remoteId);
      if (!row) return;
      const held = new Set(JSON.parse(row.entitlements_json) as string[]);
      change(held);
      db.prepare('UPDATE local_accounts SET entitlements_json = ?, updated_at = ? WHERE app_id = ? AND id = ?').run(
        JSON.stringify([...held].sort()),
        now(),
        appId,
        remoteId,
      );
    }).immediate();
  }

  const connector: Connector = {
    async findAccount({ userName, externalId }) {
      const row =
        (externalId ? byExternalId.get(appId, externalId) : undefined) ?? byUserName.get(appId, userName.toLowerCase());
      return row ? toRemote(row) : undefined;
    },
    async getAccount(remoteId) {
      const row = byId.get(appId, remoteId);
      return row ? toRemote(row) : undefined;
    },
    async createAccount(spec: AccountSpec, _options: CallOptions) {
      // Lookup-then-insert in one transaction: a retried activity adopts the account its first attempt created.
      return db
        .transaction(() => {
          const existing = byUserName.get(appId, spec.userName.toLowerCase());
          if (existing) return write(existing.id, spec);
          const id = crypto.randomUUID();
          db.prepare(
            `INSERT INTO local_accounts (app_id, id, user_name, user_name_lower, external_id, active, doc, entitlements_json, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`,
          ).run(appId, id, ...specColumns(spec), now(), now());
          return toRemote(byId.get(appId, id)!);
        })
        .immediate();
    },
    async updateAccount(remoteId, spec) {
      if (!byId.get(appId, remoteId)) return connector.createAccount(spec, { idempotencyKey: `recreate/${remoteId}` });
      return write(remoteId, spec);
    },
    async deleteAccount(remoteId) {
      db.prepare('DELETE FROM local_accounts WHERE app_id = ? AND id = ?').run(appId, remoteId);
    },
    async grantEntitlement(remoteId, entitlement) {
      setEntitlements(remoteId, (held) => held.add(entitlement));
    },
    async revokeEntitlement(remoteId, entitlement) {
      setEntitlements(remoteId, (held) => held.delete(entitlement));
    },
  };
  return connector;
}

/** All accounts of a local app (the CLI's `app accounts` and the tests read the demo app through this). */
export function listLocalAccounts(db: Database.Database, appId: string): RemoteAccount[] {
  return db
    .prepare<[string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? ORDER BY user_name_lower')
    .all(appId)
    .map(toRemote);
}
