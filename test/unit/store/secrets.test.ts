// test/unit/store/secrets.test.ts: app secrets sealed at rest (AES-256-GCM), key file and key rotation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { KEY_FILE_NAME, SecretBox } from '../../../store/secrets';

const key = () => crypto.randomBytes(32).toString('base64');

describe('app secrets at rest (store/secrets.ts)', function () {
  it('seals token and client secret, leaves the rest, and opens them again', function () {
    const box = SecretBox.load(key(), undefined);
    const config = { url: 'https://app.test/scim', token: 't0ken', oauth: { clientId: 'id', clientSecret: 's3cret' } };
    const sealed = box.sealConfig(config);
    expect(sealed.url).to.equal(config.url);
    expect(JSON.stringify(sealed)).not.to.include('t0ken').and.not.include('s3cret');
    expect((sealed.oauth as { clientId: string }).clientId).to.equal('id');
    expect(box.openConfig(sealed)).to.deep.equal(config);
    expect(config.token).to.equal('t0ken'); // the caller's object is not changed
    expect(box.seal('x')).not.to.equal(box.seal('x')); // a fresh IV each time
  });

  it('opens plaintext from before encryption as it is, and says it needs sealing', function () {
    const box = SecretBox.load(key(), undefined);
    expect(box.openConfig({ token: 'old' })).to.deep.equal({ token: 'old' });
    expect(box.needsResealing({ token: 'old' })).to.equal(true);
    expect(box.needsResealing(box.sealConfig({ token: 'old' }))).to.equal(false);
    expect(box.needsResealing({ url: 'no secrets' })).to.equal(false);
  });

  it('rotates: a new first key seals, the old one still opens, without it the old seal is refused', function () {
    const [oldKey, newKey] = [key(), key()];
    const sealedOld = SecretBox.load(oldKey, undefined).seal('secret');
    const both = SecretBox.load(`${newKey},${oldKey}`, undefined);
    expect(both.open(sealedOld)).to.equal('secret');
    expect(both.needsResealing({ token: sealedOld })).to.equal(true);
    expect(() => SecretBox.load(newKey, undefined).open(sealedOld)).to.throw(/not among SCIMFLOW_SECRET_KEYS/);
    const tampered = `${sealedOld.slice(0, -2)}AA`;
    expect(() => SecretBox.load(oldKey, undefined).open(tampered)).to.throw();
  });

  it('refuses a key that is not 32 bytes of base64, naming where it came from', function () {
    expect(() => SecretBox.load('c2hvcnQ=', undefined)).to.throw(/SCIMFLOW_SECRET_KEYS key 1: a key must be 32 bytes/);
  });

  it('creates the key file once, owner-only, and reuses it', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-secrets-'));
    const sealed = SecretBox.load(undefined, dir).seal('v');
    const file = path.join(dir, KEY_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(SecretBox.load(undefined, dir).open(sealed)).to.equal('v');
  });
});
