// test/integration/db-copy.test.ts: `scimflow db copy --to postgres://…` moves a SQLite store into PostgreSQL: the
// same resources, versions, memberships, log, tokens and sealed credentials; a second copy into it is refused.
import path from 'node:path';
import { expect } from 'chai';
import { directoryContext } from '../../api/directory-context';
import { ResourceService } from '../../api/resource-service';
import { auditRecords } from '../../store';
import type { Stores } from '../../store';
import { openPgStores } from '../../store/pg';
import { runCli, runCliJson } from '../helpers/cli';
import { createTestDatabase, openStores, TEST_SECRET_KEYS } from '../helpers/store-kinds';
import type { OpenStores } from '../helpers/store-kinds';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** What a store says about a directory, read through the public interface only. */
async function snapshot(stores: Stores, directoryId: string) {
  const users = await stores.resources.page(directoryId, 'User', 0, 1000);
  const groups = await stores.resources.page(directoryId, 'Group', 0, 1000);
  const audit = [];
  for await (const a of auditRecords(stores, directoryId)) audit.push(a);
  return {
    users: users.map((u) => ({ id: u.id, doc: u.doc, version: u.version, groups: u.groupIds, active: u.active })),
    groups: await Promise.all(
      groups.map(async (g) => ({ id: g.id, doc: g.doc, members: await stores.members.memberIds(directoryId, g.id) })),
    ),
    events: (await stores.events.list(directoryId, { limit: 1000 })).map((e) => ({ ...e, detail: e.detail })),
    apps: await stores.directories.listApps(directoryId),
    audit,
  };
}

describe('scimflow db copy --to postgres:// (issue 14)', function () {
  this.timeout(120_000);
  let source: OpenStores;
  let directoryId: string;
  let token: string;

  before(async function () {
    source = await openStores('sqlite');
    const { stores } = source;
    const created = await stores.directories.create({ name: 'copied', dialect: 'generic' });
    directoryId = created.directory.id;
    token = created.token;
    const service = new ResourceService(stores, () => undefined);
    const dctx = directoryContext(created.directory, 'http://scim.test');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(
        (
          await service.record(
            () => service.create(dctx, 'User', { schemas: [USER], userName: `u${i}@copy.test`, active: i % 5 !== 0 }),
            (r) => r.events,
          )
        ).resource.id,
      );
    await service.record(
      () =>
        service.create(dctx, 'Group', {
          schemas: [GROUP],
          displayName: 'Engineering',
          members: ids.slice(0, 10).map((value) => ({ value })),
        }),
      (r) => r.events,
    );
    await service.record(
      () => service.remove(dctx, 'User', ids[29]!),
      (events) => events,
    );
    await stores.directories.addApp({
      directoryId,
      name: 'vault',
      type: 'scim',
      config: { baseUrl: 'https://vault.example/scim/v2', token: 'sealed-at-rest' },
    });
    await stores.applied.audit({ directoryId, identityId: ids[0]!, action: 'account.created', detail: { n: 1 } });
  });

  after(async function () {
    await source.close();
  });

  it('copies every row; the PostgreSQL store then answers what the SQLite store answered', async function () {
    const url = await createTestDatabase();
    const report = await runCliJson<{ to: string; tables: Record<string, number> }>(['db', 'copy', '--to', url], {
      SQLITE_FILE: source.target,
      DATA_DIR: path.dirname(source.target),
      SCIMFLOW_SECRET_KEYS: TEST_SECRET_KEYS,
    });
    expect(report.tables.resources).to.equal(31);
    expect(report.tables.events).to.be.greaterThan(31);
    const target = await openPgStores(url, { secretKeys: TEST_SECRET_KEYS });
    try {
      expect(await snapshot(target, directoryId)).to.deep.equal(await snapshot(source.stores, directoryId));
      expect(await target.directories.directoryForToken(token), 'the bearer token still works').to.equal(directoryId);
      const [app] = await target.directories.listApps(directoryId);
      expect(app!.config.token, 'the sealed credential opens with the same keys').to.equal('sealed-at-rest');
      // The log goes on from where it was: the next change gets the next sequence, not 1.
      const before = await source.stores.events.latestSeq(directoryId);
      expect(await target.events.latestSeq(directoryId)).to.equal(before);
      const appended = await target.atomically(() =>
        target.events.append(
          directoryId,
          [{ identityId: 'x', resourceType: 'User', kind: 'updated' }],
          new Date().toISOString(),
        ),
      );
      expect(appended[0]!.seq).to.equal(before + 1);

      // A second copy into a database that holds data is refused, and leaves it as it was.
      const again = await runCli(['db', 'copy', '--to', url], {
        SQLITE_FILE: source.target,
        SCIMFLOW_SECRET_KEYS: TEST_SECRET_KEYS,
      });
      expect(again.code).to.not.equal(0);
      expect(again.stderr).to.match(/already holds data/);
      expect(await target.events.latestSeq(directoryId)).to.equal(before + 1);
    } finally {
      await target.close();
    }
  });

  it('refuses a target that is not a PostgreSQL URL, and a missing source', async function () {
    const wrong = await runCli(['db', 'copy', '--to', 'mysql://u:secret@db/x'], { SQLITE_FILE: source.target });
    expect(wrong.code).to.not.equal(0);
    expect(wrong.stderr).to.include('expected a postgres:// or postgresql:// URL');
    expect(wrong.stderr).to.not.include('secret');
    const missing = await runCli(['db', 'copy', '--to', 'postgres://u@127.0.0.1:1/x'], {
      SQLITE_FILE: '/nonexistent/scimflow.sqlite',
    });
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.include('no SQLite store at /nonexistent/scimflow.sqlite');
  });
});
