// test/unit/store/env.test.ts: database settings from the environment (defaults, bounds, every problem named at once).
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, DEFAULT_CACHE_MB, DEFAULT_MMAP_MB, loadDatabaseConfig } from '../../../store/env';

describe('database configuration', () => {
  it('defaults to ./.data, NORMAL sync, a 1 GiB read map and SQLite’s 2 MB page cache', () => {
    const config = loadDatabaseConfig({});
    expect(config).to.deep.include({
      dataDir: path.resolve('./.data'),
      file: path.resolve('./.data/scimflow.sqlite'),
      synchronous: 'NORMAL',
      mmapMb: DEFAULT_MMAP_MB,
      cacheMb: DEFAULT_CACHE_MB,
    });
    expect([DEFAULT_MMAP_MB, DEFAULT_CACHE_MB]).to.deep.equal([1024, 2]);
  });

  it('takes the sizes from the environment; an empty value counts as unset and 0 turns the map off', () => {
    expect(loadDatabaseConfig({ SQLITE_MMAP_MB: '0', SQLITE_CACHE_MB: '64' })).to.deep.include({
      mmapMb: 0,
      cacheMb: 64,
    });
    expect(loadDatabaseConfig({ SQLITE_MMAP_MB: '' }).mmapMb).to.equal(DEFAULT_MMAP_MB);
  });

  it('rejects nonsense sizes, naming every bad variable', () => {
    expect(() => loadDatabaseConfig({ SQLITE_MMAP_MB: 'lots', SQLITE_CACHE_MB: '1', SQLITE_SYNCHRONOUS: 'OFF' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/SQLITE_MMAP_MB/)
      .and.matches(/SQLITE_CACHE_MB/)
      .and.matches(/SQLITE_SYNCHRONOUS/);
  });

  it('takes a postgres:// or postgresql:// DATABASE_URL; refuses any other, password redacted', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://scim:hunter2@db.internal:5432/scimflow' }).url).to.equal(
      'postgres://scim:hunter2@db.internal:5432/scimflow',
    );
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgresql://db/scimflow' }).url).to.equal('postgresql://db/scimflow');
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'mysql://scim:hunter2@db.internal/scimflow' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.equals(
        'DATABASE_URL=mysql://scim:redacted@db.internal/scimflow: expected a postgres:// or postgresql:// URL (unset DATABASE_URL to use SQLite in DATA_DIR)',
      );
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'not a url' })).to.throw(/DATABASE_URL=\(not a URL\)/);
    const unset = loadDatabaseConfig({ DATABASE_URL: '' }); // empty counts as unset
    expect(unset.file).to.match(/scimflow\.sqlite$/);
    expect(unset.url).to.equal(undefined);
  });
});
