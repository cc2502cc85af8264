// test/integration/store-contract/directories.test.ts: directories and their tokens and apps (secrets sealed, resealed
// at rotation), policies, held changes and drift behave the same on SQLite and PostgreSQL, concurrent writers included.
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Stores } from '../../../store';
import { createStores } from '../../../store';
import { openDatabase } from '../../../store/db';
import { openPgStores } from '../../../store/pg';
import type { Finding } from '../../../domain/reconcile/diff';
import { describeEachStore, TEST_SECRET_KEYS } from '../../helpers/store-kinds';

/** A second Stores over the test's database, with other secret keys (opening it reseals, as a process start does). */
async function reopen(
  stores: Stores,
  target: string,
  secretKeys: string,
): Promise<{ stores: Stores; close(): Promise<void> }> {
  if (stores.kind === 'postgres') {
    const pg = await openPgStores(target, { secretKeys });
    return { stores: pg, close: () => pg.close() };
  }
  const db = await openDatabase({ file: target, synchronous: 'NORMAL' });
  return { stores: createStores(db, secretKeys), close: async () => void db.close() };
}

/** Lets the millisecond clock move on, so rows written next sort after the ones before. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 3));

const newKey = () => crypto.randomBytes(32).toString('base64');

describeEachStore('directories, policies, held changes and drift', (ctx) => {
  const directory = async (name = 'dir') =>
    (await ctx.stores.directories.create({ name, dialect: 'generic' })).directory.id;
  const app = async (directoryId: string, name = 'crm', config: Record<string, unknown> = {}) =>
    (await ctx.stores.directories.addApp({ directoryId, name, type: 'local', config })).id;

  describe('directories', function () {
    it('creates a directory with a token that resolves to it; get finds it, an unknown id finds nothing', async function () {
      const { directory: created, token } = await ctx.stores.directories.create({ name: 'acme', dialect: 'entra' });
      expect(created).to.deep.include({ name: 'acme', dialect: 'entra', config: {} });
      expect(created.id).to.match(/^[0-9a-f-]{36}$/);
      expect(Date.parse(created.createdAt)).to.be.closeTo(Date.now(), 60_000);
      expect(token).to.match(/^sfdt_[A-Za-z0-9_-]{43}$/);
      expect(await ctx.stores.directories.get(created.id)).to.deep.equal(created);
      expect(await ctx.stores.directories.directoryForToken(token)).to.equal(created.id);
      expect(await ctx.stores.directories.get('no-such-directory')).to.equal(undefined);
    });

    it('keeps the config given at creation, replaces it and the dialect; unknown ids change nothing', async function () {
      const config = { nested: { list: [1, 'two', null], flag: true }, text: 'é 😀' };
      const { directory: created } = await ctx.stores.directories.create({ name: 'c', dialect: 'generic', config });
      expect((await ctx.stores.directories.get(created.id))!.config).to.deep.equal(config);
      await ctx.stores.directories.updateConfig(created.id, { groups: 'off' });
      await ctx.stores.directories.setDialect(created.id, 'okta');
      expect(await ctx.stores.directories.get(created.id)).to.deep.equal({
        ...created,
        dialect: 'okta',
        config: { groups: 'off' },
      });
      await ctx.stores.directories.updateConfig('missing', { x: 1 });
      await ctx.stores.directories.setDialect('missing', 'okta');
      expect(await ctx.stores.directories.list()).to.have.length(1);
    });

    it('lists directories in creation order (none at first)', async function () {
      expect(await ctx.stores.directories.list()).to.deep.equal([]);
      const ids: string[] = [];
      for (const name of ['zeta', 'alpha', 'mid']) {
        ids.push(await directory(name));
        await nextMillisecond();
      }
      const listed = await ctx.stores.directories.list();
      expect(listed.map((d) => d.id)).to.deep.equal(ids);
      expect(listed.map((d) => d.name)).to.deep.equal(['zeta', 'alpha', 'mid']);
    });

    it('resolves only tokens it issued, each to its own directory', async function () {
      const a = await ctx.stores.directories.create({ name: 'a', dialect: 'generic' });
      const b = await ctx.stores.directories.create({ name: 'b', dialect: 'generic' });
      expect(await ctx.stores.directories.directoryForToken(a.token)).to.equal(a.directory.id);
      expect(await ctx.stores.directories.directoryForToken(b.token)).to.equal(b.directory.id);
      expect(await ctx.stores.directories.directoryForToken('sfdt_unknown')).to.equal(undefined);
      expect(await ctx.stores.directories.directoryForToken('')).to.equal(undefined);
    });

    it('rotates without downtime; revokeOtherTokens keeps only the named token, once', async function () {
      const { directory: d, token: first } = await ctx.stores.directories.create({ name: 'r', dialect: 'generic' });
      const other = await ctx.stores.directories.create({ name: 'other', dialect: 'generic' });
      const second = await ctx.stores.directories.rotateToken(d.id);
      const third = await ctx.stores.directories.rotateToken(d.id);
      expect(new Set([first, second, third]).size).to.equal(3);
      for (const t of [first, second, third]) expect(await ctx.stores.directories.directoryForToken(t)).to.equal(d.id);
      expect(await ctx.stores.directories.revokeOtherTokens(d.id, second)).to.equal(2);
      expect(await ctx.stores.directories.directoryForToken(first)).to.equal(undefined);
      expect(await ctx.stores.directories.directoryForToken(third)).to.equal(undefined);
      expect(await ctx.stores.directories.directoryForToken(second)).to.equal(d.id);
      expect(await ctx.stores.directories.revokeOtherTokens(d.id, second)).to.equal(0);
      // Another directory's tokens are not touched.
      expect(await ctx.stores.directories.directoryForToken(other.token)).to.equal(other.directory.id);
    });

    it('rejects a token for a directory that does not exist', async function () {
      let failed = false;
      await ctx.stores.directories.rotateToken('no-such-directory').catch(() => (failed = true));
      expect(failed).to.equal(true);
    });

    it('revokeAllButNewest keeps the newest token, even one of the same millisecond, and is idempotent', async function () {
      const { directory: d, token: first } = await ctx.stores.directories.create({ name: 'n', dialect: 'generic' });
      const other = await ctx.stores.directories.create({ name: 'other', dialect: 'generic' });
      // Back to back: often the same created_at, so the tie-break (rowid / row_id) decides.
      const second = await ctx.stores.directories.rotateToken(d.id);
      const newest = await ctx.stores.directories.rotateToken(d.id);
      expect(await ctx.stores.directories.revokeAllButNewest(d.id)).to.equal(2);
      expect(await ctx.stores.directories.directoryForToken(newest)).to.equal(d.id);
      for (const t of [first, second]) expect(await ctx.stores.directories.directoryForToken(t)).to.equal(undefined);
      expect(await ctx.stores.directories.revokeAllButNewest(d.id)).to.equal(0);
      expect(await ctx.stores.directories.revokeAllButNewest('no-such-directory')).to.equal(0);
      expect(await ctx.stores.directories.directoryForToken(other.token)).to.equal(other.directory.id);
      // All revoked but a newer one: it is the newest now; the revoked ones stay revoked.
      expect(await ctx.stores.directories.revokeOtherTokens(d.id, 'not-a-token')).to.equal(1);
      expect(await ctx.stores.directories.revokeAllButNewest(d.id)).to.equal(0);
      const fresh = await ctx.stores.directories.rotateToken(d.id);
      expect(await ctx.stores.directories.revokeAllButNewest(d.id)).to.equal(0);
      expect(await ctx.stores.directories.directoryForToken(fresh)).to.equal(d.id);
    });

    it('two concurrent revokeAllButNewest revoke each old token once and keep the newest', async function () {
      const { directory: d } = await ctx.stores.directories.create({ name: 'c', dialect: 'generic' });
      for (let i = 0; i < 4; i++) await ctx.stores.directories.rotateToken(d.id);
      const newest = await ctx.stores.directories.rotateToken(d.id);
      const counts = await Promise.all([
        ctx.stores.directories.revokeAllButNewest(d.id),
        ctx.stores.directories.revokeAllButNewest(d.id),
      ]);
      expect(counts[0] + counts[1]).to.equal(5);
      expect(await ctx.stores.directories.directoryForToken(newest)).to.equal(d.id);
    });

    it('a token rotated while revokeAllButNewest runs stays valid', async function () {
      const { directory: d } = await ctx.stores.directories.create({ name: 'race', dialect: 'generic' });
      for (let round = 0; round < 5; round++) {
        const [, rotated] = await Promise.all([
          ctx.stores.directories.revokeAllButNewest(d.id),
          ctx.stores.directories.rotateToken(d.id),
        ]);
        expect(await ctx.stores.directories.directoryForToken(rotated), `round ${round}`).to.equal(d.id);
      }
    });
  });

  describe('apps', function () {
    it('adds apps, hands their secrets out plain, lists them in creation order per directory', async function () {
      const d = await directory();
      const other = await directory('other');
      const config = {
        url: 'https://crm.test/scim/v2',
        token: 'plain-bearer-token-123',
        oauth: { tokenUrl: 'https://crm.test/token', clientId: 'cid', clientSecret: 'plain-client-secret-456' },
        limits: { rps: 5 },
      };
      const crm = await ctx.stores.directories.addApp({ directoryId: d, name: 'crm', type: 'scim', config });
      expect(crm).to.deep.include({ directoryId: d, name: 'crm', type: 'scim', config });
      expect(await ctx.stores.directories.getApp(crm.id)).to.deep.equal(crm);
      await nextMillisecond();
      const wiki = await ctx.stores.directories.addApp({ directoryId: d, name: 'wiki', type: 'local', config: {} });
      await ctx.stores.directories.addApp({ directoryId: other, name: 'crm', type: 'local', config: {} });
      expect((await ctx.stores.directories.listApps(d)).map((a) => a.id)).to.deep.equal([crm.id, wiki.id]);
      expect((await ctx.stores.directories.listApps(d))[0]).to.deep.equal(crm);
      expect(await ctx.stores.directories.listApps('no-such-directory')).to.deep.equal([]);
      expect(await ctx.stores.directories.getApp('no-such-app')).to.equal(undefined);
    });

    it('refuses a second app of the same name in a directory, and an app of an unknown directory', async function () {
      const d = await directory();
      const first = await ctx.stores.directories.addApp({ directoryId: d, name: 'crm', type: 'local', config: {} });
      const refusals = await Promise.allSettled([
        ctx.stores.directories.addApp({ directoryId: d, name: 'crm', type: 'scim', config: { token: 't' } }),
        ctx.stores.directories.addApp({ directoryId: 'no-such-directory', name: 'x', type: 'local', config: {} }),
      ]);
      expect(refusals.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
      expect(await ctx.stores.directories.listApps(d)).to.deep.equal([first]);
    });

    it('two concurrent adds of one name: exactly one wins', async function () {
      const d = await directory();
      const results = await Promise.allSettled(
        [1, 2].map((i) =>
          ctx.stores.directories.addApp({ directoryId: d, name: 'same', type: 'local', config: { i } }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect(await ctx.stores.directories.listApps(d)).to.have.length(1);
    });

    it('replaces an app config (secrets sealed again) and removes apps; unknown ids change nothing', async function () {
      const d = await directory();
      const id = await app(d, 'crm', { token: 'one' });
      const keep = await app(d, 'keep');
      await ctx.stores.directories.updateAppConfig(id, { token: 'two', deprovision: 'delete' });
      expect((await ctx.stores.directories.getApp(id))!.config).to.deep.equal({ token: 'two', deprovision: 'delete' });
      await ctx.stores.directories.updateAppConfig('no-such-app', { token: 'x' });
      await ctx.stores.directories.removeApp(id);
      await ctx.stores.directories.removeApp(id);
      await ctx.stores.directories.removeApp('no-such-app');
      expect(await ctx.stores.directories.getApp(id)).to.equal(undefined);
      expect((await ctx.stores.directories.listApps(d)).map((a) => a.id)).to.deep.equal([keep]);
    });

    it('resealSecrets: nothing to do on an empty store or with the current key', async function () {
      expect(await ctx.stores.directories.resealSecrets()).to.equal(0);
      const d = await directory();
      await app(d, 'crm', { token: 'secret', webhook: { secret: 'whsec', previousSecret: 'old' } });
      await app(d, 'plain', { url: 'https://x.test' });
      expect(await ctx.stores.directories.resealSecrets()).to.equal(0);
    });

    it('resealSecrets: a new key first seals every older secret again, so the old key can be dropped', async function () {
      const d = await directory();
      const crmConfig = { token: 'crm-token', oauth: { clientId: 'c', clientSecret: 'crm-client-secret' } };
      const crm = await app(d, 'crm', crmConfig);
      const noSecret = await app(d, 'nosecret', { url: 'https://x.test' });
      const rotatedKey = newKey();
      const rotated = await reopen(ctx.stores, ctx.target, `${rotatedKey},${TEST_SECRET_KEYS}`);
      try {
        // Opening it resealed crm already; an app sealed afterwards with the old key is stale for it.
        expect(await rotated.stores.directories.resealSecrets()).to.equal(0);
        const late = await app(d, 'late', { set: { privateKey: 'pem-key' }, webhook: { secret: 'late-secret' } });
        expect(await rotated.stores.directories.resealSecrets()).to.equal(1);
        expect(await rotated.stores.directories.resealSecrets()).to.equal(0);
        const onlyNew = await reopen(ctx.stores, ctx.target, rotatedKey);
        try {
          expect((await onlyNew.stores.directories.getApp(crm))!.config).to.deep.equal(crmConfig);
          expect((await onlyNew.stores.directories.getApp(late))!.config).to.deep.equal({
            set: { privateKey: 'pem-key' },
            webhook: { secret: 'late-secret' },
          });
          expect((await onlyNew.stores.directories.getApp(noSecret))!.config).to.deep.equal({ url: 'https://x.test' });
          // The old key alone no longer opens them.
          let refused: Error | undefined;
          await ctx.stores.directories.getApp(crm).catch((err: Error) => (refused = err));
          expect(refused?.message).to.match(/sealed with key \w+, which is not among/);
        } finally {
          await onlyNew.close();
        }
      } finally {
        await rotated.close();
      }
    });

    it('resealSecrets: two processes starting at once with a new key leave every secret readable by it', async function () {
      const d = await directory();
      const ids = await Promise.all([1, 2, 3].map((i) => app(d, `app${i}`, { token: `token-${i}` })));
      const rotatedKey = newKey();
      const both = await Promise.all(
        [1, 2].map(() => reopen(ctx.stores, ctx.target, `${rotatedKey},${TEST_SECRET_KEYS}`)),
      );
      await Promise.all(both.map((o) => o.close()));
      const onlyNew = await reopen(ctx.stores, ctx.target, rotatedKey);
      try {
        expect(await onlyNew.stores.directories.resealSecrets()).to.equal(0);
        for (const [i, id] of ids.entries())
          expect((await onlyNew.stores.directories.getApp(id))!.config).to.deep.equal({ token: `token-${i + 1}` });
      } finally {
        await onlyNew.close();
      }
    });
  });

  describe('policies', function () {
    it('numbers versions per directory from 1; latest and history follow', async function () {
      const d = await directory();
      const other = await directory('other');
      expect(await ctx.stores.policies.latest(d)).to.equal(undefined);
      expect(await ctx.stores.policies.history(d)).to.deep.equal([]);
      const v1 = { baseline: 'all', rules: [] };
      const v2 = {
        baseline: 'none',
        rules: [{ when: { group: 'eng' }, grant: [{ app: 'crm', entitlements: ['a'] }] }],
      };
      expect(await ctx.stores.policies.put(d, v1)).to.equal(1);
      expect(await ctx.stores.policies.put(d, v2)).to.equal(2);
      expect(await ctx.stores.policies.put(other, v1)).to.equal(1);
      expect(await ctx.stores.policies.latest(d)).to.deep.equal({ version: 2, policy: v2 });
      expect(await ctx.stores.policies.latest(other)).to.deep.equal({ version: 1, policy: v1 });
      const history = await ctx.stores.policies.history(d);
      expect(history.map((h) => h.version)).to.deep.equal([1, 2]);
      for (const h of history) expect(h.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('stores any JSON value as given', async function () {
      const d = await directory();
      for (const policy of [null, 'text', 42, [1, { a: 'é' }]]) {
        const version = await ctx.stores.policies.put(d, policy);
        expect(await ctx.stores.policies.latest(d)).to.deep.equal({ version, policy });
      }
    });

    it('concurrent puts for one directory each get their own version', async function () {
      const d = await directory();
      const versions = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ctx.stores.policies.put(d, { baseline: 'all', rules: [], i })),
      );
      expect([...versions].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await ctx.stores.policies.history(d)).map((h) => h.version)).to.deep.equal(
        versions.sort((a, b) => a - b),
      );
      const latest = (await ctx.stores.policies.latest(d))!;
      expect(latest.version).to.equal(10);
    });

    it('a put rolled back with its transaction leaves no version behind', async function () {
      const d = await directory();
      await ctx.stores.policies.put(d, { v: 1 });
      await ctx.stores
        .atomically(async () => {
          expect(await ctx.stores.policies.put(d, { v: 'lost' })).to.equal(2);
          throw new Error('rolled back on purpose');
        })
        .catch(() => undefined);
      expect(await ctx.stores.policies.put(d, { v: 2 })).to.equal(2);
      expect(await ctx.stores.policies.latest(d)).to.deep.equal({ version: 2, policy: { v: 2 } });
    });
  });

  describe('held changes', function () {
    const change = (directoryId: string, reason = 'too many') => ({
      directoryId,
      appId: 'app-1',
      kind: 'reconcile-orphans' as const,
      reason,
      affected: 12,
      payload: { disable: ['a', 'b'], n: 2 },
    });

    it('holds a change and returns it as stored; get of an unknown id finds nothing', async function () {
      const d = await directory();
      const held = await ctx.stores.held.hold(change(d));
      expect(held).to.deep.include({ ...change(d), approvedAt: null });
      expect(held.id).to.match(/^[0-9a-f-]{36}$/);
      expect(held.heldAt).to.match(/Z$/);
      expect(await ctx.stores.held.get(held.id)).to.deep.equal(held);
      expect(await ctx.stores.held.get('no-such-change')).to.equal(undefined);
      const noPayload = await ctx.stores.held.hold({ ...change(d), kind: 'policy', payload: undefined });
      expect(noPayload.payload).to.equal(null);
    });

    it('lists pending changes of a directory oldest first; an approval is used once', async function () {
      const d = await directory();
      const other = await directory('other');
      const first = await ctx.stores.held.hold(change(d, 'first'));
      await nextMillisecond();
      const second = await ctx.stores.held.hold(change(d, 'second'));
      await nextMillisecond();
      const third = await ctx.stores.held.hold(change(d, 'third'));
      await ctx.stores.held.hold(change(other));
      expect((await ctx.stores.held.pending(d)).map((h) => h.id)).to.deep.equal([first.id, second.id, third.id]);
      expect(await ctx.stores.held.approve(second.id)).to.equal(true);
      expect(await ctx.stores.held.approve(second.id)).to.equal(false);
      expect(await ctx.stores.held.approve('no-such-change')).to.equal(false);
      expect((await ctx.stores.held.pending(d)).map((h) => h.reason)).to.deep.equal(['first', 'third']);
      expect((await ctx.stores.held.get(second.id))!.approvedAt).to.match(/Z$/);
      expect(await ctx.stores.held.pending('no-such-directory')).to.deep.equal([]);
    });

    it('of concurrent approvals of one change exactly one succeeds', async function () {
      const d = await directory();
      const held = await ctx.stores.held.hold(change(d));
      const results = await Promise.all(Array.from({ length: 5 }, () => ctx.stores.held.approve(held.id)));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await ctx.stores.held.pending(d)).to.deep.equal([]);
    });
  });

  describe('drift', function () {
    const finding = (over: Partial<Finding>): Finding => ({
      kind: 'orphans',
      userName: 'someone',
      remoteId: 'r-1',
      action: 'reported',
      ...over,
    });

    it('runs: finished, non-dry runs of a directory, newest first, limited, with their summaries', async function () {
      const d = await directory();
      const other = await directory('other');
      const crm = await app(d);
      const wiki = await app(d, 'wiki');
      expect(await ctx.stores.drift.runs(d)).to.deep.equal([]);
      for (const [id, appId, dryRun, finish] of [
        ['r1', crm, false, true],
        ['r2', wiki, false, true],
        ['dry', crm, true, true],
        ['open', crm, false, false],
        ['r3', crm, false, true],
      ] as const) {
        await ctx.stores.drift.startRun({ id, directoryId: d, appId, dryRun });
        if (finish) await ctx.stores.drift.finishRun(id, { id, counts: { orphans: 1 } });
        await nextMillisecond();
      }
      await ctx.stores.drift.startRun({ id: 'elsewhere', directoryId: other, appId: crm, dryRun: false });
      await ctx.stores.drift.finishRun('elsewhere', {});
      const runs = await ctx.stores.drift.runs(d);
      expect(runs.map((r) => [r.id, r.appId])).to.deep.equal([
        ['r3', crm],
        ['r2', wiki],
        ['r1', crm],
      ]);
      expect(runs[0]!.summary).to.deep.equal({ id: 'r3', counts: { orphans: 1 } });
      expect(runs[0]!.startedAt).to.match(/Z$/);
      expect((await ctx.stores.drift.runs(d, 2)).map((r) => r.id)).to.deep.equal(['r3', 'r2']);
      expect(await ctx.stores.drift.runs(d, 0)).to.deep.equal([]);
      expect((await ctx.stores.drift.runs(d, -1)).map((r) => r.id)).to.deep.equal(['r3', 'r2', 'r1']);
      await ctx.stores.drift.finishRun('no-such-run', {});
    });

    it('refuses a second run with the same id', async function () {
      const d = await directory();
      await ctx.stores.drift.startRun({ id: 'r', directoryId: d, appId: 'a', dryRun: false });
      let failed = false;
      await ctx.stores.drift
        .startRun({ id: 'r', directoryId: d, appId: 'a', dryRun: true })
        .catch(() => (failed = true));
      expect(failed).to.equal(true);
    });

    it("latest: the findings of each app's latest finished real run, newest first, in recorded order", async function () {
      const d = await directory();
      const crm = await app(d);
      const wiki = await app(d, 'wiki');
      const run = (id: string, appId: string) => ({ id, directoryId: d, appId });
      expect(await ctx.stores.drift.latest(d)).to.deep.equal([]);

      await ctx.stores.drift.startRun({ ...run('old', crm), dryRun: false });
      await ctx.stores.drift.record(run('old', crm), [finding({ userName: 'stale' })]);
      await ctx.stores.drift.finishRun('old', {});
      await nextMillisecond();
      await ctx.stores.drift.startRun({ ...run('wiki1', wiki), dryRun: false });
      await ctx.stores.drift.record(run('wiki1', wiki), [finding({ userName: 'w', kind: 'missingAccounts' })]);
      await ctx.stores.drift.finishRun('wiki1', {});
      await nextMillisecond();
      await ctx.stores.drift.startRun({ ...run('new', crm), dryRun: false });
      const recorded: Finding[] = [
        finding({ userName: 'zed', remoteId: 'r-9', identityId: 'id-9', action: 'disabled' }),
        finding({
          userName: 'amy',
          remoteId: 'r-1',
          kind: 'entitlementsAddedByHand',
          identityId: 'id-1',
          action: 'revoked',
          entitlements: ['admin', 'ops'],
        }),
        finding({ userName: 'bob', remoteId: null, kind: 'attributesChanged', attributes: ['displayName'] }),
      ];
      await ctx.stores.drift.record(run('new', crm), recorded);
      await ctx.stores.drift.record(run('new', crm), []);
      await ctx.stores.drift.finishRun('new', {});
      await nextMillisecond();
      // A newer dry run and an unfinished run do not replace the latest real run.
      await ctx.stores.drift.startRun({ ...run('dry', crm), dryRun: true });
      await ctx.stores.drift.record(run('dry', crm), [finding({ userName: 'dry' })]);
      await ctx.stores.drift.finishRun('dry', {});
      await ctx.stores.drift.startRun({ ...run('open', wiki), dryRun: false });
      await ctx.stores.drift.record(run('open', wiki), [finding({ userName: 'open' })]);

      const now = Date.now() + 90_000;
      const latest = await ctx.stores.drift.latest(d, now);
      expect(latest.map((f) => [f.runId, f.userName])).to.deep.equal([
        ['new', 'zed'],
        ['new', 'amy'],
        ['new', 'bob'],
        ['wiki1', 'w'],
      ]);
      const [zed, amy, bob] = latest;
      expect(zed).to.deep.equal({
        runId: 'new',
        appId: crm,
        kind: 'orphans',
        userName: 'zed',
        remoteId: 'r-9',
        identityId: 'id-9',
        action: 'disabled',
        foundAt: zed!.foundAt,
        ageSeconds: Math.round((now - Date.parse(zed!.foundAt)) / 1000),
      });
      expect(zed!.ageSeconds).to.be.within(89, 120);
      expect(amy).to.deep.include({
        entitlements: ['admin', 'ops'],
        identityId: 'id-1',
        kind: 'entitlementsAddedByHand',
      });
      expect(bob).to.deep.include({ remoteId: null, attributes: ['displayName'] });
      expect(bob).not.to.have.property('identityId');
      expect(bob).not.to.have.property('entitlements');
      // Ages never go below zero.
      expect((await ctx.stores.drift.latest(d, 0)).every((f) => f.ageSeconds === 0)).to.equal(true);
      expect(await ctx.stores.drift.latest('no-such-directory')).to.deep.equal([]);
    });

    it('records a large scan in order', async function () {
      const d = await directory();
      const crm = await app(d);
      const run = { id: 'big', directoryId: d, appId: crm };
      await ctx.stores.drift.startRun({ ...run, dryRun: false });
      const many = Array.from({ length: 2000 }, (_, i) => finding({ userName: `u${i}`, remoteId: `r${i}` }));
      await ctx.stores.drift.record(run, many);
      await ctx.stores.drift.finishRun('big', {});
      const latest = await ctx.stores.drift.latest(d);
      expect(latest.map((f) => f.userName)).to.deep.equal(many.map((f) => f.userName));
    });

    it("appliedByRemoteIds, recordedAccounts and recordedEntitlements read the app's applied records", async function () {
      const d = await directory();
      const crm = await app(d);
      const wiki = await app(d, 'wiki');
      const save = (identityId: string, appId: string, change: Parameters<Stores['applied']['save']>[3]) =>
        ctx.stores.applied.save(d, identityId, appId, change);
      await save('i-b', crm, { remoteId: 'r-b', state: 'active', entitlements: ['b', 'a'] });
      await save('i-a', crm, { remoteId: 'r-a', state: 'disabled', entitlements: ['a', 'c'] });
      await save('i-shared', crm, { remoteId: 'r-a', state: 'deleted', entitlements: ['old'] });
      await save('i-pending', crm, { remoteId: 'r-p', state: 'pending', entitlements: [] });
      await save('i-none', crm, { remoteId: null, state: 'active', entitlements: ['Zed', 'é'] });
      await save('i-wiki', wiki, { remoteId: 'r-b', state: 'active', entitlements: ['wiki-only'] });

      expect(await ctx.stores.drift.appliedByRemoteIds(crm, [])).to.deep.equal([]);
      expect(await ctx.stores.drift.appliedByRemoteIds(crm, ['r-b', 'r-a', 'r-missing'])).to.deep.equal([
        { identityId: 'i-a', remoteId: 'r-a' },
        { identityId: 'i-shared', remoteId: 'r-a' },
        { identityId: 'i-b', remoteId: 'r-b' },
      ]);
      expect(await ctx.stores.drift.appliedByRemoteIds(wiki, ['r-b'])).to.deep.equal([
        { identityId: 'i-wiki', remoteId: 'r-b' },
      ]);

      expect(await ctx.stores.drift.recordedAccounts(crm)).to.deep.equal([
        { identityId: 'i-a', remoteId: 'r-a' },
        { identityId: 'i-b', remoteId: 'r-b' },
      ]);
      expect(await ctx.stores.drift.recordedAccounts('no-such-app')).to.deep.equal([]);

      expect((await ctx.stores.drift.recordedEntitlements(crm)).sort()).to.deep.equal(
        ['Zed', 'a', 'b', 'c', 'old', 'é'].sort(),
      );
      expect(await ctx.stores.drift.recordedEntitlements(wiki)).to.deep.equal(['wiki-only']);
      expect(await ctx.stores.drift.recordedEntitlements('no-such-app')).to.deep.equal([]);
    });

    it('userByExternalId finds live users of the directory only', async function () {
      const d = await directory();
      const other = await directory('other');
      const user = async (directoryId: string, userName: string, externalId?: string) =>
        (await ctx.stores.resources.insert(directoryId, 'User', { userName, active: true, externalId })).resource;
      const ann = await user(d, 'ann', 'ext-1');
      const gone = await user(d, 'gone', 'ext-2');
      await ctx.stores.resources.remove(gone);
      await user(d, 'noext');
      await user(other, 'elsewhere', 'ext-1');
      expect(await ctx.stores.drift.userByExternalId(d, 'ext-1')).to.deep.equal([ann.id]);
      expect(await ctx.stores.drift.userByExternalId(d, 'ext-2')).to.deep.equal([]);
      expect(await ctx.stores.drift.userByExternalId(d, 'EXT-1')).to.deep.equal([]);
      const twin = await user(d, 'twin', 'ext-1');
      expect((await ctx.stores.drift.userByExternalId(d, 'ext-1')).sort()).to.deep.equal([ann.id, twin.id].sort());
    });
  });
});
