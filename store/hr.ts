// store/hr.ts: HR signing secrets and HR events (idempotent by id), and what HR says of one identity.
import crypto from 'node:crypto';
import type { HrEventBody, HrEventType, MatchKey } from '../domain/hr/events';
import { ENTERPRISE_URN } from '../domain/hr/match';
import type { HrFact } from '../domain/hr/status';
import type { Db } from './db';
import type { SecretBox } from './secrets';

export type HrEventStatus = 'applied' | 'scheduled' | 'awaiting-identity' | 'rescinded' | 'superseded';

export interface HrEventRow {
  directoryId: string;
  id: string;
  type: HrEventType;
  bodyHash: string;
  body: HrEventBody;
  matchKey: MatchKey | null;
  matchValue: string | null;
  identityId: string | null;
  effectiveAt: string;
  receivedAt: string;
  source: 'hr' | 'cli' | 'import';
  seq: number | null;
  rescindedAt: string | null;
  rescindedBy: string | null;
  supersededBy: string | null;
}

export interface Raw {
  directory_id: string;
  id: string;
  type: HrEventType;
  body_hash: string;
  body_json: string;
  match_key: MatchKey | null;
  match_value: string | null;
  identity_id: string | null;
  effective_at: string;
  received_at: string;
  source: HrEventRow['source'];
  seq: number | null;
  rescinded_at: string | null;
  rescinded_by: string | null;
  superseded_by: string | null;
}

export const fromRaw = (r: Raw): HrEventRow => ({
  directoryId: r.directory_id,
  id: r.id,
  type: r.type,
  bodyHash: r.body_hash,
  body: JSON.parse(r.body_json) as HrEventBody,
  matchKey: r.match_key,
  matchValue: r.match_value,
  identityId: r.identity_id,
  effectiveAt: r.effective_at,
  receivedAt: r.received_at,
  source: r.source,
  seq: r.seq,
  rescindedAt: r.rescinded_at,
  rescindedBy: r.rescinded_by,
  supersededBy: r.superseded_by,
});

/** Its state at `now`. */
export function statusOf(row: HrEventRow, now: Date): HrEventStatus {
  if (row.rescindedAt) return 'rescinded';
  if (row.supersededBy) return 'superseded';
  if (row.type !== 'termination.rescinded' && !row.identityId) return 'awaiting-identity';
  return row.effectiveAt > now.toISOString() ? 'scheduled' : 'applied';
}

/** Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`;
}

export class HrStore {
  /** The hot path (every identity load) runs prepared statements; HR events themselves are rare. */
  private readonly own;
  private readonly awaiting;
  private readonly anyAwaiting;

  constructor(
    private readonly db: Db,
    private readonly secretBox: SecretBox,
  ) {
    const counts = `rescinded_at IS NULL AND superseded_by IS NULL AND type <> 'termination.rescinded'`;
    this.own = db.prepare<[string, string], Raw>(
      `SELECT * FROM hr_events WHERE directory_id = ? AND identity_id = ? AND ${counts}`,
    );
    this.awaiting = db.prepare<[string, string, string], Raw>(
      `SELECT * FROM hr_events WHERE directory_id = ? AND identity_id IS NULL AND match_key = ? AND match_value = ?
         AND ${counts}`,
    );
    this.anyAwaiting = db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM hr_events WHERE directory_id = ? AND identity_id IS NULL',
    );
  }

  /** A new signing secret; older ones stay valid for `overlapMs` (0: revoked now). */
  newSecret(directoryId: string, overlapMs: number, now = new Date()): { id: string; secret: string } {
    const secret = newWebhookSecret();
    const id = crypto.randomUUID();
    const retires = new Date(now.getTime() + overlapMs).toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE hr_secrets SET retires_at = ? WHERE directory_id = ? AND (retires_at IS NULL OR retires_at > ?)`,
        )
        .run(retires, directoryId, retires);
      this.db
        .prepare('INSERT INTO hr_secrets (id, directory_id, secret_sealed, created_at) VALUES (?, ?, ?, ?)')
        .run(id, directoryId, this.secretBox.seal(secret), now.toISOString());
    })();
    return { id, secret };
  }

  /** Seals again every HR secret not sealed with the current key (after a key rotation); how many were. */
  resealSecrets(): number {
    const rows = this.db.prepare('SELECT id, secret_sealed FROM hr_secrets').all() as {
      id: string;
      secret_sealed: string;
    }[];
    const stale = rows.filter((r) => !this.secretBox.sealedWithCurrent(r.secret_sealed));
    for (const row of stale)
      this.db
        .prepare('UPDATE hr_secrets SET secret_sealed = ? WHERE id = ?')
        .run(this.secretBox.seal(this.secretBox.open(row.secret_sealed)), row.id);
    return stale.length;
  }

  /** The secrets a delivery may be signed with now, newest first. */
  secrets(directoryId: string, now = new Date()): string[] {
    return (
      this.db
        .prepare(
          `SELECT secret_sealed FROM hr_secrets WHERE directory_id = ? AND (retires_at IS NULL OR retires_at > ?)
           ORDER BY created_at DESC`,
        )
        .all(directoryId, now.toISOString()) as { secret_sealed: string }[]
    ).map((r) => this.secretBox.open(r.secret_sealed));
  }

  get(directoryId: string, id: string): HrEventRow | undefined {
    const row = this.db.prepare('SELECT * FROM hr_events WHERE directory_id = ? AND id = ?').get(directoryId, id) as
      Raw | undefined;
    return row && fromRaw(row);
  }

  insert(row: Omit<HrEventRow, 'rescindedAt' | 'rescindedBy' | 'supersededBy'>): void {
    this.db
      .prepare(
        `INSERT INTO hr_events (directory_id, id, type, body_hash, body_json, match_key, match_value, identity_id,
           effective_at, received_at, source, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.directoryId,
        row.id,
        row.type,
        row.bodyHash,
        JSON.stringify(row.body),
        row.matchKey,
        row.matchValue,
        row.identityId,
        row.effectiveAt,
        row.receivedAt,
        row.source,
        row.seq,
      );
  }

  setSeq(directoryId: string, id: string, seq: number): void {
    this.db.prepare('UPDATE hr_events SET seq = ? WHERE directory_id = ? AND id = ?').run(seq, directoryId, id);
  }

  rescind(directoryId: string, id: string, by: string, at: string): void {
    this.db
      .prepare('UPDATE hr_events SET rescinded_at = ?, rescinded_by = ? WHERE directory_id = ? AND id = ?')
      .run(at, by, directoryId, id);
  }

  /** Terminations of this person not yet in force at `at` are replaced by `by` (HR moved the date). */
  supersedePendingTerminations(
    directoryId: string,
    person: { identityId: string | null; matchKey: string | null; matchValue: string | null },
    by: string,
    at: string,
  ): string[] {
    const who = person.identityId
      ? { sql: 'identity_id = ?', args: [person.identityId] }
      : {
          sql: 'identity_id IS NULL AND match_key = ? AND match_value = ?',
          args: [person.matchKey, person.matchValue],
        };
    const rows = this.db
      .prepare(
        `SELECT id FROM hr_events WHERE directory_id = ? AND ${who.sql} AND type = 'termination' AND effective_at > ?
         AND rescinded_at IS NULL AND superseded_by IS NULL AND id <> ?`,
      )
      .all(directoryId, ...who.args, at, by) as { id: string }[];
    for (const { id } of rows)
      this.db
        .prepare('UPDATE hr_events SET superseded_by = ? WHERE directory_id = ? AND id = ?')
        .run(by, directoryId, id);
    return rows.map((r) => r.id);
  }

  /**
   * The events that count for this identity: its own, and those still awaiting an identity that name it by one of its
   * values (an IdP that pushes a person HR already terminated must not give them access).
   */
  factsFor(directoryId: string, identityId: string, values: { key: MatchKey; value: string }[]): HrFact[] {
    const rows = this.own.all(directoryId, identityId);
    if (values.length > 0 && this.anyAwaiting.get(directoryId)!.n > 0)
      for (const { key, value } of values) rows.push(...this.awaiting.all(directoryId, key, value));
    return rows.map((r) => ({
      eventId: r.id,
      type: r.type as HrFact['type'],
      effectiveAt: r.effective_at,
      seq: r.seq ?? 0,
      ...(r.type === 'mover' ? { changes: (JSON.parse(r.body_json) as HrEventBody).changes } : {}),
    }));
  }

  /** Events that were awaiting an identity and name this one: from now on they are its own (read first: no write lock). */
  link(directoryId: string, identityId: string, values: { key: MatchKey; value: string }[]): number {
    let linked = 0;
    if (values.length === 0 || this.anyAwaiting.get(directoryId)!.n === 0) return 0;
    for (const { key, value } of values) {
      const waiting = this.db
        .prepare(
          `SELECT 1 FROM hr_events WHERE directory_id = ? AND identity_id IS NULL AND match_key = ? AND match_value = ? LIMIT 1`,
        )
        .get(directoryId, key, value);
      if (!waiting) continue;
      linked += this.db
        .prepare(
          `UPDATE hr_events SET identity_id = ? WHERE directory_id = ? AND identity_id IS NULL AND match_key = ?
           AND match_value = ? AND type <> 'termination.rescinded'`,
        )
        .run(identityId, directoryId, key, value).changes;
    }
    return linked;
  }

  list(directoryId: string, opts: { identityId?: string; limit?: number } = {}): HrEventRow[] {
    const where = opts.identityId ? 'AND identity_id = ?' : '';
    const args: unknown[] = opts.identityId ? [directoryId, opts.identityId] : [directoryId];
    return (
      this.db
        .prepare(`SELECT * FROM hr_events WHERE directory_id = ? ${where} ORDER BY received_at, seq LIMIT ?`)
        .all(...args, opts.limit ?? 10_000) as Raw[]
    ).map(fromRaw);
  }

  /**
   * The live users of a directory an HR match key names (`value` lower-cased), oldest first, at most 6 (more than one is
   * ambiguous to the caller). userName and externalId are columns; employeeNumber and email are read from the stored
   * documents (a scan of the directory's users, about 10 ms per 10,000 in SQLite's JSON functions: HR events are few).
   */
  usersMatching(directoryId: string, key: MatchKey, value: string): string[] {
    const live = `directory_id = ? AND type = 'User' AND deleted_at IS NULL`;
    const sql = {
      userName: `SELECT id FROM resources WHERE ${live} AND user_name_lower = ?`,
      externalId: `SELECT id FROM resources WHERE ${live} AND lower(external_id) = ?`,
      employeeNumber: `SELECT id FROM resources WHERE ${live}
        AND lower(trim(json_extract(doc, '$."${ENTERPRISE_URN}".employeeNumber'))) = ?`,
      email: `SELECT id FROM resources WHERE ${live} AND EXISTS (
        SELECT 1 FROM json_each(resources.doc, '$.emails') WHERE lower(trim(json_extract(value, '$.value'))) = ?)`,
    }[key];
    return this.db
      .prepare<[string, string], { id: string }>(`${sql} ORDER BY created_at, id LIMIT 6`)
      .all(directoryId, value)
      .map((r) => r.id);
  }
}
