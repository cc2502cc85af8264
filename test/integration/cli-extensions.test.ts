// test/integration/cli-extensions.test.ts: `scimflow directory set-extensions` records when it narrows the schemas.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCliJson } from '../helpers/cli';

const URN = 'urn:example:params:scim:schemas:extension:acme:2.0:User';

describe('scimflow directory set-extensions', function () {
  it('keeps splicing answers after additions, and marks the directory when an attribute is dropped', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cli-ext-'));
    const env = { DATA_DIR: dataDir };
    const write = (name: string, attributes: string[]) => {
      const file = path.join(dataDir, name);
      const schema = { id: URN, name: 'Acme', attributes: attributes.map((a) => ({ name: a, type: 'string' })) };
      fs.writeFileSync(file, JSON.stringify([schema]));
      return file;
    };
    try {
      const dir = await runCliJson(['directory', 'create', '--name', 'ext', '--idp', 'okta'], env);
      const set = (file: string) =>
        runCliJson(['directory', 'set-extensions', '--directory', dir.id, '--file', file], env);
      expect((await set(write('one.json', ['badge']))).schemaNarrowedAt).to.equal(null);
      expect((await set(write('two.json', ['badge', 'floor']))).schemaNarrowedAt).to.equal(null);
      const narrowed = await set(write('three.json', ['floor']));
      expect(narrowed.userExtensions).to.deep.equal([URN]);
      expect(Date.parse(narrowed.schemaNarrowedAt)).to.be.a('number').and.not.NaN;
      // Once narrowed, always narrowed: documents stored before still hold the dropped attribute.
      expect((await set(write('four.json', ['floor', 'desk']))).schemaNarrowedAt).to.equal(narrowed.schemaNarrowedAt);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
