// store/pg/webhook-deliveries.ts: each webhook event scimflow sends (stable id, body, sequence), its attempts and its
// ack, on PostgreSQL.
import type { Async } from '../connection-gate';
import { nowIso } from '../db';
import type { RawDelivery, WebhookDelivery, WebhookDeliveryStore } from '../webhook-deliveries';
import { StaleWebhookEventError, toDelivery } from '../webhook-deliveries';
import type { PgSession } from './session';

export class PgWebhookDeliveryStore implements Async<WebhookDeliveryStore> {
  constructor(private readonly session: PgSession) {}

  async get(appId: string, eventId: string): Promise<WebhookDelivery | undefined> {
    const row = await this.session.one<RawDelivery>(
      'SELECT * FROM webhook_deliveries WHERE app_id = $1 AND event_id = $2',
      [appId, eventId],
    );
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
  ): Promise<WebhookDelivery> {
    const { appId, eventId, remoteId, type, changeSeq } = event;
    return this.session.atomically(async () => {
      // SQLite's write lock made "read MAX(sequence), insert MAX + 1" one step. Here two processes preparing events
      // for one account at once would both read the same MAX and send two events under one sequence number (and a
      // stale event could slip in beside a newer one). No row can be locked for this: an account's first event has
      // none, and MAX over rows does not lock the gap after them. So the account itself is locked: a transaction-
      // scoped advisory lock on its key, released at commit. A hash collision only makes two accounts wait for each
      // other. Each statement after the lock sees what the previous holder committed (READ COMMITTED).
      await this.session.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${appId}/${remoteId}`]);
      const existing = await this.get(appId, eventId);
      if (existing) return existing;
      const last = await this.session.one<{ n: number | null; change: number | null }>(
        'SELECT MAX(sequence) AS n, MAX(change_seq) AS change FROM webhook_deliveries WHERE app_id = $1 AND remote_id = $2',
        [appId, remoteId],
      );
      if (changeSeq > 0 && (last?.change ?? 0) > changeSeq) throw new StaleWebhookEventError(changeSeq, last!.change!);
      const sequence = (last?.n ?? 0) + 1;
      const createdAt = nowIso();
      // The same event id under another remote id would take another account's lock: the first one in keeps the id,
      // and the other caller gets its event, as SQLite answers a retry.
      await this.session.run(
        `INSERT INTO webhook_deliveries (app_id, event_id, remote_id, sequence, type, body, created_at, change_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (app_id, event_id) DO NOTHING`,
        [appId, eventId, remoteId, sequence, type, build(sequence, createdAt), createdAt, changeSeq],
      );
      return (await this.get(appId, eventId))!;
    });
  }

  /** How far the app's group feed has got in its directory's log (0: not started). */
  async groupFeedCursor(appId: string): Promise<number> {
    const row = await this.session.one<{ seq: number }>('SELECT seq FROM webhook_group_feeds WHERE app_id = $1', [
      appId,
    ]);
    return row?.seq ?? 0;
  }

  /** The app was sent (and acknowledged) its group events up to `seq`; the cursor never moves back (one statement). */
  async advanceGroupFeed(appId: string, seq: number): Promise<void> {
    await this.session.run(
      `INSERT INTO webhook_group_feeds (app_id, seq, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (app_id) DO UPDATE SET seq = GREATEST(webhook_group_feeds.seq, excluded.seq), updated_at = excluded.updated_at`,
      [appId, seq, nowIso()],
    );
  }

  /** One attempt's outcome: acknowledged (2xx) or not, with the status (0: no answer) and the failure. */
  async attempted(appId: string, eventId: string, outcome: { status: number; error?: string }): Promise<void> {
    await this.session.run(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2, last_attempt_at = $3,
         delivered_at = CASE WHEN $4::boolean THEN COALESCE(delivered_at, $3) ELSE delivered_at END
       WHERE app_id = $5 AND event_id = $6`,
      [outcome.status, outcome.error ?? null, nowIso(), outcome.error === undefined, appId, eventId],
    );
  }

  /** Parks an event that is not acknowledged: it is not sent again, and the account's later events wait behind it. */
  async deadLetter(appId: string, eventId: string): Promise<void> {
    await this.session.run(
      `UPDATE webhook_deliveries SET dead_lettered_at = COALESCE(dead_lettered_at, $1)
       WHERE app_id = $2 AND event_id = $3 AND delivered_at IS NULL`,
      [nowIso(), appId, eventId],
    );
  }

  /**
   * Un-parks the app's dead-lettered events (those `which` picks, else all); returns them (as they were read). The
   * rows are locked as they are read (`FOR UPDATE`): a redeliver from another process at the same time waits, then
   * no longer finds them dead-lettered, so each parked event is handed back to one caller only, as on SQLite.
   */
  redeliver(appId: string, which: (d: WebhookDelivery) => boolean = () => true): Promise<WebhookDelivery[]> {
    return this.session.atomically(async () => {
      const rows = (
        await this.session.query<RawDelivery>(
          `SELECT * FROM webhook_deliveries WHERE app_id = $1 AND dead_lettered_at IS NOT NULL
           ORDER BY created_at DESC, sequence DESC LIMIT 1000000 FOR UPDATE`,
          [appId],
        )
      )
        .map(toDelivery)
        .filter(which);
      if (rows.length > 0)
        await this.session.run(
          'UPDATE webhook_deliveries SET dead_lettered_at = NULL WHERE app_id = $1 AND event_id = ANY($2::text[])',
          [appId, rows.map((d) => d.eventId)],
        );
      return rows;
    });
  }

  /** The account's events built before `sequence` and not acknowledged yet, oldest first: they go out first. */
  async pendingBefore(appId: string, remoteId: string, sequence: number): Promise<WebhookDelivery[]> {
    const rows = await this.session.query<RawDelivery>(
      `SELECT * FROM webhook_deliveries WHERE app_id = $1 AND remote_id = $2 AND sequence < $3 AND delivered_at IS NULL
       ORDER BY sequence`,
      [appId, remoteId, sequence],
    );
    return rows.map(toDelivery);
  }

  /** The app's events, newest first: all, those not acknowledged yet, or the dead-lettered ones. */
  async list(
    appId: string,
    opts: { pending?: boolean; dead?: boolean; remoteId?: string; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const where = ['app_id = $1'];
    const args: unknown[] = [appId];
    if (opts.pending) where.push('delivered_at IS NULL');
    if (opts.dead) where.push('dead_lettered_at IS NOT NULL');
    if (opts.remoteId !== undefined) {
      args.push(opts.remoteId);
      where.push(`remote_id = $${args.length}`);
    }
    args.push(opts.limit ?? 100);
    const rows = await this.session.query<RawDelivery>(
      `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, sequence DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(toDelivery);
  }
}
