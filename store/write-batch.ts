// store/write-batch.ts: group commit. Writes queued in the same event-loop turn share one transaction and one commit.
import type { Db } from './db';
import { DatabaseBusyError } from './errors';
import { transactor } from './transact';
import type { Transactor } from './transact';
import { bindToRequest } from './request-context';
import type { ConnectionGate } from './connection-gate';

interface Queued {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  queuedAt: number;
}

export interface WriteBatcherOptions {
  /** Writes per transaction; a longer queue commits in several transactions back to back. */
  maxBatch?: number;
  /** How long a queued write may wait for another process's write lock before it fails with DatabaseBusyError. */
  busyTimeoutMs?: number;
}

const LOCK_RETRY_MS = 1;

/**
 * Each `run(fn)` queues `fn`; on the next `setImmediate` the queue runs inside one `BEGIN IMMEDIATE` transaction, each
 * `fn` as a savepoint (a failing `fn` rolls back only its own changes and rejects only its own promise), and every
 * promise settles only after COMMIT, so nothing is acknowledged before it is durable. A failed COMMIT (disk full, I/O
 * error) rejects every write of the group.
 *
 * The write lock is held only while the queue runs, never across an event-loop turn, and it is taken without SQLite's
 * busy handler (which sleeps on the event loop): when another process holds it, the attempt is retried from a timer
 * while this process keeps serving reads and keeps queueing writes. That is what lets several API processes share one
 * database file. Because `fn` runs inside the transaction, a read-modify-write in `fn` sees the latest committed state.
 */
export class WriteBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  /** A flush is running: it goes on until the queue is empty, so a second one would only find the lock in use. */
  private flushing = false;
  private readonly maxBatch: number;
  private readonly busyTimeoutMs: number;
  private readonly transactor: Transactor;
  /** Transactions committed and attempts that found the lock taken (for tests and stats). */
  readonly stats = { commits: 0, lockWaits: 0 };
  constructor(
    private readonly db: Db,
    private readonly gate: ConnectionGate,
    options: WriteBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    this.transactor = transactor(db);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn: bindToRequest(fn),
        resolve: resolve as (value: unknown) => void,
        reject,
        queuedAt: Date.now(),
      });
      this.schedule(0);
    });
  }

  /** Runs and commits everything queued now, if the lock is free; otherwise retries from a timer. */
  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // The group owns this process's connection while it runs: its writes await between statements.
        const began = await this.gate.exclusive(async () => {
          if (!this.transactor.tryBeginGroup()) return false;
          await this.runGroup(this.queue.splice(0, this.maxBatch));
          return true;
        });
        if (!began) {
          this.stats.lockWaits += 1;
          this.expireWaiting();
          this.schedule(LOCK_RETRY_MS);
          return;
        }
      }
    } catch (err) {
      // Not a lock conflict (I/O error, closed connection): every queued write fails with it, none is lost silently,
      // and nothing escapes the timer to crash the process.
      for (const q of this.queue.splice(0)) q.reject(err);
    } finally {
      this.flushing = false;
    }
  }

  private schedule(delayMs: number): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    if (delayMs === 0) setImmediate(() => void this.flush());
    else setTimeout(() => void this.flush(), delayMs);
  }

  private async runGroup(group: Queued[]): Promise<void> {
    const results: { ok: boolean; value: unknown }[] = [];
    let lastError: unknown = new Error('the write transaction was rolled back');
    for (const q of group) {
      // SQLite may roll the whole transaction back (I/O error, disk full): then nothing of this group is durable.
      if (!this.db.inTransaction) break;
      try {
        results.push({ ok: true, value: await this.transactor.runAsync(q.fn) });
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        results.push({ ok: false, value: lastError });
      }
    }
    try {
      if (!this.db.inTransaction) throw lastError;
      this.transactor.commitGroup();
      this.stats.commits += 1;
    } catch (err) {
      try {
        this.transactor.rollbackGroup();
      } finally {
        for (const q of group) q.reject(err);
      }
      return;
    }
    group.forEach((q, i) => {
      const r = results[i]!;
      if (r.ok) q.resolve(r.value);
      else q.reject(r.value);
    });
  }

  /** Writes that have waited past the busy timeout fail (503 to the IdP, which retries) instead of waiting forever. */
  private expireWaiting(): void {
    const cutoff = Date.now() - this.busyTimeoutMs;
    const expired = this.queue.filter((q) => q.queuedAt <= cutoff);
    if (expired.length === 0) return;
    this.queue = this.queue.filter((q) => q.queuedAt > cutoff);
    const err = new DatabaseBusyError(`the database stayed locked by another process for ${this.busyTimeoutMs} ms`);
    for (const q of expired) q.reject(err);
  }
}
