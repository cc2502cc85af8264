// store/nhis.ts: non-human identities (service accounts, API keys, agents), their owners and credentials.
import crypto from 'node:crypto';
import type { Db } from './db';

import type { NhiKind } from '../domain/hr/service-user';

export { NHI_KINDS } from '../domain/hr/service-user';
export type { NhiKind } from '../domain/hr/service-user';

export interface Nhi {
  directoryId: string;
  id: string;
  name: string;
  kind: NhiKind;
  ownerId: string | null;
  expiresAt: string | null;
  rotateBy: string | null;
  /** App name → entitlements: where it holds an account. */
  apps: Record<string, string[]>;
  status: 'active' | 'revoked';
  revokedAt: string | null;
  revokedReason: string | null;
  revokedSeq: number | null;
  exception: string | null;
  source: 'admin' | 'scim';
  createdAt: string;
  updatedAt: string;
}

export interface NhiCredential {
  id: string;
  directoryId: string;
  nhiId: string;
  name: string;
  appId: string | null;
  revoke: 'account' | 'manual';
  status: 'active' | 'open' | 'revoked';
  openedAt: string | null;
  revokedAt: string | null;
  confirmedBy: string | null;
}

export interface Raw {
  directory_id: string;
  id: string;
  name: string;
  kind: NhiKind;
  owner_id: string | null;
  expires_at: string | null;
  rotate_by: string | null;
  apps_json: string;
  status: Nhi['status'];
  revoked_at: string | null;
  revoked_reason: string | null;
  revoked_seq: number | null;
  exception: string | null;
  source: Nhi['source'];
  created_at: string;
  updated_at: string;
}

export interface RawCredential {
  id: string;
  directory_id: string;
  nhi_id: string;
  name: string;
  app_id: string | null;
  revoke: NhiCredential['revoke'];
  status: NhiCredential['status'];
  opened_at: string | null;
  revoked_at: string | null;
  confirmed_by: string | null;
}

export const fromRaw = (r: Raw): Nhi => ({
  directoryId: r.directory_id,
  id: r.id,
  name: r.name,
  kind: r.kind,
  ownerId: r.owner_id,
  expiresAt: r.expires_at,
  rotateBy: r.rotate_by,
  apps: JSON.parse(r.apps_json) as Record<string, string[]>,
  status: r.status,
  revokedAt: r.revoked_at,
  revokedReason: r.revoked_reason,
  revokedSeq: r.revoked_seq,
  exception: r.exception,
  source: r.source,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const credentialFromRaw = (r: RawCredential): NhiCredential => ({
  id: r.id,
  directoryId: r.directory_id,
  nhiId: r.nhi_id,
  name: r.name,
  appId: r.app_id,
  revoke: r.revoke,
  status: r.status,
  openedAt: r.opened_at,
  revokedAt: r.revoked_at,
  confirmedBy: r.confirmed_by,
});

/** A non-human identity to record (`id` given when an IdP pushed it as a user). */
export interface NewNhi {
  directoryId: string;
  name: string;
  kind: NhiKind;
  ownerId: string | null;
  expiresAt: string | null;
  rotateBy: string | null;
  apps: Record<string, string[]>;
  source: Nhi['source'];
  id?: string;
  at: string;
}

export class NhiStore {
  /** Read on every identity load: prepared once. */
  private readonly byId;
  private readonly ownedCount;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string, string], Raw>('SELECT * FROM nhis WHERE directory_id = ? AND id = ?');
    this.ownedCount = db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM nhis WHERE directory_id = ? AND owner_id = ? AND status = 'active'`,
    );
  }

  add(input: NewNhi): Nhi {
    const id = input.id ?? `nhi-${crypto.randomUUID()}`;
    this.db
      .prepare(
        `INSERT INTO nhis (directory_id, id, name, kind, owner_id, expires_at, rotate_by, apps_json, status, source,
           created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
      )
      .run(
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
        input.at,
      );
    return this.get(input.directoryId, id)!;
  }

  get(directoryId: string, id: string): Nhi | undefined {
    const row = this.byId.get(directoryId, id);
    return row && fromRaw(row);
  }

  byName(directoryId: string, name: string): Nhi[] {
    return (
      this.db
        .prepare('SELECT * FROM nhis WHERE directory_id = ? AND lower(name) = lower(?) ORDER BY created_at')
        .all(directoryId, name) as Raw[]
    ).map(fromRaw);
  }

  list(directoryId: string, opts: { ownerId?: string } = {}): Nhi[] {
    const owner = opts.ownerId !== undefined ? 'AND owner_id = ?' : '';
    const args = opts.ownerId !== undefined ? [directoryId, opts.ownerId] : [directoryId];
    return (
      this.db
        .prepare(`SELECT * FROM nhis WHERE directory_id = ? ${owner} ORDER BY created_at, id`)
        .all(...args) as Raw[]
    ).map(fromRaw);
  }

  /** Active NHIs this identity owns. */
  ownedActive(directoryId: string, ownerId: string): Nhi[] {
    return this.list(directoryId, { ownerId }).filter((n) => n.status === 'active');
  }

  countOwnedActive(directoryId: string, ownerId: string): number {
    return this.ownedCount.get(directoryId, ownerId)!.n;
  }

  transfer(directoryId: string, id: string, ownerId: string, at: string): void {
    this.db
      .prepare('UPDATE nhis SET owner_id = ?, exception = NULL, updated_at = ? WHERE directory_id = ? AND id = ?')
      .run(ownerId, at, directoryId, id);
  }

  revoke(directoryId: string, id: string, reason: string, seq: number, at: string): void {
    this.db
      .prepare(
        `UPDATE nhis SET status = 'revoked', revoked_at = ?, revoked_reason = ?, revoked_seq = ?, exception = NULL,
           updated_at = ? WHERE directory_id = ? AND id = ? AND status = 'active'`,
      )
      .run(at, reason, seq, at, directoryId, id);
    // Credentials revoked through the app's API go with the account; the others wait for a person to confirm.
    this.db
      .prepare(
        `UPDATE nhi_credentials SET status = CASE revoke WHEN 'manual' THEN 'open' ELSE 'revoked' END,
           opened_at = CASE revoke WHEN 'manual' THEN ? ELSE opened_at END,
           revoked_at = CASE revoke WHEN 'manual' THEN revoked_at ELSE ? END
         WHERE directory_id = ? AND nhi_id = ? AND status = 'active'`,
      )
      .run(at, at, directoryId, id);
  }

  setException(directoryId: string, id: string, exception: string | null, at: string): void {
    this.db
      .prepare('UPDATE nhis SET exception = ?, updated_at = ? WHERE directory_id = ? AND id = ?')
      .run(exception, at, directoryId, id);
  }

  addCredential(input: Omit<NhiCredential, 'id' | 'status' | 'openedAt' | 'revokedAt' | 'confirmedBy'>): NhiCredential {
    const id = `cred-${crypto.randomUUID()}`;
    this.db
      .prepare(
        `INSERT INTO nhi_credentials (id, directory_id, nhi_id, name, app_id, revoke, status) VALUES (?, ?, ?, ?, ?, ?, 'active')`,
      )
      .run(id, input.directoryId, input.nhiId, input.name, input.appId, input.revoke);
    return this.credential(id)!;
  }

  credential(id: string): NhiCredential | undefined {
    const row = this.db.prepare('SELECT * FROM nhi_credentials WHERE id = ?').get(id) as RawCredential | undefined;
    return row && credentialFromRaw(row);
  }

  credentials(directoryId: string, nhiId: string): NhiCredential[] {
    return (
      this.db
        .prepare('SELECT * FROM nhi_credentials WHERE directory_id = ? AND nhi_id = ? ORDER BY name, id')
        .all(directoryId, nhiId) as RawCredential[]
    ).map(credentialFromRaw);
  }

  /** A person confirmed a manual revocation; false when it was not open. */
  confirm(id: string, by: string, at: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE nhi_credentials SET status = 'revoked', revoked_at = ?, confirmed_by = ? WHERE id = ? AND status = 'open'`,
        )
        .run(at, by, id).changes === 1
    );
  }
}
