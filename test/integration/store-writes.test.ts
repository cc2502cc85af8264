// test/integration/store-writes.test.ts: indexed columns follow every write; WAL checkpoints run on a worker thread.
import fs from 'node:fs';
import { expect } from 'chai';
import { directoryContext } from '../../api/directory-context';
import type { DirectoryContext } from '../../api/directory-context';
import { ResourceService } from '../../api/resource-service';
import { URN } from '../../domain/scim/schemas/urns';
import { createStores } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { BACKSTOP_PAGES, startCheckpointer } from '../../store/checkpointer';
import { openDatabase } from '../../store/db';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';

describe('store writes', function () {
  let dir: string;
  let file: string;
  let stores: Stores;
  let service: ResourceService;
  let dctx: DirectoryContext;

  beforeEach(async function () {
    ({ dir, file, stores } = await openTempStores('scimflow-writes-'));
    service = new ResourceService(stores, () => undefined);
    const { directory } = await stores.directories.create({ name: 'writes', dialect: 'generic' });
    dctx = directoryContext(directory, 'http://scim.test');
  });

  afterEach(function () {
    removeTempStores({ dir, stores });
  });

  const ids = async (attribute: 'userName' | 'externalId' | 'displayName', value: string) =>
    (await stores.resources.findBy(dctx.directory.id, 'User', attribute, value)).map((r) => r.id);

  it('opens the file in WAL mode with the configured read map and page cache', async function () {
    expect(stores.db.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(stores.db.pragma('mmap_size', { simple: true })).to.equal(1024 * 1024 * 1024);
    expect(stores.db.pragma('cache_size', { simple: true })).to.equal(-2048);
    const other = await openDatabase({ file, synchronous: 'FULL', mmapMb: 0, cacheMb: 64 });
    try {
      expect(other.pragma('mmap_size', { simple: true })).to.equal(0);
      expect(other.pragma('cache_size', { simple: true })).to.equal(-65536);
      expect(other.pragma('synchronous', { simple: true })).to.equal(2);
    } finally {
      other.close();
    }
  });

  it('keeps every index in step when a write changes some indexed attributes and leaves others alone', async function () {
    const { resource } = await service.create(dctx, 'User', {
      schemas: [URN.User],
      userName: 'Ada@x.example',
      externalId: 'ext-1',
      displayName: 'Ada',
    });
    const patch = (ops: unknown[]) =>
      service.patch(dctx, 'User', resource.id, { schemas: [URN.PatchOp], Operations: ops });

    await patch([{ op: 'replace', path: 'displayName', value: 'Ada L.' }]);
    expect(await ids('displayName', 'ada l.')).to.deep.equal([resource.id]);
    expect(await ids('displayName', 'Ada')).to.deep.equal([]);
    expect(await ids('userName', 'ada@x.example')).to.deep.equal([resource.id]);
    expect(await ids('externalId', 'ext-1')).to.deep.equal([resource.id]);

    await patch([{ op: 'replace', path: 'userName', value: 'ada.l@x.example' }]);
    expect(await ids('userName', 'ADA.L@X.EXAMPLE')).to.deep.equal([resource.id]);
    expect(await ids('userName', 'ada@x.example')).to.deep.equal([]);
    expect(await ids('displayName', 'ada l.')).to.deep.equal([resource.id]);

    // The old userName is free again (unique index entry really replaced), and a PUT that drops externalId clears it.
    await service.create(dctx, 'User', { schemas: [URN.User], userName: 'ada@x.example' });
    await service.replace(dctx, 'User', resource.id, { schemas: [URN.User], userName: 'ada.l@x.example' });
    expect(await ids('externalId', 'ext-1')).to.deep.equal([]);
    expect(await ids('displayName', 'ada l.')).to.deep.equal([]);
    expect(await ids('userName', 'ada.l@x.example')).to.deep.equal([resource.id]);
    await expect(patch([{ op: 'replace', path: 'userName', value: 'ADA@x.example' }])).to.be.rejectedWith(
      /already taken/,
    );
  });

  it('reports a checkpoint thread that cannot start, and still stops (restoring SQLite’s own checkpoints)', async function () {
    // The open connection keeps working after its directory moves; the thread's new connection cannot find the file.
    const moved = `${dir}-moved`;
    fs.renameSync(dir, moved);
    try {
      const errors: Error[] = [];
      const checkpointer = startCheckpointer(stores.db, (err) => errors.push(err), { intervalMs: 5 });
      for (let waited = 0; errors.length === 0 && waited < 5_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors[0]?.message).to.match(/Cannot open database because the directory does not exist/);
      expect(await checkpointer.stats()).to.include({ errors: 1, lastError: 'thread stopped' });
      await checkpointer.stop();
      expect(stores.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(1000);
    } finally {
      fs.renameSync(moved, dir);
    }
  });

  it('checkpoints the WAL from a worker thread and restores the connection default when stopped', async function () {
    const errors: Error[] = [];
    const checkpointer = startCheckpointer(stores.db, (err) => errors.push(err), { intervalMs: 5 });
    expect(stores.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(BACKSTOP_PAGES);
    for (let i = 0; i < 300; i++) {
      await stores.batch.run(() =>
        service.create(dctx, 'User', { schemas: [URN.User], userName: `u${i}@x.example`, displayName: `U ${i}` }),
      );
    }
    let stats = await checkpointer.stats();
    for (let waited = 0; stats.framesCopied === 0 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stats = await checkpointer.stats();
    }
    await checkpointer.stop();
    await checkpointer.stop(); // idempotent
    expect(errors).to.deep.equal([]);
    expect(stats.errors).to.equal(0);
    expect(stats.checkpoints).to.be.greaterThan(0);
    expect(stats.framesCopied).to.be.greaterThan(0);
    expect(stores.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(1000);

    // Everything the thread copied is in the database file: a fresh connection after a full checkpoint sees it all.
    stores.db.pragma('wal_checkpoint(TRUNCATE)');
    stores.db.close();
    const reopened = createStores(await openDatabase({ file, synchronous: 'NORMAL' }));
    try {
      expect(await reopened.resources.count(dctx.directory.id, 'User')).to.equal(300);
      expect(await reopened.events.list(dctx.directory.id, { limit: 1000 })).to.have.length(300);
    } finally {
      reopened.db.close();
    }
  });
});
