// test/integration/cli-tokens.test.ts: token rotation from the CLI without downtime.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase } from '../../store/db';
import { createStores } from '../../store';
import { runCliJson } from '../helpers/cli';

describe('scimflow directory token rotation', function () {
  it('keeps the old token working until revoke-old-tokens, then only the newest works', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cli-'));
    const env = { DATA_DIR: dataDir };
    const dir = await runCliJson(['directory', 'create', '--name', 'rot', '--idp', 'entra'], env);
    const rotated = await runCliJson(['directory', 'rotate-token', '--directory', dir.id], env);
    const db = await openDatabase({ file: path.join(dataDir, 'scimflow.sqlite'), synchronous: 'NORMAL' });
    const stores = createStores(db);
    try {
      expect(await stores.directories.directoryForToken(dir.token)).to.equal(dir.id);
      expect(await stores.directories.directoryForToken(rotated.token)).to.equal(dir.id);
      const revoked = await runCliJson(['directory', 'revoke-old-tokens', '--directory', dir.id], env);
      expect(revoked.revokedTokens).to.equal(1);
      expect(await stores.directories.directoryForToken(dir.token)).to.equal(undefined);
      expect(await stores.directories.directoryForToken(rotated.token)).to.equal(dir.id);
    } finally {
      db.close();
    }
  });
});
