// store/pg/event-log.ts: the per-directory gapless event log on PostgreSQL (append inside the write transaction,
// read, mark delivered).
import type { Async } from '../connection-gate';
import type {
  ClaimedRow,
  EventKind,
  EventLog,
  EventRow,
  IdentitySeq,
  NewEvent,
  RawEvent,
  RelayClaim,
} from '../event-log';
import { claimable, claimedIdentities, toEvent } from '../event-log';
import { currentRequestId } from '../request-context';
import type { PgSession } from './session';

/** A page row: the event's columns (all null when the page is empty) beside the directory's newest and oldest seq. */
type PageRow = { [K in keyof RawEvent]: RawEvent[K] | null } & { latest_seq: number | null; oldest_seq: number | null };

/** The NOTIFY channel on which writers wake the relays of other processes. */
const RELAY_CHANNEL = 'scimflow_relay';

export class PgEventLog implements Async<EventLog> {
  constructor(private readonly session: PgSession) {}

  /**
   * Appends events with consecutive sequence numbers, in one statement. The directory's `next_seq` row is the
   * per-directory counter: `UPDATE … RETURNING` takes its row lock until the transaction ends, so concurrent writers of
   * one directory (in any process) get disjoint ranges in commit order, and a rollback gives the range back with the
   * rows: no gaps. Runs in the caller's transaction (no savepoint of its own), else in one of its own.
   */
  async append(directoryId: string, events: NewEvent[], at: string): Promise<EventRow[]> {
    if (events.length === 0) return [];
    // The SCIM or HR request that made this write (X-Request-Id): the workflow, its logs and the audit export carry it.
    const requestId = currentRequestId();
    const detail = (e: NewEvent) => (requestId === undefined ? (e.detail ?? {}) : { ...e.detail, requestId });
    // Group events have no workflow of their own (members get 'membership' events), so nothing is left to deliver.
    const deliveredAt = (e: NewEvent) => (e.resourceType === 'Group' ? at : null);
    // The bump and the rows in one round trip: the counter row stays locked for as short a time as this write allows.
    // One statement for the whole batch too (a group PATCH of 1,000 members appends 1,000 events).
    const inserted = await this.session.join(() =>
      this.session.query<{ first: number }>(
        `WITH bumped AS (
           UPDATE directories SET next_seq = next_seq + $2 WHERE id = $1 RETURNING next_seq - $2 AS base
         ), inserted AS (
           INSERT INTO events (directory_id, seq, identity_id, resource_type, kind, detail_json, created_at, delivered_at)
           SELECT $1, bumped.base + e.n, e.identity_id, e.resource_type, e.kind, e.detail_json, $3, e.delivered_at
           FROM bumped, unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
             WITH ORDINALITY AS e(identity_id, resource_type, kind, detail_json, delivered_at, n)
           RETURNING seq
         )
         SELECT base + 1 AS first FROM bumped WHERE (SELECT count(*) FROM inserted) = $2`,
        [
          directoryId,
          events.length,
          at,
          events.map((e) => e.identityId),
          events.map((e) => e.resourceType),
          events.map((e) => e.kind),
          events.map((e) => JSON.stringify(detail(e))),
          events.map(deliveredAt),
        ],
      ),
    );
    const first = inserted[0]?.first;
    if (first === undefined) throw new Error(`directory ${directoryId} does not exist`);
    return events.map((e, i) => ({
      directoryId,
      seq: first + i,
      identityId: e.identityId,
      resourceType: e.resourceType,
      kind: e.kind,
      detail: detail(e),
      createdAt: at,
      deliveredAt: deliveredAt(e),
    }));
  }

  /** Marks every event of an identity up to `seq` as delivered to its workflow. */
  async markDelivered(directoryId: string, identityId: string, seq: number, at: string): Promise<void> {
    await this.session.run(
      `UPDATE events SET delivered_at = $1
       WHERE directory_id = $2 AND identity_id = $3 AND seq <= $4 AND delivered_at IS NULL`,
      [at, directoryId, identityId, seq],
    );
  }

  async list(
    directoryId: string,
    opts: { fromSeq?: number; identityId?: string; limit?: number } = {},
  ): Promise<EventRow[]> {
    const where = ['directory_id = $1', 'seq >= $2'];
    const args: unknown[] = [directoryId, opts.fromSeq ?? 0];
    if (opts.identityId) {
      args.push(opts.identityId);
      where.push(`identity_id = $${args.length}`);
    }
    args.push(opts.limit ?? 1000);
    const rows = await this.session.query<RawEvent>(
      `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${args.length}`,
      args,
    );
    return rows.map(toEvent);
  }

  /**
   * The events after `afterSeq`, oldest first, at most `limit`, optionally of one identity and of some kinds; with the
   * directory's newest seq and its oldest retained one. One statement, so one snapshot even inside a READ COMMITTED
   * transaction (where separate statements could each see other commits): a page that is not full has seen everything
   * up to `latestSeq`.
   */
  async page(
    directoryId: string,
    opts: { afterSeq: number; limit: number; identityId?: string; kinds?: readonly EventKind[] },
  ): Promise<{ events: EventRow[]; latestSeq: number; oldestSeq: number | null }> {
    const where = ['directory_id = $1', 'seq > $2'];
    const args: unknown[] = [directoryId, opts.afterSeq];
    if (opts.identityId !== undefined) {
      args.push(opts.identityId);
      where.push(`identity_id = $${args.length}`);
    }
    if (opts.kinds !== undefined) {
      args.push(opts.kinds);
      where.push(`kind = ANY($${args.length}::text[])`);
    }
    args.push(opts.limit);
    const rows = await this.session.query<PageRow>(
      `WITH page AS (SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${args.length})
       SELECT h.latest_seq, h.oldest_seq, p.* FROM (
         SELECT (SELECT next_seq FROM directories WHERE id = $1) AS latest_seq,
                (SELECT MIN(seq) FROM events WHERE directory_id = $1) AS oldest_seq
       ) h LEFT JOIN page p ON true ORDER BY p.seq`,
      args,
    );
    const head = rows[0];
    return {
      events: rows.filter((r): r is PageRow & RawEvent => r.seq !== null).map(toEvent),
      latestSeq: head?.latest_seq ?? 0,
      oldestSeq: head?.oldest_seq ?? null,
    };
  }

  /**
   * Claims undelivered events for the relay until `claim.until` (see the SQLite store). `FOR UPDATE SKIP LOCKED`: two
   * relays claiming at the same moment (other hosts) take different events instead of waiting for each other, and a
   * committed claim keeps the others off them until its lease ends.
   */
  async claimUndelivered(claim: RelayClaim): Promise<EventRow[]> {
    const rows = await this.session.query<ClaimedRow>(
      `UPDATE events e SET relay_until = $3
       FROM (SELECT directory_id, seq FROM events WHERE ${claimable('$1', '$2')}
             ORDER BY created_at, directory_id, seq LIMIT $4 FOR UPDATE SKIP LOCKED) due
       WHERE e.directory_id = due.directory_id AND e.seq = due.seq
       RETURNING e.directory_id, e.identity_id, e.seq, e.resource_type, e.kind, e.created_at`,
      [claim.before, claim.now, claim.until, claim.limit],
    );
    return claimedIdentities(rows);
  }

  /** See the SQLite store: these identities' undelivered events become the relay's to claim from `from`. */
  async relayFrom(items: IdentitySeq[], from: string): Promise<void> {
    if (items.length === 0) return;
    await this.session.run(
      `UPDATE events e SET relay_until = $1
       FROM unnest($2::text[], $3::text[], $4::int[]) AS i(directory_id, identity_id, seq)
       WHERE e.directory_id = i.directory_id AND e.identity_id = i.identity_id AND e.seq <= i.seq
         AND e.delivered_at IS NULL`,
      [from, items.map((i) => i.directoryId), items.map((i) => i.identityId), items.map((i) => i.seq)],
    );
  }

  /** Wakes the relays of every process on this database (NOTIFY). */
  async wakeRelays(): Promise<void> {
    await this.session.notify(RELAY_CHANNEL);
  }

  /** Calls `onWake` on every `wakeRelays`, from any process (LISTEN). Returns the unsubscribe. */
  async onRelayWake(onWake: () => void): Promise<() => void> {
    return this.session.listen(RELAY_CHANNEL, onWake);
  }

  /**
   * The newest undelivered event per identity older than `before` (the relay re-pokes these). Its type and kind are
   * those of the identity's oldest undelivered event, as SQLite's bare columns beside `MIN(created_at)` give them.
   */
  async undelivered(before: string, limit: number): Promise<EventRow[]> {
    const rows = await this.session.query<RawEvent>(
      `SELECT directory_id, identity_id, MAX(seq) AS seq,
              (array_agg(resource_type ORDER BY created_at, seq))[1] AS resource_type,
              (array_agg(kind ORDER BY created_at, seq))[1] AS kind,
              '{}' AS detail_json, MIN(created_at) AS created_at, NULL AS delivered_at
       FROM events WHERE delivered_at IS NULL AND created_at < $1
       GROUP BY directory_id, identity_id ORDER BY MIN(created_at), directory_id, identity_id LIMIT $2`,
      [before, limit],
    );
    return rows.map(toEvent);
  }

  /** The event at `seq` in the directory's log (undefined once pruned). */
  async at(directoryId: string, seq: number): Promise<EventRow | undefined> {
    const row = await this.session.one<RawEvent>('SELECT * FROM events WHERE directory_id = $1 AND seq = $2', [
      directoryId,
      seq,
    ]);
    return row ? toEvent(row) : undefined;
  }

  /** The newest event of one identity (0 when it has none). */
  async latestSeqFor(directoryId: string, identityId: string): Promise<number> {
    const row = await this.session.one<{ seq: number | null }>(
      'SELECT MAX(seq) AS seq FROM events WHERE directory_id = $1 AND identity_id = $2',
      [directoryId, identityId],
    );
    return row?.seq ?? 0;
  }

  async latestSeq(directoryId: string): Promise<number> {
    const row = await this.session.one<{ next_seq: number }>('SELECT next_seq FROM directories WHERE id = $1', [
      directoryId,
    ]);
    return row?.next_seq ?? 0;
  }

  /**
   * Deletes delivered events older than `before` (retention; default configuration keeps everything), only below each
   * directory's oldest undelivered event: what is kept is a gapless suffix of the log, so the oldest kept seq tells an
   * events API reader whether its cursor is still covered. (An event appended meanwhile has a higher seq than every
   * row this statement can delete, so a concurrent writer cannot open a hole.)
   */
  async prune(before: string): Promise<number> {
    return this.session.run(
      `DELETE FROM events WHERE delivered_at IS NOT NULL AND created_at < $1 AND seq < COALESCE(
         (SELECT MIN(u.seq) FROM events u WHERE u.directory_id = events.directory_id AND u.delivered_at IS NULL), 9e18)`,
      [before],
    );
  }
}
