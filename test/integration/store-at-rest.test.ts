// test/integration/store-at-rest.test.ts: the data directory and SQLite files are owner-only, and app credentials are
// sealed in the database file (issue 12): read with another connection, the rows hold no token and no client secret.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createStores } from '../../store';
import { openDatabase } from '../../store/db';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('scimflow data at rest (issue 12)', function () {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-at-rest-'));
  });

  it('creates the data directory 0700 and the database, its WAL and the key file 0600', async function () {
    const file = path.join(root, 'data', 'scimflow.sqlite');
    const db = await openDatabase({ file, synchronous: 'NORMAL' });
    const stores = createStores(db, undefined);
    await stores.directories.create({ name: 'perms', dialect: 'generic' });
    expect(mode(path.dirname(file))).to.equal(0o700);
    for (const name of ['scimflow.sqlite', 'scimflow.sqlite-wal', 'secret.key'])
      expect(mode(path.join(root, 'data', name)), name).to.equal(0o600);
    db.close();
  });

  it('narrows a database file that was created world-readable before', async function () {
    const file = path.join(root, 'scimflow.sqlite');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o644);
    const db = await openDatabase({ file, synchronous: 'NORMAL' });
    expect(mode(file)).to.equal(0o600);
    db.close();
  });

  it('stores app tokens and client secrets sealed, hands them out plain, and seals those stored before', async function () {
    const file = path.join(root, 'scimflow.sqlite');
    const db = await openDatabase({ file, synchronous: 'NORMAL' });
    const stores = createStores(db, undefined);
    const { directory } = await stores.directories.create({ name: 'sealed', dialect: 'generic' });
    const config = {
      url: 'https://crm.test/scim/v2',
      token: 'plain-bearer-token-123',
      oauth: { tokenUrl: 'https://crm.test/token', clientId: 'cid', clientSecret: 'plain-client-secret-456' },
    };
    const app = await stores.directories.addApp({ directoryId: directory.id, name: 'crm', type: 'scim', config });
    expect((await stores.directories.getApp(app.id))!.config).to.deep.equal(config);
    await stores.directories.updateAppConfig(app.id, { ...config, token: 'rotated-token-789' });

    // Another connection, as a thief with the file would have: no secret in clear.
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare('SELECT config_json FROM apps').all() as { config_json: string }[];
    raw.close();
    const text = JSON.stringify(rows);
    for (const secret of ['plain-bearer-token-123', 'rotated-token-789', 'plain-client-secret-456'])
      expect(text).not.to.include(secret);
    expect(text).to.include('crm.test'); // the rest stays readable

    // A row written before encryption (plaintext) is sealed when the next process opens the store.
    db.prepare('UPDATE apps SET config_json = ? WHERE id = ?').run(JSON.stringify(config), app.id);
    db.close();
    const again = await openDatabase({ file, synchronous: 'NORMAL' });
    const reopened = createStores(again, undefined);
    expect((await reopened.directories.getApp(app.id))!.config).to.deep.equal(config);
    const sealed = again.prepare('SELECT config_json FROM apps WHERE id = ?').get(app.id) as { config_json: string };
    expect(sealed.config_json).not.to.include('plain-bearer-token-123').and.not.include('plain-client-secret-456');
    again.close();
  });

  it('seals HR signing secrets, and seals them again with a new key so the old key can be dropped', async function () {
    const file = path.join(root, 'scimflow.sqlite');
    const [oldKey, newKey] = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('base64')];
    const db = await openDatabase({ file, synchronous: 'NORMAL' });
    const stores = createStores(db, oldKey);
    const { directory } = await stores.directories.create({ name: 'hr', dialect: 'generic' });
    const { secret } = await stores.hr.newSecret(directory.id, 0);
    const stored = () =>
      (db.prepare('SELECT secret_sealed FROM hr_secrets').get() as { secret_sealed: string }).secret_sealed;
    expect(stored()).not.to.include(secret.slice(6));
    db.close();
    // Rotation: the new key first, the old one still listed; one start seals everything again.
    const rotated = await openDatabase({ file, synchronous: 'NORMAL' });
    expect(await createStores(rotated, `${newKey},${oldKey}`).hr.secrets(directory.id)).to.deep.equal([secret]);
    rotated.close();
    const onlyNew = await openDatabase({ file, synchronous: 'NORMAL' });
    expect(await createStores(onlyNew, newKey).hr.secrets(directory.id)).to.deep.equal([secret]);
    onlyNew.close();
  });
});
