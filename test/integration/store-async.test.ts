// test/integration/store-async.test.ts: the asynchronous store over one SQLite connection: a transaction that awaits
// between its statements owns the connection; other callers wait for it and never join it.
import { expect } from 'chai';
import type { SqliteStores as Stores } from '../../store';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';

describe('store: asynchronous transactions on one SQLite connection', function () {
  let dir: string;
  let stores: Stores;
  let directoryId: string;

  beforeEach(async function () {
    ({ dir, stores } = await openTempStores('scimflow-async-'));
    directoryId = (await stores.directories.create({ name: 'async', dialect: 'generic' })).directory.id;
  });

  afterEach(function () {
    removeTempStores({ dir, stores });
  });

  const user = (userName: string) => ({ userName, active: true });
  const userNames = async () =>
    (await stores.resources.page(directoryId, 'User', 0, 100)).map((r) => r.doc.userName).sort();
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it("a write from elsewhere waits for an open transaction and survives that transaction's rollback", async function () {
    const order: string[] = [];
    const failing = stores
      .atomically(async () => {
        await stores.resources.insert(directoryId, 'User', user('inside'));
        order.push('inside written');
        await turns(5); // the transaction awaits between statements: other callers get turns meanwhile
        order.push('inside fails');
        throw new Error('rolled back on purpose');
      })
      .catch((err: Error) => err.message);
    await turns(1);
    const outside = stores.resources.insert(directoryId, 'User', user('outside')).then(() => {
      order.push('outside written');
    });
    expect(await failing).to.equal('rolled back on purpose');
    await outside;
    expect(order).to.deep.equal(['inside written', 'inside fails', 'outside written']);
    expect(await userNames()).to.deep.equal(['outside']);
  });

  it('runs concurrent transactions one after the other, each committing all of its writes', async function () {
    const writers = ['a', 'b', 'c'].map((p) =>
      stores.atomically(async () => {
        for (let i = 0; i < 3; i++) {
          await stores.resources.insert(directoryId, 'User', user(`${p}${i}`));
          await turns(1);
        }
        return (await stores.events.latestSeq(directoryId)) % 3;
      }),
    );
    // Each transaction's three events are consecutive: nobody else appended between them.
    expect(await Promise.all(writers)).to.deep.equal([0, 0, 0]);
    const log = await stores.events.list(directoryId, { limit: 100 });
    const prefixes = log.map((e) => e.seq);
    expect(prefixes).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await userNames()).to.have.length(9);
  });

  it('nests as a savepoint: an inner failure undoes only its own writes', async function () {
    await stores.atomically(async () => {
      await stores.resources.insert(directoryId, 'User', user('kept'));
      const inner = await stores
        .atomically(async () => {
          await stores.resources.insert(directoryId, 'User', user('undone'));
          throw new Error('inner');
        })
        .catch((err: Error) => err.message);
      expect(inner).to.equal('inner');
    });
    expect(await userNames()).to.deep.equal(['kept']);
  });

  it('turns a store error into a rejection, not a synchronous throw', async function () {
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = stores.resources.insert('no-such-directory', 'User', user('x'));
    }).not.to.throw();
    await expect(pending).to.be.rejectedWith(/does not exist/);
  });

  it('group commit and a transaction share the connection without meeting inside one another', async function () {
    const batched = Array.from({ length: 20 }, (_, i) =>
      stores.batch.run(async () => {
        const written = await stores.resources.insert(directoryId, 'User', user(`batch${i}`));
        await turns(1);
        return written.events[0]!.seq;
      }),
    );
    const transaction = stores.atomically(async () => {
      const first = await stores.resources.insert(directoryId, 'User', user('tx'));
      await turns(3);
      const second = await stores.resources.insert(directoryId, 'User', user('tx2'));
      return [first.events[0]!.seq, second.events[0]!.seq];
    });
    const seqs = [...(await Promise.all(batched)), ...(await transaction)];
    expect([...seqs].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(await userNames()).to.have.length(22);
  });
});
