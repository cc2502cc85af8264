// store/pg/directories.ts: directories, their hashed bearer tokens and their apps, on PostgreSQL.
import crypto from 'node:crypto';
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { AppRow, DirectoryRow, DirectoryStore, RawApp, RawDirectory } from '../directories';
import { hashToken, newToken, toApp, toDirectory } from '../directories';
import type { SecretBox } from '../secrets';
import type { PgSession } from './session';

export class PgDirectoryStore implements Async<DirectoryStore> {
  constructor(
    private readonly session: PgSession,
    private readonly secrets: SecretBox,
  ) {}

  async create(input: { name: string; dialect: string; config?: Record<string, unknown> }): Promise<{
    directory: DirectoryRow;
    token: string;
  }> {
    const id = crypto.randomUUID();
    const token = newToken();
    const at = nowIso();
    const row = await this.session.atomically(async () => {
      const created = await this.session.one<RawDirectory>(
        `INSERT INTO directories (id, name, dialect, config_json, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING *`,
        [id, input.name, input.dialect, JSON.stringify(input.config ?? {}), at],
      );
      await this.session.run(
        'INSERT INTO directory_tokens (token_hash, directory_id, created_at) VALUES ($1, $2, $3)',
        [hashToken(token), id, at],
      );
      return created!;
    });
    return { directory: toDirectory(row), token };
  }

  async get(id: string): Promise<DirectoryRow | undefined> {
    const row = await this.session.one<RawDirectory>('SELECT * FROM directories WHERE id = $1', [id]);
    return row ? toDirectory(row) : undefined;
  }

  /** Creation order; directories created in the same millisecond by id (PostgreSQL has no insertion order). */
  async list(): Promise<DirectoryRow[]> {
    return (await this.session.query<RawDirectory>('SELECT * FROM directories ORDER BY created_at, id')).map(
      toDirectory,
    );
  }

  async updateConfig(id: string, config: Record<string, unknown>): Promise<void> {
    await this.session.run('UPDATE directories SET config_json = $1 WHERE id = $2', [JSON.stringify(config), id]);
  }

  async setDialect(id: string, dialect: string): Promise<void> {
    await this.session.run('UPDATE directories SET dialect = $1 WHERE id = $2', [dialect, id]);
  }

  /** Resolves a presented bearer token to its directory id; the hash lookup plus a constant-time compare. */
  async directoryForToken(token: string): Promise<string | undefined> {
    const presented = hashToken(token);
    const row = await this.session.one<{ directory_id: string; token_hash: string }>(
      'SELECT directory_id, token_hash FROM directory_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [presented],
    );
    if (!row) return undefined;
    const same = crypto.timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(presented, 'hex'));
    return same ? row.directory_id : undefined;
  }

  /** Adds a new token; old tokens stay valid until revoked, so rotation needs no downtime. */
  async rotateToken(directoryId: string): Promise<string> {
    const token = newToken();
    await this.session.run('INSERT INTO directory_tokens (token_hash, directory_id, created_at) VALUES ($1, $2, $3)', [
      hashToken(token),
      directoryId,
      nowIso(),
    ]);
    return token;
  }

  /** Revokes every token of the directory except `keep`. */
  async revokeOtherTokens(directoryId: string, keep: string): Promise<number> {
    return this.session.run(
      `UPDATE directory_tokens SET revoked_at = $1
        WHERE directory_id = $2 AND token_hash <> $3 AND revoked_at IS NULL`,
      [nowIso(), directoryId, hashToken(keep)],
    );
  }

  /**
   * Revokes every token of the directory but the newest: the end of a no-downtime rotation. One statement, so that the
   * newest token it keeps and the tokens it revokes come from the same snapshot: a token another process adds at the
   * same moment is either the one kept or left alone, never revoked unseen (SQLite's single writer gave that for
   * free). No live token: the subquery is NULL and nothing matches. `row_id` breaks a tie of the same millisecond as
   * SQLite's rowid does.
   */
  async revokeAllButNewest(directoryId: string): Promise<number> {
    return this.session.run(
      `UPDATE directory_tokens SET revoked_at = $1
        WHERE directory_id = $2 AND revoked_at IS NULL
          AND token_hash <> (SELECT token_hash FROM directory_tokens WHERE directory_id = $2 AND revoked_at IS NULL
                              ORDER BY created_at DESC, row_id DESC LIMIT 1)`,
      [nowIso(), directoryId],
    );
  }

  async addApp(input: {
    directoryId: string;
    name: string;
    type: string;
    config: Record<string, unknown>;
  }): Promise<AppRow> {
    const row = await this.session.one<RawApp>(
      `INSERT INTO apps (id, directory_id, name, type, config_json, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING *`,
      [
        crypto.randomUUID(),
        input.directoryId,
        input.name,
        input.type,
        JSON.stringify(this.secrets.sealConfig(input.config)),
        nowIso(),
      ],
    );
    return toApp(row!, this.secrets);
  }

  /** Removes an app from its directory; what scimflow recorded about its accounts stays (audit, history). */
  async removeApp(id: string): Promise<void> {
    await this.session.run('DELETE FROM apps WHERE id = $1', [id]);
  }

  /** Replaces an app's settings (validated by the caller); workers pick them up on their next step. */
  async updateAppConfig(id: string, config: Record<string, unknown>): Promise<void> {
    await this.session.run('UPDATE apps SET config_json = $1 WHERE id = $2', [
      JSON.stringify(this.secrets.sealConfig(config)),
      id,
    ]);
  }

  /**
   * Seals every app secret that is stored in plaintext (before encryption at rest) or with an older key (rotation);
   * returns how many apps were rewritten. Run at every start; a no-op read when there is nothing to do.
   *
   * Every process starting against the database runs it, possibly while another one changes an app's settings: each
   * row is rewritten only if it still holds what was read (compare-and-set on `config_json`), so a settings change
   * made in between is never overwritten with the old settings; that change was sealed by its writer already. A row
   * another process resealed first is not counted again.
   */
  async resealSecrets(): Promise<number> {
    const rows = await this.session.query<RawApp>('SELECT * FROM apps');
    let rewritten = 0;
    for (const row of rows) {
      const stored = JSON.parse(row.config_json) as Record<string, unknown>;
      if (!this.secrets.needsResealing(stored)) continue;
      const fresh = this.secrets.sealConfig(this.secrets.openConfig(stored));
      rewritten += await this.session.run('UPDATE apps SET config_json = $1 WHERE id = $2 AND config_json = $3', [
        JSON.stringify(fresh),
        row.id,
        row.config_json,
      ]);
    }
    return rewritten;
  }

  async getApp(id: string): Promise<AppRow | undefined> {
    const row = await this.session.one<RawApp>('SELECT * FROM apps WHERE id = $1', [id]);
    return row ? toApp(row, this.secrets) : undefined;
  }

  async listApps(directoryId: string): Promise<AppRow[]> {
    const rows = await this.session.query<RawApp>(
      'SELECT * FROM apps WHERE directory_id = $1 ORDER BY created_at, id',
      [directoryId],
    );
    return rows.map((r) => toApp(r, this.secrets));
  }
}
