// store/pg/local-accounts.ts: accounts kept in scimflow's own database (table local_accounts) on PostgreSQL: the
// built-in demo app's, and a webhook app's record of what it was told.
import type { AccountSpec } from '../../domain/accounts/account-spec';
import type { Async } from '../connection-gate';
import { UniqueViolationError } from '../errors';
import type { LocalAccount, LocalAccountRecord, LocalAccountStore, RawAccount } from '../local-accounts';
import { specColumns, toAccount, withoutDoc } from '../local-accounts';
import type { PgSession } from './session';
import { isPgUniqueViolation } from './session';

export class PgLocalAccountStore implements Async<LocalAccountStore> {
  constructor(private readonly session: PgSession) {}

  async get(appId: string, id: string): Promise<LocalAccountRecord | undefined> {
    const row = await this.session.one<RawAccount>('SELECT * FROM local_accounts WHERE app_id = $1 AND id = $2', [
      appId,
      id,
    ]);
    return row ? toAccount(row) : undefined;
  }

  /**
   * By userName (case-insensitively) or by externalId; by lower-cased userName, the order SQLite gives (it reads both
   * through the app's userName index).
   */
  async find(appId: string, attribute: 'userName' | 'externalId', value: string): Promise<LocalAccountRecord[]> {
    const rows =
      attribute === 'externalId'
        ? await this.session.query<RawAccount>(
            'SELECT * FROM local_accounts WHERE app_id = $1 AND external_id = $2 ORDER BY user_name_lower',
            [appId, value],
          )
        : await this.session.query<RawAccount>(
            'SELECT * FROM local_accounts WHERE app_id = $1 AND user_name_lower = $2',
            [appId, value.toLowerCase()],
          );
    return rows.map(toAccount);
  }

  /** One page by id order (offset from 0), and how many there are: both from one snapshot, as on SQLite. */
  page(appId: string, count: number, offset: number): Promise<{ accounts: LocalAccountRecord[]; total: number }> {
    return this.session.readConsistently(async () => {
      const rows = await this.session.query<RawAccount>(
        'SELECT * FROM local_accounts WHERE app_id = $1 ORDER BY id LIMIT $2 OFFSET $3',
        [appId, count, offset],
      );
      const total = await this.session.one<{ n: number }>(
        'SELECT COUNT(*)::int AS n FROM local_accounts WHERE app_id = $1',
        [appId],
      );
      return { accounts: rows.map(toAccount), total: total!.n };
    });
  }

  /** All accounts of an app, by userName (the CLI's `app accounts` and the tests read the demo app through this). */
  async list(appId: string): Promise<LocalAccount[]> {
    const rows = await this.session.query<RawAccount>(
      'SELECT * FROM local_accounts WHERE app_id = $1 ORDER BY user_name_lower',
      [appId],
    );
    return rows.map((r) => withoutDoc(toAccount(r)));
  }

  /** A new account; UniqueViolationError when the app has one of that userName (or id) already. */
  async insert(appId: string, id: string, spec: AccountSpec, at: string): Promise<void> {
    try {
      await this.session.run(
        `INSERT INTO local_accounts (app_id, id, user_name, user_name_lower, external_id, active, doc, entitlements_json, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '[]', $8, $9)`,
        [appId, id, ...specColumns(spec), at, at],
      );
    } catch (err) {
      if (isPgUniqueViolation(err)) throw new UniqueViolationError(`an account named ${spec.userName} exists already`);
      throw err;
    }
  }

  /** Every attribute of the spec over the account. */
  async update(appId: string, id: string, spec: AccountSpec, at: string): Promise<void> {
    await this.session.run(
      `UPDATE local_accounts SET user_name = $1, user_name_lower = $2, external_id = $3, active = $4, doc = $5, updated_at = $6
       WHERE app_id = $7 AND id = $8`,
      [...specColumns(spec), at, appId, id],
    );
  }

  /**
   * active = false, in the column and in the attributes. The attributes are read and written back whole (the same
   * JSON text SQLite writes), so the row is locked in between (`FOR UPDATE`): an `update` from another process
   * committing between the read and the write would otherwise be overwritten with the attributes read before it.
   */
  async disable(appId: string, id: string, at: string): Promise<void> {
    await this.session.atomically(async () => {
      const row = await this.session.one<Pick<RawAccount, 'doc'>>(
        'SELECT doc FROM local_accounts WHERE app_id = $1 AND id = $2 FOR UPDATE',
        [appId, id],
      );
      if (!row) return;
      const doc = JSON.parse(row.doc) as Record<string, unknown>;
      await this.session.run(
        'UPDATE local_accounts SET active = 0, doc = $1, updated_at = $2 WHERE app_id = $3 AND id = $4',
        [JSON.stringify({ ...doc, active: false }), at, appId, id],
      );
    });
  }

  async delete(appId: string, id: string): Promise<void> {
    await this.session.run('DELETE FROM local_accounts WHERE app_id = $1 AND id = $2', [appId, id]);
  }

  /**
   * Changes the account's entitlements in one transaction; false when there is no such account. A read-modify-write:
   * SQLite's write lock kept it whole, here the row lock (`FOR UPDATE`) does, so that two processes granting two
   * entitlements to one account at once both keep theirs (the second waits, then reads what the first wrote).
   */
  changeEntitlements(appId: string, id: string, change: (held: Set<string>) => void, at: string): Promise<boolean> {
    return this.session.atomically(async () => {
      const row = await this.session.one<Pick<RawAccount, 'entitlements_json'>>(
        'SELECT entitlements_json FROM local_accounts WHERE app_id = $1 AND id = $2 FOR UPDATE',
        [appId, id],
      );
      if (!row) return false;
      const held = new Set(JSON.parse(row.entitlements_json) as string[]);
      change(held);
      await this.session.run(
        'UPDATE local_accounts SET entitlements_json = $1, updated_at = $2 WHERE app_id = $3 AND id = $4',
        [JSON.stringify([...held].sort()), at, appId, id],
      );
      return true;
    });
  }
}
