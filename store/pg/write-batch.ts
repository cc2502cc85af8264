// store/pg/write-batch.ts: group commit on PostgreSQL. Writes queued in the same event-loop turn share one
// transaction and one commit, like the SQLite batcher; other processes' groups run at the same time on their own
// connections (row locks, not a database lock, order them).
import { bindToRequest } from '../request-context';
import type { PgSession } from './session';
import { isRetryable } from './session';

interface Queued {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Each `run(fn)` queues `fn`; on the next `setImmediate` the queue runs inside one transaction, each `fn` as a
 * savepoint (a failing `fn` rolls back only its own changes and rejects only its own promise), and every promise
 * settles only after COMMIT. A failed COMMIT rejects every write of the group; a deadlock runs the group again
 * (PgSession.atomically), so each `fn` may run more than once and must only use the store.
 */
export class PgWriteBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  /** A flush is running: it goes on until the queue is empty (a second one would run a group beside it). */
  private flushing = false;
  readonly stats = { commits: 0, lockWaits: 0 };

  constructor(
    private readonly session: PgSession,
    private readonly maxBatch = 256,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: bindToRequest(fn), resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      // Groups of one process run one after another, so that two of them never wait on each other's row locks.
      while (this.queue.length > 0) await this.runGroup(this.queue.splice(0, this.maxBatch));
    } finally {
      this.flushing = false;
    }
  }

  private async runGroup(group: Queued[]): Promise<void> {
    let results: { ok: boolean; value: unknown }[] = [];
    try {
      await this.session.atomically(async () => {
        results = [];
        for (const q of group) {
          try {
            results.push({ ok: true, value: await this.session.atomically(q.fn) });
          } catch (err) {
            // A deadlock or a write that found its row changed by another process since it read it: the whole group
            // runs again (PgSession.atomically), each write reading afresh; any other failure is this write's alone.
            if (isRetryable(err)) throw err;
            results.push({ ok: false, value: err });
          }
        }
      });
      this.stats.commits += 1;
    } catch (err) {
      for (const q of group) q.reject(err);
      return;
    }
    group.forEach((q, i) => {
      const r = results[i]!;
      if (r.ok) q.resolve(r.value);
      else q.reject(r.value);
    });
  }
}
