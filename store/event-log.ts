// store/event-log.ts: the per-directory gapless event log (append inside the write transaction, read, mark delivered).
import { EventEmitter } from 'node:events';
import type { Db } from './db';
import { currentRequestId } from './request-context';

export type EventKind =
  | 'created'
  | 'updated'
  | 'deactivated'
  | 'reactivated'
  | 'deleted'
  | 'membership'
  | 'group.created'
  | 'group.updated'
  | 'group.deleted'
  | 'resync'
  /** The directory's policy changed what this identity should hold. */
  | 'policy'
  /** An app was added, changed or is being removed, and this identity's accounts change with it. */
  | 'app'
  /** HR recorded a termination or a leave (now or effective later): a leaver's priority. */
  | 'hr.leaver'
  /** HR rescinded a termination, ended a leave, or rehired. */
  | 'hr.rejoin'
  /** HR recorded a mover (manager, department, title). */
  | 'hr'
  /** A non-human identity was added, transferred or changed. */
  | 'nhi'
  /** A non-human identity was revoked (by an operator, or because its owner left). */
  | 'nhi.revoked';

export interface EventRow {
  directoryId: string;
  seq: number;
  identityId: string;
  resourceType: 'User' | 'Group';
  kind: EventKind;
  detail: Record<string, unknown>;
  createdAt: string;
  deliveredAt: string | null;
}

export interface NewEvent {
  identityId: string;
  resourceType: 'User' | 'Group';
  kind: EventKind;
  detail?: Record<string, unknown>;
}

export interface RawEvent {
  directory_id: string;
  seq: number;
  identity_id: string;
  resource_type: 'User' | 'Group';
  kind: EventKind;
  detail_json: string;
  created_at: string;
  delivered_at: string | null;
}

export const toEvent = (r: RawEvent): EventRow => ({
  directoryId: r.directory_id,
  seq: r.seq,
  identityId: r.identity_id,
  resourceType: r.resource_type,
  kind: r.kind,
  detail: JSON.parse(r.detail_json) as Record<string, unknown>,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** An identity's place in the log: its events up to `seq`. */
export interface IdentitySeq {
  directoryId: string;
  identityId: string;
  seq: number;
}

/** The relay's claim: events older than `before` (or handed over) whose claim ended before `now`, held to `until`. */
export interface RelayClaim {
  before: string;
  now: string;
  until: string;
  limit: number;
}

/** The time from which a handed-over event is the relay's at once: earlier than any lease. */
export const HANDED_OVER = '1970-01-01T00:00:00.000Z';

/** Claimed event rows, in claim order. */
export type ClaimedRow = Pick<
  RawEvent,
  'directory_id' | 'identity_id' | 'seq' | 'resource_type' | 'kind' | 'created_at'
>;

/**
 * One row per identity from claimed events: the newest seq (what the relay pokes), the type and kind of the identity's
 * oldest claimed event and its time (as `undelivered` answers), identities in the order their oldest event was claimed.
 */
export function claimedIdentities(rows: ClaimedRow[]): EventRow[] {
  const byIdentity = new Map<string, EventRow>();
  const ordered = [...rows].sort((a, b) =>
    a.created_at === b.created_at ? a.seq - b.seq : a.created_at < b.created_at ? -1 : 1,
  );
  for (const r of ordered) {
    const key = `${r.directory_id}\u0000${r.identity_id}`;
    const seen = byIdentity.get(key);
    if (seen) seen.seq = Math.max(seen.seq, r.seq);
    else
      byIdentity.set(key, {
        directoryId: r.directory_id,
        identityId: r.identity_id,
        seq: r.seq,
        resourceType: r.resource_type,
        kind: r.kind,
        detail: {},
        createdAt: r.created_at,
        deliveredAt: null,
      });
  }
  return [...byIdentity.values()];
}

/** Which events a relay may claim (both stores' WHERE clause, with each dialect's placeholders for before and now). */
export const claimable = (before: string, now: string) =>
  `delivered_at IS NULL AND (created_at < ${before} OR relay_until IS NOT NULL)
   AND (relay_until IS NULL OR relay_until < ${now})`;

const wakersByDb = new WeakMap<Db, EventEmitter>();
function wakersOf(db: Db): EventEmitter {
  let wakers = wakersByDb.get(db);
  if (!wakers) wakersByDb.set(db, (wakers = new EventEmitter()));
  return wakers;
}

export class EventLog {
  private readonly bumpSeq;
  private readonly insert;
  private readonly markOne;

  constructor(private readonly db: Db) {
    this.bumpSeq = db.prepare<[number, string], { next_seq: number }>(
      'UPDATE directories SET next_seq = next_seq + ? WHERE id = ? RETURNING next_seq',
    );
    this.insert = db.prepare(
      `INSERT INTO events (directory_id, seq, identity_id, resource_type, kind, detail_json, created_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.markOne = db.prepare(
      'UPDATE events SET delivered_at = ? WHERE directory_id = ? AND identity_id = ? AND seq <= ? AND delivered_at IS NULL',
    );
  }

  /**
   * Appends events with consecutive sequence numbers. Must run inside the caller's write transaction:
   * the sequence bump and the rows commit (or roll back) together, so the log has no gaps.
   */
  append(directoryId: string, events: NewEvent[], at: string): EventRow[] {
    if (events.length === 0) return [];
    const bumped = this.bumpSeq.get(events.length, directoryId);
    if (!bumped) throw new Error(`directory ${directoryId} does not exist`);
    const first = bumped.next_seq - events.length + 1;
    // The SCIM or HR request that made this write (X-Request-Id): the workflow, its logs and the audit export carry it.
    const requestId = currentRequestId();
    return events.map((e, i) => {
      const seq = first + i;
      const detail = requestId === undefined ? (e.detail ?? {}) : { ...e.detail, requestId };
      // Group events have no workflow of their own (members get 'membership' events), so nothing is left to deliver.
      const deliveredAt = e.resourceType === 'Group' ? at : null;
      this.insert.run(directoryId, seq, e.identityId, e.resourceType, e.kind, JSON.stringify(detail), at, deliveredAt);
      return {
        directoryId,
        seq,
        identityId: e.identityId,
        resourceType: e.resourceType,
        kind: e.kind,
        detail,
        createdAt: at,
        deliveredAt,
      };
    });
  }

  /** Marks every event of an identity up to `seq` as delivered to its workflow. */
  markDelivered(directoryId: string, identityId: string, seq: number, at: string): void {
    this.markOne.run(at, directoryId, identityId, seq);
  }

  list(directoryId: string, opts: { fromSeq?: number; identityId?: string; limit?: number } = {}): EventRow[] {
    const where = ['directory_id = ?', 'seq >= ?'];
    const args: unknown[] = [directoryId, opts.fromSeq ?? 0];
    if (opts.identityId) {
      where.push('identity_id = ?');
      args.push(opts.identityId);
    }
    args.push(opts.limit ?? 1000);
    return this.db
      .prepare<unknown[], RawEvent>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
      .all(...args)
      .map(toEvent);
  }

  /**
   * The events after `afterSeq`, oldest first, at most `limit`, optionally of one identity and of some kinds; with the
   * directory's newest seq and its oldest retained one, all read in one snapshot (so a page that is not full has seen
   * everything up to `latestSeq`).
   */
  page(
    directoryId: string,
    opts: { afterSeq: number; limit: number; identityId?: string; kinds?: readonly EventKind[] },
  ): { events: EventRow[]; latestSeq: number; oldestSeq: number | null } {
    const where = ['directory_id = ?', 'seq > ?'];
    const args: unknown[] = [directoryId, opts.afterSeq];
    if (opts.identityId !== undefined) {
      where.push('identity_id = ?');
      args.push(opts.identityId);
    }
    if (opts.kinds !== undefined) {
      where.push(`kind IN (${opts.kinds.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...opts.kinds);
    }
    args.push(opts.limit);
    const read = this.db.transaction(() => ({
      events: this.db
        .prepare<unknown[], RawEvent>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
        .all(...args)
        .map(toEvent),
      latestSeq: this.latestSeq(directoryId),
      oldestSeq:
        this.db
          .prepare<[string], { seq: number | null }>('SELECT MIN(seq) AS seq FROM events WHERE directory_id = ?')
          .get(directoryId)?.seq ?? null,
    }));
    return read();
  }

  /**
   * Claims undelivered events for the relay until `claim.until`: those older than `claim.before` that no claim holds,
   * and those a writer handed over (`relayFrom`). One relay per database file on SQLite, so a claim only sets the
   * lease; on PostgreSQL it keeps relays of other hosts off the same events.
   */
  claimUndelivered(claim: RelayClaim): EventRow[] {
    const rows = this.db
      .prepare<[RelayClaim], ClaimedRow>(
        `UPDATE events SET relay_until = @until
         WHERE (directory_id, seq) IN (
           SELECT directory_id, seq FROM events
           WHERE ${claimable('@before', '@now')}
           ORDER BY created_at, directory_id, seq LIMIT @limit)
         RETURNING directory_id, identity_id, seq, resource_type, kind, created_at`,
      )
      .all(claim);
    return claimedIdentities(rows);
  }

  /**
   * Makes the undelivered events of these identities (up to each seq) the relay's to claim from `from`: at once when a
   * writer hands them over (`HANDED_OVER`: its poke failed, or it is stopping), later when a relay's own poke failed.
   */
  relayFrom(items: IdentitySeq[], from: string): void {
    const mark = this.db.prepare(
      `UPDATE events SET relay_until = ?
       WHERE directory_id = ? AND identity_id = ? AND seq <= ? AND delivered_at IS NULL`,
    );
    for (const i of items) mark.run(from, i.directoryId, i.identityId, i.seq);
  }

  /** Wakes the relays (on SQLite: the process's own; one relay per database file). */
  wakeRelays(): void {
    wakersOf(this.db).emit('wake');
  }

  /** Calls `onWake` whenever a writer hands events over (`wakeRelays`). Returns the unsubscribe. */
  onRelayWake(onWake: () => void): () => void {
    const wakers = wakersOf(this.db);
    wakers.on('wake', onWake);
    return () => void wakers.off('wake', onWake);
  }

  /** The newest undelivered event per identity older than `before` (the relay re-pokes these). */
  undelivered(before: string, limit: number): EventRow[] {
    return this.db
      .prepare<[string, number], RawEvent>(
        `SELECT directory_id, identity_id, MAX(seq) AS seq, resource_type, kind, '{}' AS detail_json, MIN(created_at) AS created_at, NULL AS delivered_at
         FROM events WHERE delivered_at IS NULL AND created_at < ?
         GROUP BY directory_id, identity_id ORDER BY MIN(created_at) LIMIT ?`,
      )
      .all(before, limit)
      .map(toEvent);
  }

  /** The event at `seq` in the directory's log (undefined once pruned). */
  at(directoryId: string, seq: number): EventRow | undefined {
    const row = this.db
      .prepare<[string, number], RawEvent>('SELECT * FROM events WHERE directory_id = ? AND seq = ?')
      .get(directoryId, seq);
    return row ? toEvent(row) : undefined;
  }

  /** The newest event of one identity (0 when it has none). */
  latestSeqFor(directoryId: string, identityId: string): number {
    const row = this.db
      .prepare<[string, string], { seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM events WHERE directory_id = ? AND identity_id = ?',
      )
      .get(directoryId, identityId);
    return row?.seq ?? 0;
  }

  latestSeq(directoryId: string): number {
    const row = this.db
      .prepare<[string], { next_seq: number }>('SELECT next_seq FROM directories WHERE id = ?')
      .get(directoryId);
    return row?.next_seq ?? 0;
  }

  /**
   * Deletes delivered events older than `before` (retention; default configuration keeps everything), only below each
   * directory's oldest undelivered event: what is kept is a gapless suffix of the log, so the oldest kept seq tells an
   * events API reader whether its cursor is still covered.
   */
  prune(before: string): number {
    return this.db
      .prepare(
        `DELETE FROM events WHERE delivered_at IS NOT NULL AND created_at < ? AND seq < COALESCE(
           (SELECT MIN(u.seq) FROM events u WHERE u.directory_id = events.directory_id AND u.delivered_at IS NULL), 9e18)`,
      )
      .run(before).changes;
  }
}
