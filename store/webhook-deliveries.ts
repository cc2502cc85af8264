// store/webhook-deliveries.ts: each webhook event scimflow sends (stable id, body, sequence), its attempts and its ack.
import type { Db } from './db';
import { nowIso } from './db';

export interface WebhookDelivery {
  appId: string;
  eventId: string;
  remoteId: string;
  /** Per account in this app: 1, 2, 3… in the order the events were first built. */
  sequence: number;
  type: string;
  body: string;
  createdAt: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  /** Set when a non-revocation event failed for longer than the app allows, or was refused: redeliver clears it. */
  deadLetteredAt: string | null;
  /** The directory change (log seq) whose convergence built it; 0 when not known. */
  changeSeq: number;
}

/** An event for an older directory change than one already built for the account: a given-up attempt's. */
export class StaleWebhookEventError extends Error {
  constructor(
    readonly changeSeq: number,
    readonly newerSeq: number,
  ) {
    super(`an event for change ${newerSeq} was already built for this account: change ${changeSeq} is stale`);
    this.name = 'StaleWebhookEventError';
  }
}

export interface RawDelivery {
  app_id: string;
  event_id: string;
  remote_id: string;
  sequence: number;
  type: string;
  body: string;
  created_at: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
  dead_lettered_at: string | null;
  change_seq: number;
}

export const toDelivery = (r: RawDelivery): WebhookDelivery => ({
  appId: r.app_id,
  eventId: r.event_id,
  remoteId: r.remote_id,
  sequence: r.sequence,
  type: r.type,
  body: r.body,
  createdAt: r.created_at,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  deadLetteredAt: r.dead_lettered_at,
  changeSeq: r.change_seq,
});

export class WebhookDeliveryStore {
  constructor(private readonly db: Db) {}

  get(appId: string, eventId: string): WebhookDelivery | undefined {
    const row = this.db
      .prepare<[string, string], RawDelivery>('SELECT * FROM webhook_deliveries WHERE app_id = ? AND event_id = ?')
      .get(appId, eventId);
    return row ? toDelivery(row) : undefined;
  }

  /**
   * The event with this id, built once: a retry finds the same body and sequence. A new event takes the account's
   * next sequence number; `build` gets it and returns the body. `changeSeq` is the directory change it converges to:
   * a new event for an older change than one already built for the account throws StaleWebhookEventError (only a
   * given-up attempt of an older run gets there; sending it would give receivers an old state under a newer number).
   */
  prepare(
    event: { appId: string; eventId: string; remoteId: string; type: string; changeSeq: number },
    build: (sequence: number, createdAt: string) => string,
  ): WebhookDelivery {
    const { appId, eventId, remoteId, type, changeSeq } = event;
    return this.db
      .transaction(() => {
        const existing = this.get(appId, eventId);
        if (existing) return existing;
        const last = this.db
          .prepare<[string, string], { n: number | null; change: number | null }>(
            'SELECT MAX(sequence) AS n, MAX(change_seq) AS change FROM webhook_deliveries WHERE app_id = ? AND remote_id = ?',
          )
          .get(appId, remoteId);
        if (changeSeq > 0 && (last?.change ?? 0) > changeSeq)
          throw new StaleWebhookEventError(changeSeq, last!.change!);
        const sequence = (last?.n ?? 0) + 1;
        const createdAt = nowIso();
        this.db
          .prepare(
            `INSERT INTO webhook_deliveries (app_id, event_id, remote_id, sequence, type, body, created_at, change_seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(appId, eventId, remoteId, sequence, type, build(sequence, createdAt), createdAt, changeSeq);
        return this.get(appId, eventId)!;
      })
      .immediate();
  }

  /** How far the app's group feed has got in its directory's log (0: not started). */
  groupFeedCursor(appId: string): number {
    const row = this.db
      .prepare<[string], { seq: number }>('SELECT seq FROM webhook_group_feeds WHERE app_id = ?')
      .get(appId);
    return row?.seq ?? 0;
  }

  /** The app was sent (and acknowledged) its group events up to `seq`. */
  advanceGroupFeed(appId: string, seq: number): void {
    this.db
      .prepare(
        `INSERT INTO webhook_group_feeds (app_id, seq, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (app_id) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at`,
      )
      .run(appId, seq, nowIso());
  }

  /** One attempt's outcome: acknowledged (2xx) or not, with the status (0: no answer) and the failure. */
  attempted(appId: string, eventId: string, outcome: { status: number; error?: string }): void {
    const at = nowIso();
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, last_attempt_at = ?,
           delivered_at = CASE WHEN ? THEN COALESCE(delivered_at, ?) ELSE delivered_at END
         WHERE app_id = ? AND event_id = ?`,
      )
      .run(outcome.status, outcome.error ?? null, at, outcome.error === undefined ? 1 : 0, at, appId, eventId);
  }

  /** Parks an event that is not acknowledged: it is not sent again, and the account's later events wait behind it. */
  deadLetter(appId: string, eventId: string): void {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET dead_lettered_at = COALESCE(dead_lettered_at, ?)
         WHERE app_id = ? AND event_id = ? AND delivered_at IS NULL`,
      )
      .run(nowIso(), appId, eventId);
  }

  /** Un-parks the app's dead-lettered events (those `which` picks, else all); returns them. */
  redeliver(appId: string, which: (d: WebhookDelivery) => boolean = () => true): WebhookDelivery[] {
    return this.db
      .transaction(() => {
        const rows = this.list(appId, { dead: true, limit: 1_000_000 }).filter(which);
        const clear = this.db.prepare(
          'UPDATE webhook_deliveries SET dead_lettered_at = NULL WHERE app_id = ? AND event_id = ?',
        );
        for (const d of rows) clear.run(appId, d.eventId);
        return rows;
      })
      .immediate();
  }

  /** The account's events built before `sequence` and not acknowledged yet, oldest first: they go out first. */
  pendingBefore(appId: string, remoteId: string, sequence: number): WebhookDelivery[] {
    return this.db
      .prepare<[string, string, number], RawDelivery>(
        `SELECT * FROM webhook_deliveries WHERE app_id = ? AND remote_id = ? AND sequence < ? AND delivered_at IS NULL
         ORDER BY sequence`,
      )
      .all(appId, remoteId, sequence)
      .map(toDelivery);
  }

  /** The app's events, newest first: all, those not acknowledged yet, or the dead-lettered ones. */
  list(
    appId: string,
    opts: { pending?: boolean; dead?: boolean; remoteId?: string; limit?: number } = {},
  ): WebhookDelivery[] {
    const where = ['app_id = ?'];
    const args: unknown[] = [appId];
    if (opts.pending) where.push('delivered_at IS NULL');
    if (opts.dead) where.push('dead_lettered_at IS NOT NULL');
    if (opts.remoteId !== undefined) {
      where.push('remote_id = ?');
      args.push(opts.remoteId);
    }
    args.push(opts.limit ?? 100);
    return this.db
      .prepare<unknown[], RawDelivery>(
        `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, sequence DESC LIMIT ?`,
      )
      .all(...args)
      .map(toDelivery);
  }
}
