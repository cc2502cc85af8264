// store/transact.ts: nested write transactions on one connection through statements prepared once per connection.
import type { Db } from './db';

/**
 * `run(fn)` runs `fn` atomically: in a new `BEGIN IMMEDIATE` transaction when none is open, otherwise in a savepoint
 * of the open one (a failing `fn` undoes only its own changes). Same semantics as better-sqlite3's
 * `db.transaction(fn).immediate()`, which builds four wrapper functions on every call; request writes nest two deep.
 */
export interface Transactor {
  run<T>(fn: () => T): T;
  /**
   * `run` for a transaction that awaits between its statements. The caller owns the connection for the whole of it
   * (store/connection-gate.ts): nothing else may run a statement on it until the returned promise settles.
   */
  runAsync<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Opens a group transaction (`BEGIN IMMEDIATE`) without SQLite's busy handler, which would sleep on the event loop:
   * false, at once, when another connection holds the write lock. Until `commitGroup`/`rollbackGroup`, a `run` that
   * finds the group gone (SQLite rolled it back by itself on an I/O error or a full disk) throws instead of quietly
   * committing on its own outside the group.
   */
  tryBeginGroup(): boolean;
  commitGroup(): void;
  /** Rolls the group back if SQLite has not already. */
  rollbackGroup(): void;
}

const byDb = new WeakMap<Db, Transactor>();

export function transactor(db: Db): Transactor {
  let t = byDb.get(db);
  if (!t) {
    t = createTransactor(db);
    byDb.set(db, t);
  }
  return t;
}

function createTransactor(db: Db): Transactor {
  const [begin, commit, rollback] = ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'].map((sql) => db.prepare(sql));
  const [savepoint, release, rollbackTo] = ['SAVEPOINT nested', 'RELEASE nested', 'ROLLBACK TO nested'].map((sql) =>
    db.prepare(sql),
  );
  // The connection's own busy timeout, for everything but taking a group's lock.
  const busyTimeout = Number(db.pragma('busy_timeout', { simple: true }));
  let groupOpen = false;
  return {
    tryBeginGroup(): boolean {
      // PRAGMA busy_timeout takes effect when it is compiled, so it cannot be a prepared statement run again.
      db.pragma('busy_timeout = 0');
      try {
        begin!.run();
        groupOpen = true;
        return true;
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return false;
        throw err;
      } finally {
        db.pragma(`busy_timeout = ${busyTimeout}`);
      }
    },
    commitGroup(): void {
      groupOpen = false;
      commit!.run();
    },
    rollbackGroup(): void {
      groupOpen = false;
      if (db.inTransaction) rollback!.run();
    },
    async runAsync<T>(fn: () => Promise<T>): Promise<T> {
      const outer = !db.inTransaction;
      if (outer && groupOpen) throw new Error('the group transaction was rolled back (I/O error or disk full)');
      (outer ? begin : savepoint)!.run();
      try {
        const value = await fn();
        if (outer) commit!.run();
        else release!.run();
        return value;
      } catch (err) {
        // SQLite may already have rolled back by itself (I/O error, disk full).
        if (db.inTransaction) {
          if (outer) rollback!.run();
          else {
            rollbackTo!.run();
            release!.run();
          }
        }
        throw err;
      }
    },
    run<T>(fn: () => T): T {
      if (!db.inTransaction) {
        if (groupOpen) throw new Error('the group transaction was rolled back (I/O error or disk full)');
        begin!.run();
        try {
          const value = fn();
          commit!.run();
          return value;
        } catch (err) {
          // SQLite may already have rolled back by itself (I/O error, disk full).
          if (db.inTransaction) rollback!.run();
          throw err;
        }
      }
      savepoint!.run();
      try {
        const value = fn();
        release!.run();
        return value;
      } catch (err) {
        if (db.inTransaction) {
          rollbackTo!.run();
          release!.run();
        }
        throw err;
      }
    },
  };
}
