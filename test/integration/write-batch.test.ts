// test/integration/write-batch.test.ts: group commit on a real SQLite file, with a second connection holding the lock.
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { toScimError } from '../../api/middleware/scim-errors';
import { startCheckpointer } from '../../store/checkpointer';
import { DatabaseBusyError } from '../../store/errors';
import { transactor } from '../../store/transact';
import { WriteBatcher } from '../../store/write-batch';
import { ConnectionGate } from '../../store/connection-gate';
import type { SqliteStores as Stores } from '../../store';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';

describe('group commit (store/write-batch.ts) and nested transactions (store/transact.ts)', function () {
  let dir: string;
  let file: string;
  let stores: Stores;
  let other: Database.Database;

  beforeEach(async function () {
    ({ dir, file, stores } = await openTempStores('scimflow-batch-'));
    stores.db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    // Another process's connection to the same file.
    other = new Database(file);
    other.pragma('busy_timeout = 0');
  });

  afterEach(function () {
    other.close();
    removeTempStores({ dir, stores });
  });

  const count = () => (stores.db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  const insert = (k: string, v = 1) => stores.db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('commits writes queued in one event-loop turn in one transaction, each settling only after COMMIT', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    let committedWhenSettled = -1;
    const writes = Array.from({ length: 50 }, (_, i) => batch.run(async () => insert(`k${i}`).changes));
    void writes[0]!.then(() => {
      committedWhenSettled = (other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    });
    expect(count()).to.equal(0); // nothing runs before the turn ends
    expect(await Promise.all(writes)).to.deep.equal(new Array(50).fill(1));
    expect(batch.stats.commits).to.equal(1);
    expect(committedWhenSettled).to.equal(50); // visible to another connection: durable before acknowledged
  });

  it('a failing write rejects alone; the rest of its group commits', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    const results = await Promise.allSettled([
      batch.run(async () => insert('a')),
      batch.run(async () => {
        insert('b');
        insert('a'); // duplicate key: this write and its own 'b' roll back
      }),
      batch.run(async () => insert('c')),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(stores.db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).to.deep.equal(['a', 'c']);
    expect(batch.stats.commits).to.equal(1);
  });

  it('waits for another connection’s write lock on a timer, never blocking the event loop, then commits', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    other.exec('BEGIN IMMEDIATE');
    other.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('theirs', 1);
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    const write = batch.run(async () => insert('ours'));
    await sleep(100);
    const ticksWhileLocked = ticks;
    expect(batch.stats.lockWaits).to.be.greaterThan(0);
    expect(count()).to.equal(0); // our connection reads the last committed state, without our write
    other.exec('COMMIT');
    await write;
    clearInterval(ticker);
    expect(ticksWhileLocked).to.be.greaterThan(5); // timers kept firing while the write waited
    expect(stores.db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).to.deep.equal(['ours', 'theirs']);
  });

  it('runs each write inside the transaction, so a read-modify-write sees what another process committed', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    insert('n', 0);
    other.exec('BEGIN IMMEDIATE');
    const increment = () =>
      batch.run(async () => {
        const { v } = stores.db.prepare('SELECT v FROM t WHERE k = ?').get('n') as { v: number };
        stores.db.prepare('UPDATE t SET v = ? WHERE k = ?').run(v + 1, 'n');
      });
    const ours = increment();
    other.prepare("UPDATE t SET v = v + 100 WHERE k = 'n'").run();
    other.exec('COMMIT');
    await ours;
    expect(stores.db.prepare("SELECT v FROM t WHERE k = 'n'").pluck().get()).to.equal(101);
  });

  it('fails writes that waited past the busy timeout with DatabaseBusyError, a 503 for the IdP', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate(), { busyTimeoutMs: 50 });
    other.exec('BEGIN IMMEDIATE');
    const outcome = await batch
      .run(async () => insert('late'))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    other.exec('ROLLBACK');
    expect(outcome).to.be.instanceOf(DatabaseBusyError);
    const scim = toScimError(outcome);
    expect(scim.status).to.equal(503);
    expect(scim.message).to.match(/retry/);
    // The connection is usable afterwards and its own busy timeout is back.
    await batch.run(async () => insert('after'));
    expect(stores.db.pragma('busy_timeout', { simple: true })).to.equal(5000);
    expect(count()).to.equal(1);
  });

  it('rejects every queued write when the transaction cannot begin for another reason', async function () {
    const connection = new Database(file);
    const batch = new WriteBatcher(connection, new ConnectionGate());
    const writes = [batch.run(async () => 1), batch.run(async () => 2)];
    connection.close(); // before the turn ends: BEGIN fails with something other than a busy lock
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('when the group transaction is rolled back under it, no later write of the group commits on its own', async function () {
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    const tx = transactor(stores.db);
    const results = await Promise.allSettled([
      batch.run(async () => insert('before')),
      batch.run(async () => {
        insert('doomed');
        stores.db.exec('ROLLBACK'); // what SQLite does by itself on an I/O error or a full disk
        tx.run(() => insert('nested-after')); // must not BEGIN a transaction of its own
      }),
      batch.run(async () => insert('after')),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/group transaction was rolled back/);
    expect(count()).to.equal(0);
    expect(stores.db.inTransaction).to.equal(false);
    await batch.run(async () => insert('next group'));
    expect(count()).to.equal(1);
  });

  it('nests: a failing inner transaction undoes only itself; an outer failure undoes everything', function () {
    const tx = transactor(stores.db);
    tx.run(() => {
      insert('outer');
      expect(() =>
        tx.run(() => {
          insert('inner');
          throw new Error('inner fails');
        }),
      ).to.throw('inner fails');
      tx.run(() => insert('inner2'));
    });
    expect(stores.db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).to.deep.equal(['inner2', 'outer']);
    expect(() =>
      tx.run(() => {
        insert('x');
        tx.run(() => insert('y'));
        throw new Error('outer fails');
      }),
    ).to.throw('outer fails');
    expect(count()).to.equal(2);
    expect(stores.db.inTransaction).to.equal(false);
    expect(transactor(stores.db)).to.equal(tx); // one per connection
  });

  it('the checkpoint thread makes the WAL start over under sustained writes (RESTART, not the backstop)', async function () {
    const errors: Error[] = [];
    const checkpointer = startCheckpointer(stores.db, (err) => errors.push(err), { intervalMs: 5, restartFrames: 50 });
    const batch = new WriteBatcher(stores.db, new ConnectionGate());
    const walFrames = () => (stores.db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    let stats = await checkpointer.stats();
    for (let round = 0; stats.restarts === 0 && round < 400; round++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => batch.run(async () => insert(`r${round}-${i}`, round))));
      await sleep(2);
      stats = await checkpointer.stats();
    }
    await checkpointer.stop();
    expect(errors).to.deep.equal([]);
    expect(stats.errors).to.equal(0);
    expect(stats.restarts).to.be.greaterThan(0);
    await batch.run(async () => insert('after-restart'));
    expect(walFrames()).to.be.below(1000); // the WAL started over instead of growing to the backstop
  });
});
