// store/write-batch.ts: group commit. Writes arriving in the same event-loop turn share one transaction and one commit.
import type { Db } from './db';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Each `run(fn)` executes `fn` at once inside the open group transaction (as a savepoint: a failing `fn` rolls back
 * only its own changes) and resolves only after the group has committed, so nothing is acknowledged before it is
 * durable. The group commits on the next `setImmediate`, or as soon as `maxBatch` writes joined it.
 * Reads on the same connection see a group's writes before they commit; a failed COMMIT (disk full, I/O error)
 * rejects every write of the group.
 */
export class WriteBatcher {
  private waiters: Waiter[] = [];
  private open = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 256,
  ) {}

  run<T>(fn: () => T): Promise<T> {
    if (!this.open) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      setImmediate(() => this.commit());
    }
    let value: T;
    try {
      value = this.db.transaction(fn)();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const done = new Promise<T>((resolve, reject) => this.waiters.push({ resolve: () => resolve(value), reject }));
    if (this.waiters.length >= this.maxBatch) this.commit();
    return done;
  }

  /** Commits the open group (idempotent); also used at shutdown. */
  commit(): void {
    if (!this.open) return;
    const group = this.waiters.splice(0);
    this.open = false;
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const w of group) w.reject(err);
      return;
    }
    for (const w of group) w.resolve();
  }
}
