// test/integration/store-contract/group-commit.test.ts: the group commit (`stores.batch`) behaves the same on SQLite
// and PostgreSQL: one commit per group, and each write's failure its own, however it fails (before changing anything,
// after changing rows, on a unique violation a neighbour caused), with the log gapless; a write's own savepoint
// (`atomically`, as a Bulk operation uses) isolates a failure inside it; `joinTransaction` is atomic on its own.
import { expect } from 'chai';
import { scanResources } from '../../../store';
import { UniqueViolationError } from '../../../store/errors';
import type { Doc } from '../../../store/resources';
import { describeEachStore } from '../../helpers/store-kinds';

const user = (userName: string): Doc => ({ userName, active: true });

describeEachStore('group commit', (ctx) => {
  let dir: string;
  beforeEach(async function () {
    dir = (await ctx.stores.directories.create({ name: 'batch', dialect: 'generic' })).directory.id;
  });
  const insert = (userName: string) => () => ctx.stores.resources.insert(dir, 'User', user(userName));
  const userNames = async () => {
    const names: string[] = [];
    for await (const r of scanResources(ctx.stores, dir, 'User')) names.push(String(r.doc.userName));
    return names.sort();
  };
  const logSeqs = async () => (await ctx.stores.events.list(dir)).map((e) => e.seq);
  /** Queues every write in one event-loop turn (one group) and settles each. */
  const group = (writes: (() => Promise<unknown>)[]) =>
    Promise.all(
      writes.map((w) =>
        ctx.stores.batch.run(w).then(
          () => 'ok',
          (err: Error) => err,
        ),
      ),
    );

  it('commits the writes queued in one turn once, each settling after the commit', async function () {
    const before = ctx.stores.batch.stats.commits;
    expect(await group(['a', 'b', 'c', 'd'].map(insert))).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
    expect(ctx.stores.batch.stats.commits - before).to.equal(1);
    expect(await userNames()).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(await logSeqs()).to.deep.equal([1, 2, 3, 4]);
  });

  it('rejects alone a write that hits a unique violation its neighbour caused; the others commit, the log gapless', async function () {
    const outcomes = await group([insert('a'), insert('b'), insert('A'), insert('c')]);
    expect(outcomes.slice(0, 2)).to.deep.equal(['ok', 'ok']);
    expect(outcomes[2]).to.be.instanceOf(UniqueViolationError);
    expect(outcomes[3]).to.equal('ok');
    expect(await userNames()).to.deep.equal(['a', 'b', 'c']);
    expect(await logSeqs()).to.deep.equal([1, 2, 3]);
  });

  it('undoes the rows of a write that fails after changing them, and keeps its neighbours', async function () {
    const failsAfterWriting = async () => {
      await ctx.stores.resources.insert(dir, 'User', user('undone'));
      throw new Error('after writing');
    };
    const outcomes = await group([insert('x'), failsAfterWriting, insert('z')]);
    expect(outcomes[0]).to.equal('ok');
    expect((outcomes[1] as Error).message).to.equal('after writing');
    expect(outcomes[2]).to.equal('ok');
    expect(await userNames()).to.deep.equal(['x', 'z']);
    expect(await logSeqs()).to.deep.equal([1, 2]);
  });

  it('rejects alone a write that fails before changing anything (a 404, a 412)', async function () {
    const failsFirst = async () => {
      await ctx.stores.resources.get(dir, 'User', 'no-such-id');
      throw new Error('not found');
    };
    const outcomes = await group([insert('p'), failsFirst, insert('q')]);
    expect(outcomes).to.deep.equal(['ok', outcomes[1], 'ok']);
    expect((outcomes[1] as Error).message).to.equal('not found');
    expect(await userNames()).to.deep.equal(['p', 'q']);
  });

  it("a write's own atomically isolates a failure inside it, as each Bulk operation does", async function () {
    const bulk = async () => {
      await ctx.stores.resources.insert(dir, 'User', user('m'));
      const inner = await ctx.stores
        .atomically(() => ctx.stores.resources.insert(dir, 'User', user('M')))
        .then(
          () => 'committed',
          (err: unknown) => err,
        );
      expect(inner).to.be.instanceOf(UniqueViolationError);
      await ctx.stores.resources.insert(dir, 'User', user('n'));
      return 'done';
    };
    expect(await group([insert('before'), bulk, insert('after')])).to.deep.equal(['ok', 'ok', 'ok']);
    expect(await userNames()).to.deep.equal(['after', 'before', 'm', 'n']);
    expect(await logSeqs()).to.deep.equal([1, 2, 3, 4]);
  });

  it('joinTransaction is one transaction of its own outside any, and commits with its caller inside one', async function () {
    const failed = await ctx.stores
      .joinTransaction(async () => {
        await ctx.stores.resources.insert(dir, 'User', user('gone'));
        throw new Error('rolled back');
      })
      .catch((err: Error) => err.message);
    expect(failed).to.equal('rolled back');
    await ctx.stores.atomically(async () => {
      await ctx.stores.joinTransaction(() => ctx.stores.resources.insert(dir, 'User', user('joined')));
      await ctx.stores.resources.insert(dir, 'User', user('caller'));
    });
    expect(await userNames()).to.deep.equal(['caller', 'joined']);
    expect(await logSeqs()).to.deep.equal([1, 2]);
  });
});
