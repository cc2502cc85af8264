// store/local-accounts.ts: accounts kept in scimflow's own database (table local_accounts): the built-in demo app's,
// and a webhook app's record of what it was told.
import type { AccountSpec } from '../domain/accounts/account-spec';
import type { Db } from './db';
import { isUniqueViolation, UniqueViolationError } from './errors';

export interface RawAccount {
  id: string;
  user_name: string;
  external_id: string | null;
  active: number;
  doc: string;
  entitlements_json: string;
}

/** An account of a local app with its entitlements (what the CLI's `app accounts` and the tests show). */
export interface LocalAccount {
  id: string;
  userName: string;
  externalId?: string;
  active: boolean;
  entitlements: string[];
}

/** A local account with the attributes it was last given. */
export interface LocalAccountRecord extends LocalAccount {
  doc: Record<string, unknown>;
}

export const toAccount = (r: RawAccount): LocalAccountRecord => ({
  id: r.id,
  userName: r.user_name,
  ...(r.external_id !== null ? { externalId: r.external_id } : {}),
  active: r.active === 1,
  entitlements: JSON.parse(r.entitlements_json) as string[],
  doc: JSON.parse(r.doc) as Record<string, unknown>,
});

export const withoutDoc = ({ doc: _doc, ...account }: LocalAccountRecord): LocalAccount => account;

/** user_name, user_name_lower, external_id, active, doc: the columns an account spec sets. */
export const specColumns = (spec: AccountSpec) =>
  [
    spec.userName,
    spec.userName.toLowerCase(),
    spec.externalId ?? null,
    spec.active ? 1 : 0,
    JSON.stringify(spec),
  ] as const;

export class LocalAccountStore {
  private readonly byId;
  private readonly byUserName;
  private readonly byExternalId;
  private readonly pageOf;
  private readonly total;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string, string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? AND id = ?');
    this.byUserName = db.prepare<[string, string], RawAccount>(
      'SELECT * FROM local_accounts WHERE app_id = ? AND user_name_lower = ?',
    );
    this.byExternalId = db.prepare<[string, string], RawAccount>(
      'SELECT * FROM local_accounts WHERE app_id = ? AND external_id = ?',
    );
    this.pageOf = db.prepare<[string, number, number], RawAccount>(
      'SELECT * FROM local_accounts WHERE app_id = ? ORDER BY id LIMIT ? OFFSET ?',
    );
    this.total = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM local_accounts WHERE app_id = ?');
  }

  get(appId: string, id: string): LocalAccountRecord | undefined {
    const row = this.byId.get(appId, id);
    return row ? toAccount(row) : undefined;
  }

  /** By userName (case-insensitively) or by externalId. */
  find(appId: string, attribute: 'userName' | 'externalId', value: string): LocalAccountRecord[] {
    const rows =
      attribute === 'externalId'
        ? this.byExternalId.all(appId, value)
        : this.byUserName.all(appId, value.toLowerCase());
    return rows.map(toAccount);
  }

  /** One page by id order (offset from 0), and how many there are. */
  page(appId: string, count: number, offset: number): { accounts: LocalAccountRecord[]; total: number } {
    return { accounts: this.pageOf.all(appId, count, offset).map(toAccount), total: this.total.get(appId)!.n };
  }

  /** All accounts of an app, by userName (the CLI's `app accounts` and the tests read the demo app through this). */
  list(appId: string): LocalAccount[] {
    return this.db
      .prepare<[string], RawAccount>('SELECT * FROM local_accounts WHERE app_id = ? ORDER BY user_name_lower')
      .all(appId)
      .map((r) => withoutDoc(toAccount(r)));
  }

  /** A new account; UniqueViolationError when the app has one of that userName (or id) already. */
  insert(appId: string, id: string, spec: AccountSpec, at: string): void {
    try {
      this.db
        .prepare(
          `INSERT INTO local_accounts (app_id, id, user_name, user_name_lower, external_id, active, doc, entitlements_json, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`,
        )
        .run(appId, id, ...specColumns(spec), at, at);
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueViolationError(`an account named ${spec.userName} exists already`);
      throw err;
    }
  }

  /** Every attribute of the spec over the account. */
  update(appId: string, id: string, spec: AccountSpec, at: string): void {
    this.db
      .prepare(
        `UPDATE local_accounts SET user_name = ?, user_name_lower = ?, external_id = ?, active = ?, doc = ?, updated_at = ?
         WHERE app_id = ? AND id = ?`,
      )
      .run(...specColumns(spec), at, appId, id);
  }

  /** active = false, in the column and in the attributes. */
  disable(appId: string, id: string, at: string): void {
    const account = this.get(appId, id);
    if (!account) return;
    this.db
      .prepare('UPDATE local_accounts SET active = 0, doc = ?, updated_at = ? WHERE app_id = ? AND id = ?')
      .run(JSON.stringify({ ...account.doc, active: false }), at, appId, id);
  }

  delete(appId: string, id: string): void {
    this.db.prepare('DELETE FROM local_accounts WHERE app_id = ? AND id = ?').run(appId, id);
  }

  /** Changes the account's entitlements in one transaction; false when there is no such account. */
  changeEntitlements(appId: string, id: string, change: (held: Set<string>) => void, at: string): boolean {
    return this.db
      .transaction(() => {
        const account = this.get(appId, id);
        if (!account) return false;
        const held = new Set(account.entitlements);
        change(held);
        this.db
          .prepare('UPDATE local_accounts SET entitlements_json = ?, updated_at = ? WHERE app_id = ? AND id = ?')
          .run(JSON.stringify([...held].sort()), at, appId, id);
        return true;
      })
      .immediate();
  }
}
