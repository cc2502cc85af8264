// store/pg/nhis.ts: non-human identities (service accounts, API keys, agents), their owners and credentials, on
// PostgreSQL.
import crypto from 'node:crypto';
import type { Async } from '../connection-gate';
import type { NewNhi, Nhi, NhiCredential, NhiStore, Raw, RawCredential } from '../nhis';
import { credentialFromRaw, fromRaw } from '../nhis';
import type { PgSession } from './session';

export class PgNhiStore implements Async<NhiStore> {
  constructor(private readonly session: PgSession) {}

  async add(input: NewNhi): Promise<Nhi> {
    const id = input.id ?? `nhi-${crypto.randomUUID()}`;
    // RETURNING: the row as written, with no second read (another process may change it right after).
    const row = await this.session.one<Raw>(
      `INSERT INTO nhis (directory_id, id, name, kind, owner_id, expires_at, rotate_by, apps_json, status, source,
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $10)
       RETURNING *`,
      [
        input.directoryId,
        id,
        input.name,
        input.kind,
        input.ownerId,
        input.expiresAt,
        input.rotateBy,
        JSON.stringify(input.apps),
        input.source,
        input.at,
      ],
    );
    return fromRaw(row!);
  }

  async get(directoryId: string, id: string): Promise<Nhi | undefined> {
    const row = await this.session.one<Raw>('SELECT * FROM nhis WHERE directory_id = $1 AND id = $2', [
      directoryId,
      id,
    ]);
    return row && fromRaw(row);
  }

  /**
   * Case-insensitive as SQLite's lower() is: ASCII letters only. The column is "C" already; the parameter is given
   * "C" too, or lower() would fold it by the database's locale.
   */
  async byName(directoryId: string, name: string): Promise<Nhi[]> {
    const rows = await this.session.query<Raw>(
      `SELECT * FROM nhis WHERE directory_id = $1 AND lower(name) = lower($2::text COLLATE "C") ORDER BY created_at`,
      [directoryId, name],
    );
    return rows.map(fromRaw);
  }

  async list(directoryId: string, opts: { ownerId?: string } = {}): Promise<Nhi[]> {
    const owner = opts.ownerId !== undefined ? 'AND owner_id = $2' : '';
    const args = opts.ownerId !== undefined ? [directoryId, opts.ownerId] : [directoryId];
    const rows = await this.session.query<Raw>(
      `SELECT * FROM nhis WHERE directory_id = $1 ${owner} ORDER BY created_at, id`,
      args,
    );
    return rows.map(fromRaw);
  }

  /** Active NHIs this identity owns. */
  async ownedActive(directoryId: string, ownerId: string): Promise<Nhi[]> {
    return (await this.list(directoryId, { ownerId })).filter((n) => n.status === 'active');
  }

  async countOwnedActive(directoryId: string, ownerId: string): Promise<number> {
    const row = await this.session.one<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM nhis WHERE directory_id = $1 AND owner_id = $2 AND status = 'active'`,
      [directoryId, ownerId],
    );
    return row!.n;
  }

  async transfer(directoryId: string, id: string, ownerId: string, at: string): Promise<void> {
    await this.session.run(
      'UPDATE nhis SET owner_id = $1, exception = NULL, updated_at = $2 WHERE directory_id = $3 AND id = $4',
      [ownerId, at, directoryId, id],
    );
  }

  async revoke(directoryId: string, id: string, reason: string, seq: number, at: string): Promise<void> {
    // SQLite ran the two statements back to back on its one connection, so nothing came between them; here they are
    // one transaction, so no process sees the NHI revoked with its credentials still active.
    await this.session.atomically(async () => {
      await this.session.run(
        `UPDATE nhis SET status = 'revoked', revoked_at = $1, revoked_reason = $2, revoked_seq = $3, exception = NULL,
           updated_at = $1 WHERE directory_id = $4 AND id = $5 AND status = 'active'`,
        [at, reason, seq, directoryId, id],
      );
      // Credentials revoked through the app's API go with the account; the others wait for a person to confirm.
      await this.session.run(
        `UPDATE nhi_credentials SET status = CASE revoke WHEN 'manual' THEN 'open' ELSE 'revoked' END,
           opened_at = CASE revoke WHEN 'manual' THEN $1 ELSE opened_at END,
           revoked_at = CASE revoke WHEN 'manual' THEN revoked_at ELSE $1 END
         WHERE directory_id = $2 AND nhi_id = $3 AND status = 'active'`,
        [at, directoryId, id],
      );
    });
  }

  async setException(directoryId: string, id: string, exception: string | null, at: string): Promise<void> {
    await this.session.run('UPDATE nhis SET exception = $1, updated_at = $2 WHERE directory_id = $3 AND id = $4', [
      exception,
      at,
      directoryId,
      id,
    ]);
  }

  async addCredential(
    input: Omit<NhiCredential, 'id' | 'status' | 'openedAt' | 'revokedAt' | 'confirmedBy'>,
  ): Promise<NhiCredential> {
    const id = `cred-${crypto.randomUUID()}`;
    const row = await this.session.one<RawCredential>(
      `INSERT INTO nhi_credentials (id, directory_id, nhi_id, name, app_id, revoke, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'active') RETURNING *`,
      [id, input.directoryId, input.nhiId, input.name, input.appId, input.revoke],
    );
    return credentialFromRaw(row!);
  }

  async credential(id: string): Promise<NhiCredential | undefined> {
    const row = await this.session.one<RawCredential>('SELECT * FROM nhi_credentials WHERE id = $1', [id]);
    return row && credentialFromRaw(row);
  }

  async credentials(directoryId: string, nhiId: string): Promise<NhiCredential[]> {
    const rows = await this.session.query<RawCredential>(
      'SELECT * FROM nhi_credentials WHERE directory_id = $1 AND nhi_id = $2 ORDER BY name, id',
      [directoryId, nhiId],
    );
    return rows.map(credentialFromRaw);
  }

  /** A person confirmed a manual revocation; false when it was not open (the UPDATE checks and sets at once). */
  async confirm(id: string, by: string, at: string): Promise<boolean> {
    const changed = await this.session.run(
      `UPDATE nhi_credentials SET status = 'revoked', revoked_at = $1, confirmed_by = $2 WHERE id = $3 AND status = 'open'`,
      [at, by, id],
    );
    return changed === 1;
  }
}
