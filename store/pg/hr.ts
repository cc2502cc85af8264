// store/pg/hr.ts: HR signing secrets and HR events (idempotent by id), and what HR says of one identity, on PostgreSQL.
import crypto from 'node:crypto';
import type { MatchKey } from '../../domain/hr/events';
import { ENTERPRISE_URN } from '../../domain/hr/match';
import type { HrFact } from '../../domain/hr/status';
import type { Async } from '../connection-gate';
import type { HrEventRow, HrStore, Raw } from '../hr';
import { fromRaw, newWebhookSecret } from '../hr';
import type { SecretBox } from '../secrets';
import type { PgSession } from './session';
import { sqlState } from './session';

/** Events that still count for a person: not rescinded, not superseded, not a rescind itself. */
const COUNTS = `rescinded_at IS NULL AND superseded_by IS NULL AND type <> 'termination.rescinded'`;

/**
 * The match lookups. Every value is compared byte-wise ("C"): SQLite's lower() folds ASCII only, and so does
 * PostgreSQL's under the "C" collation; text read out of a JSON document carries the database's default collation,
 * so it is given "C" before lower(). A document's emails that are not an array name nobody.
 */
const LIVE = `directory_id = $1 AND type = 'User' AND deleted_at IS NULL`;
const MATCH_SQL: Record<MatchKey, string> = {
  userName: `SELECT id FROM resources WHERE ${LIVE} AND user_name_lower = $2`,
  externalId: `SELECT id FROM resources WHERE ${LIVE} AND lower(external_id) = $2`,
  employeeNumber: `SELECT id FROM resources WHERE ${LIVE}
    AND lower(trim((doc::jsonb -> '${ENTERPRISE_URN}' ->> 'employeeNumber') COLLATE "C")) = $2`,
  // CASE, not AND: PostgreSQL may evaluate an AND's operands in any order, and jsonb_array_elements of an object fails.
  email: `SELECT id FROM resources WHERE ${LIVE} AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(doc::jsonb -> 'emails') = 'array' THEN doc::jsonb -> 'emails' ELSE '[]'::jsonb END) AS e(value)
    WHERE lower(trim((e.value ->> 'value') COLLATE "C")) = $2)`,
};

/** jsonb could not read a stored document: `\u0000` (22P05) or an unpaired surrogate escape (22P02). */
const UNREADABLE_JSON = new Set(['22P05', '22P02']);

const objectOrNull = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

export class PgHrStore implements Async<HrStore> {
  constructor(
    private readonly session: PgSession,
    private readonly secretBox: SecretBox,
  ) {}

  /**
   * A transaction-scoped advisory lock on one name (two 32-bit keys: the subject and the thing). SQLite's single
   * writer made each read-then-write below atomic; here several processes write at once, and some of these writes
   * are to rows that do not exist yet (which `SELECT … FOR UPDATE` cannot lock). Outside a transaction there is
   * nothing to protect, and the lock would end with its statement anyway.
   */
  private async lock(subject: string, name: string): Promise<void> {
    if (!this.session.inTransaction()) return;
    await this.session.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [subject, name]);
  }

  /** A new signing secret; older ones stay valid for `overlapMs` (0: revoked now). */
  async newSecret(directoryId: string, overlapMs: number, now = new Date()): Promise<{ id: string; secret: string }> {
    const secret = newWebhookSecret();
    const id = crypto.randomUUID();
    const retires = new Date(now.getTime() + overlapMs).toISOString();
    await this.session.atomically(async () => {
      // Two rotations at once must not both leave their secret unretired: the second waits for the first to commit,
      // then its UPDATE (a new statement, so a new snapshot) sees the first one's secret and retires it.
      await this.lock('hr_secrets', directoryId);
      await this.session.run(
        `UPDATE hr_secrets SET retires_at = $1 WHERE directory_id = $2 AND (retires_at IS NULL OR retires_at > $3)`,
        [retires, directoryId, retires],
      );
      await this.session.run(
        'INSERT INTO hr_secrets (id, directory_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4)',
        [id, directoryId, this.secretBox.seal(secret), now.toISOString()],
      );
    });
    return { id, secret };
  }

  /** Seals again every HR secret not sealed with the current key (after a key rotation); how many were. */
  async resealSecrets(): Promise<number> {
    const rows = await this.session.query<{ id: string; secret_sealed: string }>(
      'SELECT id, secret_sealed FROM hr_secrets',
    );
    let resealed = 0;
    // Every process reseals at its start, perhaps several at once: a row is written only if it still holds what was
    // read, so two starting processes never overwrite each other (both seal with the same current key anyway).
    for (const row of rows.filter((r) => !this.secretBox.sealedWithCurrent(r.secret_sealed)))
      resealed += await this.session.run(
        'UPDATE hr_secrets SET secret_sealed = $1 WHERE id = $2 AND secret_sealed = $3',
        [this.secretBox.seal(this.secretBox.open(row.secret_sealed)), row.id, row.secret_sealed],
      );
    return resealed;
  }

  /** The secrets a delivery may be signed with now, newest first. */
  async secrets(directoryId: string, now = new Date()): Promise<string[]> {
    const rows = await this.session.query<{ secret_sealed: string }>(
      `SELECT secret_sealed FROM hr_secrets WHERE directory_id = $1 AND (retires_at IS NULL OR retires_at > $2)
       ORDER BY created_at DESC`,
      [directoryId, now.toISOString()],
    );
    return rows.map((r) => this.secretBox.open(r.secret_sealed));
  }

  /**
   * Inside a transaction this read is the first half of recording an event idempotently (hr/record.ts: get, then
   * insert if absent). It first locks the event's id until the transaction ends, so that a second process recording
   * the same event waits for the first to commit and then reads its row (a duplicate, the same answer), instead of
   * both finding nothing and one failing on the primary key. The rescind path reads its target through here too,
   * which serializes two rescinds of one termination the same way.
   */
  async get(directoryId: string, id: string): Promise<HrEventRow | undefined> {
    await this.lock(`hr_events:${directoryId}`, id);
    const row = await this.session.one<Raw>('SELECT * FROM hr_events WHERE directory_id = $1 AND id = $2', [
      directoryId,
      id,
    ]);
    return row && fromRaw(row);
  }

  async insert(row: Omit<HrEventRow, 'rescindedAt' | 'rescindedBy' | 'supersededBy'>): Promise<void> {
    await this.session.run(
      `INSERT INTO hr_events (directory_id, id, type, body_hash, body_json, match_key, match_value, identity_id,
         effective_at, received_at, source, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
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
      ],
    );
  }

  async setSeq(directoryId: string, id: string, seq: number): Promise<void> {
    await this.session.run('UPDATE hr_events SET seq = $1 WHERE directory_id = $2 AND id = $3', [seq, directoryId, id]);
  }

  async rescind(directoryId: string, id: string, by: string, at: string): Promise<void> {
    await this.session.run(
      'UPDATE hr_events SET rescinded_at = $1, rescinded_by = $2 WHERE directory_id = $3 AND id = $4',
      [at, by, directoryId, id],
    );
  }

  /** Terminations of this person not yet in force at `at` are replaced by `by` (HR moved the date). */
  async supersedePendingTerminations(
    directoryId: string,
    person: { identityId: string | null; matchKey: string | null; matchValue: string | null },
    by: string,
    at: string,
  ): Promise<string[]> {
    const who = person.identityId
      ? { sql: 'identity_id = $4', args: [person.identityId] }
      : {
          sql: 'identity_id IS NULL AND match_key = $4 AND match_value = $5',
          args: [person.matchKey, person.matchValue],
        };
    return this.session.atomically(async () => {
      // Two terminations of one person recorded at once would not see each other's uncommitted row, and neither would
      // supersede the other (SQLite's single writer ordered them). Terminations are rare: one lock per directory
      // orders them, and the second, once the first committed, supersedes it as it would have one after the other.
      // The UPDATE checks and sets in one statement (a rescind committed meanwhile is seen, not overwritten).
      await this.lock('hr_terminations', directoryId);
      const rows = await this.session.query<{ id: string }>(
        `WITH superseded AS (
           UPDATE hr_events SET superseded_by = $3 WHERE directory_id = $1 AND ${who.sql} AND type = 'termination'
             AND effective_at > $2 AND rescinded_at IS NULL AND superseded_by IS NULL AND id <> $3
           RETURNING id, received_at)
         SELECT id FROM superseded ORDER BY received_at, id`,
        [directoryId, at, by, ...who.args],
      );
      return rows.map((r) => r.id);
    });
  }

  /**
   * The events that count for this identity: its own, and those still awaiting an identity that name it by one of its
   * values (an IdP that pushes a person HR already terminated must not give them access).
   */
  async factsFor(
    directoryId: string,
    identityId: string,
    values: { key: MatchKey; value: string }[],
  ): Promise<HrFact[]> {
    const rows = await this.session.query<Raw>(
      `SELECT * FROM hr_events WHERE directory_id = $1 AND identity_id = $2 AND ${COUNTS} ORDER BY received_at, id`,
      [directoryId, identityId],
    );
    if (values.length > 0 && (await this.anyAwaiting(directoryId)))
      for (const { key, value } of values)
        rows.push(
          ...(await this.session.query<Raw>(
            `SELECT * FROM hr_events WHERE directory_id = $1 AND identity_id IS NULL AND match_key = $2
               AND match_value = $3 AND ${COUNTS} ORDER BY received_at, id`,
            [directoryId, key, value],
          )),
        );
    return rows.map(fromRaw).map((r) => ({
      eventId: r.id,
      type: r.type as HrFact['type'],
      effectiveAt: r.effectiveAt,
      seq: r.seq ?? 0,
      ...(r.type === 'mover' ? { changes: r.body.changes } : {}),
    }));
  }

  /** Events that were awaiting an identity and name this one: from now on they are its own. */
  async link(directoryId: string, identityId: string, values: { key: MatchKey; value: string }[]): Promise<number> {
    if (values.length === 0 || !(await this.anyAwaiting(directoryId))) return 0;
    let linked = 0;
    // Each UPDATE is atomic: `identity_id IS NULL` is checked again on a row another process linked meanwhile, so an
    // event is linked once, to whichever identity came first.
    for (const { key, value } of values)
      linked += await this.session.run(
        `UPDATE hr_events SET identity_id = $1 WHERE directory_id = $2 AND identity_id IS NULL AND match_key = $3
         AND match_value = $4 AND type <> 'termination.rescinded'`,
        [identityId, directoryId, key, value],
      );
    return linked;
  }

  async list(directoryId: string, opts: { identityId?: string; limit?: number } = {}): Promise<HrEventRow[]> {
    const where = opts.identityId ? 'AND identity_id = $3' : '';
    const args: unknown[] = opts.identityId
      ? [directoryId, opts.limit ?? 10_000, opts.identityId]
      : [directoryId, opts.limit ?? 10_000];
    // SQLite sorts NULL first in ascending order, PostgreSQL last: events not yet in the log come first, as there.
    const rows = await this.session.query<Raw>(
      `SELECT * FROM hr_events WHERE directory_id = $1 ${where} ORDER BY received_at, seq NULLS FIRST LIMIT $2`,
      args,
    );
    return rows.map(fromRaw);
  }

  /**
   * The live users of a directory an HR match key names (`value` lower-cased), oldest first, at most 6 (more than one is
   * ambiguous to the caller). userName and externalId are columns; employeeNumber and email are read from the stored
   * documents (a scan of the directory's users: HR events are few).
   */
  async usersMatching(directoryId: string, key: MatchKey, value: string): Promise<string[]> {
    const run = () =>
      this.session.query<{ id: string }>(`${MATCH_SQL[key]} ORDER BY created_at, id LIMIT 6`, [directoryId, value]);
    if (key === 'userName' || key === 'externalId') return (await run()).map((r) => r.id);
    try {
      // A failed statement aborts the caller's transaction: inside one, the lookup is a savepoint of its own.
      const rows = this.session.inTransaction() ? await this.session.atomically(run) : await run();
      return rows.map((r) => r.id);
    } catch (err) {
      if (!UNREADABLE_JSON.has(sqlState(err) ?? '')) throw err;
      return this.matchInDocuments(directoryId, key, value);
    }
  }

  /**
   * The same lookup read in JavaScript. jsonb refuses some JSON that JSON.stringify writes and SQLite reads: `\u0000`
   * and an unpaired surrogate (`\ud800`) anywhere in one user's document would make the cast fail for the whole
   * directory. Then (rarely) the directory's live users are read here instead, with the SQL's semantics: the value as
   * `->>` gives it, spaces trimmed, ASCII letters folded.
   */
  private async matchInDocuments(directoryId: string, key: MatchKey, value: string): Promise<string[]> {
    const rows = await this.session.query<{ id: string; doc: string }>(
      `SELECT id, doc FROM resources WHERE ${LIVE} ORDER BY created_at, id`,
      [directoryId],
    );
    const matches = (v: unknown) => {
      const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
      return text !== null && text.replace(/^ +| +$/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase()) === value;
    };
    const found: string[] = [];
    for (const row of rows) {
      const doc = JSON.parse(row.doc) as Record<string, unknown>;
      const hit =
        key === 'employeeNumber'
          ? matches(objectOrNull(doc[ENTERPRISE_URN])?.employeeNumber)
          : Array.isArray(doc.emails) && doc.emails.some((e) => matches(objectOrNull(e)?.value));
      if (hit) found.push(row.id);
      if (found.length === 6) break;
    }
    return found;
  }

  /** Whether any event of the directory awaits its identity (rare: the per-value lookups are skipped otherwise). */
  private async anyAwaiting(directoryId: string): Promise<boolean> {
    const row = await this.session.one<{ found: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM hr_events WHERE directory_id = $1 AND identity_id IS NULL) AS found',
      [directoryId],
    );
    return row!.found;
  }
}
