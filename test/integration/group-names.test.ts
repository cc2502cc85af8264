// test/integration/group-names.test.ts: the cached group names never outlive a rename, a deletion or a rollback.
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { directoryContext } from '../../api/directory-context';
import type { DirectoryContext } from '../../api/directory-context';
import { renderResourceJson } from '../../api/render';
import { ResourceService } from '../../api/resource-service';
import { URN } from '../../domain/scim/schemas/urns';
import { createStores } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';
import { FOREIGN_WRITE_CHECK_MS, GroupNames } from '../../store/group-names';

describe('group names cache', function () {
  let dir: string;
  let file: string;
  let stores: Stores;
  let service: ResourceService;
  let dctx: DirectoryContext;
  let userId: string;
  let groupId: string;

  beforeEach(async function () {
    ({ dir, file, stores } = await openTempStores('scimflow-group-names-'));
    service = new ResourceService(stores, () => undefined);
    dctx = directoryContext(
      (await stores.directories.create({ name: 'names', dialect: 'generic' })).directory,
      'http://x',
    );
    userId = (await service.create(dctx, 'User', { schemas: [URN.User], userName: 'n@x.test' })).resource.id;
    groupId = (
      await service.create(dctx, 'Group', {
        schemas: [URN.Group],
        displayName: 'Before',
        members: [{ value: userId }],
      })
    ).resource.id;
  });

  afterEach(function () {
    removeTempStores({ dir, stores });
  });

  const shownGroups = async () =>
    (
      JSON.parse(await renderResourceJson(stores, dctx, await service.get(dctx, 'User', userId))) as {
        groups?: { display: string }[];
      }
    ).groups?.map((g) => g.display) ?? [];
  const rename = (displayName: string) =>
    service.patch(dctx, 'Group', groupId, {
      schemas: [URN.PatchOp],
      Operations: [{ op: 'replace', path: 'displayName', value: displayName }],
    });

  it('shows a rename and a deletion made through this process at once', async function () {
    expect(await shownGroups()).to.deep.equal(['Before']); // now cached
    await rename('After');
    expect(await shownGroups()).to.deep.equal(['After']);
    await service.remove(dctx, 'Group', groupId);
    expect(await shownGroups()).to.deep.equal([]);
  });

  it('shares one cache among all stores over one connection', async function () {
    const second = createStores(stores.db);
    const user = async () => (await second.resources.get(dctx.directory.id, 'User', userId))!;
    expect(JSON.parse(await renderResourceJson(second, dctx, await user())).groups[0].display).to.equal('Before');
    await rename('Through the first');
    expect(JSON.parse(await renderResourceJson(second, dctx, await user())).groups[0].display).to.equal(
      'Through the first',
    );
  });

  it('never keeps a name read inside a write transaction that is then rolled back', async function () {
    expect(await shownGroups()).to.deep.equal(['Before']);
    stores.db.exec('BEGIN IMMEDIATE');
    await rename('Uncommitted');
    expect(await shownGroups()).to.deep.equal(['Uncommitted']); // this connection sees its own open transaction
    stores.db.exec('ROLLBACK');
    expect(await shownGroups()).to.deep.equal(['Before']);
  });

  it('drops everything when another connection commits, within the check interval', function () {
    let clock = 0;
    const names = new GroupNames(stores.db, () => clock);
    expect(names.get(dctx.directory.id, groupId)?.display).to.equal('Before');
    const other = new Database(file);
    try {
      const doc = JSON.stringify({ schemas: [URN.Group], displayName: 'Elsewhere' });
      other.prepare('UPDATE resources SET doc = ? WHERE id = ?').run(doc, groupId);
    } finally {
      other.close();
    }
    clock += FOREIGN_WRITE_CHECK_MS / 2;
    expect(names.get(dctx.directory.id, groupId)?.display).to.equal('Before'); // bounded staleness
    clock += FOREIGN_WRITE_CHECK_MS;
    expect(names.get(dctx.directory.id, groupId)?.display).to.equal('Elsewhere');
  });
});
