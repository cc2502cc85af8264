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

/** How a queued write ended inside its group. */
interface Settled {
  ok: boolean;
  value: unknown;
}

/** A write failed after changing rows, or on a failed statement: its group's transaction cannot be committed as is. */
class UncleanFailure extends Error {}

/**
 * Each `run(fn)` queues `fn`; on the next `setImmediate` the queue runs inside one transaction, and every promise
 * settles only after COMMIT. A failing `fn` rejects only its own promise: its group first runs without savepoints (each
 * costs two round trips, taken while the directory's counter row is locked); a write that fails before changing
 * anything leaves the transaction clean, and one that fails later (a unique violation, say) has the group roll back
 * and run again with a savepoint per write. A failed COMMIT rejects every write of the group; a deadlock runs the
 * group again (PgSession.atomically), so each `fn` may run more than once and must only use the store.
 */
export class PgWriteBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  /** A flush is running: it goes on until the queue is empty (a second one would run a group beside it). */
  private flushing = false;
  readonly stats = { commits: 0, lockWaits: 0, isolatedReruns: 0 };

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
    let results: Settled[];
    try {
      results = group.length === 1 ? [await this.runAlone(group[0]!)] : await this.runTogether(group);
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

  /** A group of one is its own transaction: a failure rolls back that write alone. */
  private async runAlone(q: Queued): Promise<Settled> {
    try {
      const value = await this.session.atomically(q.fn);
      this.stats.commits += 1;
      return { ok: true, value };
    } catch (err) {
      return { ok: false, value: err };
    }
  }

  private async runTogether(group: Queued[]): Promise<Settled[]> {
    let results: Settled[];
    try {
      results = await this.session.atomically(() => this.runEach(group, false));
    } catch (err) {
      if (!(err instanceof UncleanFailure)) throw err;
      this.stats.isolatedReruns += 1;
      results = await this.session.atomically(() => this.runEach(group, true));
    }
    this.stats.commits += 1;
    return results;
  }

  private async runEach(group: Queued[], isolated: boolean): Promise<Settled[]> {
    const results: Settled[] = [];
    for (const q of group) {
      const before = this.session.marks()!;
      try {
        results.push({ ok: true, value: await (isolated ? this.session.atomically(q.fn) : q.fn()) });
      } catch (err) {
        // A deadlock or a write that found its row changed by another process since it read it: the whole group
        // runs again (PgSession.atomically), each write reading afresh; any other failure is this write's alone.
        if (isRetryable(err)) throw err;
        const after = this.session.marks()!;
        if (!isolated && (after.writes > before.writes || after.errors > before.errors)) throw new UncleanFailure();
        results.push({ ok: false, value: err });
      }
    }
    return results;
  }
}
