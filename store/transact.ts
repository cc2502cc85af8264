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
   * Runs `fn` (a group's writes) knowing an outer transaction is open: if SQLite rolls it back by itself (I/O error,
   * disk full), a later `run` inside `fn` throws instead of quietly committing on its own outside the group.
   */
  inGroup<T>(fn: () => T): T;
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
  let groups = 0;
  return {
    inGroup<T>(fn: () => T): T {
      groups += 1;
      try {
        return fn();
      } finally {
        groups -= 1;
      }
    },
    run<T>(fn: () => T): T {
      if (!db.inTransaction) {
        if (groups > 0) throw new Error('the group transaction was rolled back (I/O error or disk full)');
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
