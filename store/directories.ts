// store/directories.ts: directories (one IdP connection each), their hashed bearer tokens, and their apps.
import crypto from 'node:crypto';
import type { Db } from './db';
import { nowIso } from './db';
import type { SecretBox } from './secrets';

export interface DirectoryRow {
  id: string;
  name: string;
  dialect: string;
  config: Record<string, unknown>;
  createdAt: string;
}

export interface AppRow {
  id: string;
  directoryId: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  createdAt: string;
}

export interface RawDirectory {
  id: string;
  name: string;
  dialect: string;
  config_json: string;
  created_at: string;
}
export interface RawApp {
  id: string;
  directory_id: string;
  name: string;
  type: string;
  config_json: string;
  created_at: string;
}

export const toDirectory = (r: RawDirectory): DirectoryRow => ({
  id: r.id,
  name: r.name,
  dialect: r.dialect,
  config: JSON.parse(r.config_json) as Record<string, unknown>,
  createdAt: r.created_at,
});
export const toApp = (r: RawApp, secrets: SecretBox): AppRow => ({
  id: r.id,
  directoryId: r.directory_id,
  name: r.name,
  type: r.type,
  config: secrets.openConfig(JSON.parse(r.config_json) as Record<string, unknown>),
  createdAt: r.created_at,
});

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newToken(): string {
  return `sfdt_${crypto.randomBytes(32).toString('base64url')}`;
}

export class DirectoryStore {
  private readonly byTokenHash;
  private readonly byId;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {
    this.byTokenHash = db.prepare<[string], { directory_id: string; token_hash: string }>(
      'SELECT directory_id, token_hash FROM directory_tokens WHERE token_hash = ? AND revoked_at IS NULL',
    );
    this.byId = db.prepare<[string], RawDirectory>('SELECT * FROM directories WHERE id = ?');
  }

  create(input: { name: string; dialect: string; config?: Record<string, unknown> }): {
    directory: DirectoryRow;
    token: string;
  } {
    const id = crypto.randomUUID();
    const token = newToken();
    const at = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO directories (id, name, dialect, config_json, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, input.name, input.dialect, JSON.stringify(input.config ?? {}), at);
      this.db
        .prepare('INSERT INTO directory_tokens (token_hash, directory_id, created_at) VALUES (?, ?, ?)')
        .run(hashToken(token), id, at);
    })();
    return { directory: this.get(id)!, token };
  }

  get(id: string): DirectoryRow | undefined {
    const row = this.byId.get(id);
    return row ? toDirectory(row) : undefined;
  }

  list(): DirectoryRow[] {
    return this.db.prepare<[], RawDirectory>('SELECT * FROM directories ORDER BY created_at').all().map(toDirectory);
  }

  updateConfig(id: string, config: Record<string, unknown>): void {
    this.db.prepare('UPDATE directories SET config_json = ? WHERE id = ?').run(JSON.stringify(config), id);
  }

  setDialect(id: string, dialect: string): void {
    this.db.prepare('UPDATE directories SET dialect = ? WHERE id = ?').run(dialect, id);
  }

  /** Resolves a presented bearer token to its directory id; the hash lookup plus a constant-time compare. */
  directoryForToken(token: string): string | undefined {
    const presented = hashToken(token);
    const row = this.byTokenHash.get(presented);
    if (!row) return undefined;
    const same = crypto.timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(presented, 'hex'));
    return same ? row.directory_id : undefined;
  }

  /** Adds a new token; old tokens stay valid until revoked, so rotation needs no downtime. */
  rotateToken(directoryId: string): string {
    const token = newToken();
    this.db
      .prepare('INSERT INTO directory_tokens (token_hash, directory_id, created_at) VALUES (?, ?, ?)')
      .run(hashToken(token), directoryId, nowIso());
    return token;
  }

  /** Revokes every token of the directory except `keep`. */
  revokeOtherTokens(directoryId: string, keep: string): number {
    return this.db
      .prepare(
        'UPDATE directory_tokens SET revoked_at = ? WHERE directory_id = ? AND token_hash <> ? AND revoked_at IS NULL',
      )
      .run(nowIso(), directoryId, hashToken(keep)).changes;
  }

  /** Revokes every token of the directory but the newest: the end of a no-downtime rotation. */
  revokeAllButNewest(directoryId: string): number {
    const newest = this.db
      .prepare<[string], { token_hash: string }>(
        'SELECT token_hash FROM directory_tokens WHERE directory_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1',
      )
      .get(directoryId);
    if (!newest) return 0;
    return this.db
      .prepare(
        'UPDATE directory_tokens SET revoked_at = ? WHERE directory_id = ? AND token_hash <> ? AND revoked_at IS NULL',
      )
      .run(nowIso(), directoryId, newest.token_hash).changes;
  }

  addApp(input: { directoryId: string; name: string; type: string; config: Record<string, unknown> }): AppRow {
    const id = crypto.randomUUID();
    this.db
      .prepare('INSERT INTO apps (id, directory_id, name, type, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        id,
        input.directoryId,
        input.name,
        input.type,
        JSON.stringify(this.secrets.sealConfig(input.config)),
        nowIso(),
      );
    return this.getApp(id)!;
  }

  /** Removes an app from its directory; what scimflow recorded about its accounts stays (audit, history). */
  removeApp(id: string): void {
    this.db.prepare('DELETE FROM apps WHERE id = ?').run(id);
  }

  /** Replaces an app's settings (validated by the caller); workers pick them up on their next step. */
  updateAppConfig(id: string, config: Record<string, unknown>): void {
    this.db
      .prepare('UPDATE apps SET config_json = ? WHERE id = ?')
      .run(JSON.stringify(this.secrets.sealConfig(config)), id);
  }

  /**
   * Seals every app secret that is stored in plaintext (before encryption at rest) or with an older key (rotation);
   * returns how many apps were rewritten. Run at every start; a no-op read when there is nothing to do.
   */
  resealSecrets(): number {
    const rows = this.db.prepare<[], RawApp>('SELECT * FROM apps').all();
    const stale = rows.filter((r) => this.secrets.needsResealing(JSON.parse(r.config_json) as Record<string, unknown>));
    for (const row of stale) {
      const plain = this.secrets.openConfig(JSON.parse(row.config_json) as Record<string, unknown>);
      const fresh = this.secrets.sealConfig(plain);
      this.db.prepare('UPDATE apps SET config_json = ? WHERE id = ?').run(JSON.stringify(fresh), row.id);
    }
    return stale.length;
  }

  getApp(id: string): AppRow | undefined {
    const row = this.db.prepare<[string], RawApp>('SELECT * FROM apps WHERE id = ?').get(id);
    return row ? toApp(row, this.secrets) : undefined;
  }

  listApps(directoryId: string): AppRow[] {
    return this.db
      .prepare<[string], RawApp>('SELECT * FROM apps WHERE directory_id = ? ORDER BY created_at, id')
      .all(directoryId)
      .map((r) => toApp(r, this.secrets));
  }
}
