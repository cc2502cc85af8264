// test/conformance/attribute-limits.test.ts: attribute size limits over HTTP, and offboarding users stored before them.
import { expect } from 'chai';
import { IDENTIFIER_MAX_LENGTH, VALUE_MAX_LENGTH } from '../../domain/scim/value-limits';
import {
  BULK_REQUEST_SCHEMA,
  call,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  patchBody,
  startConformanceServer,
  userBody,
  USER_SCHEMA,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

const text = (length: number, fill = 'x') => fill.repeat(length);

describe('attribute size limits', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;

  before(async function () {
    server = await startConformanceServer();
  });
  beforeEach(async function () {
    dir = await server.newDirectory();
  });
  afterEach(function () {
    expect(
      server.serverErrors.splice(0).map((e) => e.stack),
      'internal errors',
    ).to.deep.equal([]);
  });
  after(async function () {
    await server.close();
  });

  function expectInvalidValue(res: { status: number; body: any }, detail: string): void {
    expect(res.status, JSON.stringify(res.body)?.slice(0, 300)).to.equal(400);
    expect(res.body).to.include({ status: '400', scimType: 'invalidValue', detail });
    expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
  }

  /**
   * A user as an older scimflow stored it, before the limits: written straight through the store (the API would
   * refuse it now), recording its `created` event in the same transaction as an API write does.
   */
  async function storeOldUser(userName: string, displayName: string): Promise<string> {
    const doc = { schemas: [USER_SCHEMA], userName, displayName, title: 'Engineer', active: true };
    const { resource, events } = await server.stores.resources.insert(dir.id, 'User', doc);
    expect(events.map((e) => [e.identityId, e.kind])).to.deep.equal([[resource.id, 'created']]);
    return resource.id;
  }

  const eventKinds = async (id: string) =>
    (await server.stores.events.list(dir.id)).filter((e) => e.identityId === id).map((e) => e.kind);

  describe('new values', function () {
    it('refuses a 513-character userName with 400 invalidValue and stores nothing', async function () {
      const userName = text(IDENTIFIER_MAX_LENGTH + 1);
      const res = await call(dir, 'POST', '/Users', { body: userBody(userName) });
      expectInvalidValue(res, `'userName' is 513 characters; the limit is 512`);

      const found = await call(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(found.status).to.equal(200);
      expect(found.body.totalResults).to.equal(0);
      expect(await server.stores.events.list(dir.id)).to.deep.equal([]);
      expect(server.pokedEvents(dir.id)).to.deep.equal([]);
    });

    it('accepts a 512-character userName', async function () {
      const userName = text(IDENTIFIER_MAX_LENGTH);
      const res = await call(dir, 'POST', '/Users', { body: userBody(userName) });
      expect(res.status).to.equal(201);
      expect(res.body.userName).to.equal(userName);
    });

    it('refuses a 65,537-character displayName and accepts 65,536', async function () {
      const over = await call(dir, 'POST', '/Users', {
        body: userBody('long.name@example.test', { displayName: text(VALUE_MAX_LENGTH + 1) }),
      });
      expectInvalidValue(over, `'displayName' is 65537 characters; the limit is 65536`);
      const at = await call(dir, 'POST', '/Users', {
        body: userBody('long.name@example.test', { displayName: text(VALUE_MAX_LENGTH) }),
      });
      expect(at.status).to.equal(201);
    });

    it('names a nested value in the detail', async function () {
      const res = await call(dir, 'POST', '/Users', {
        body: userBody('nested@example.test', { emails: [{ value: text(VALUE_MAX_LENGTH + 1), type: 'work' }] }),
      });
      expectInvalidValue(res, `'emails.value' is 65537 characters; the limit is 65536`);
    });

    it('refuses a 513-character Group displayName', async function () {
      const res = await call(dir, 'POST', '/Groups', {
        body: { schemas: [GROUP_SCHEMA], displayName: text(IDENTIFIER_MAX_LENGTH + 1) },
      });
      expectInvalidValue(res, `'displayName' is 513 characters; the limit is 512`);
      expect((await call(dir, 'GET', '/Groups')).body.totalResults).to.equal(0);
    });

    it('refuses a PUT or PATCH that sets an oversized value on a user created within the limits', async function () {
      const created = await call(dir, 'POST', '/Users', { body: userBody('within@example.test') });
      const id = created.body.id as string;
      const put = await call(dir, 'PUT', `/Users/${id}`, {
        body: userBody('within@example.test', { externalId: text(IDENTIFIER_MAX_LENGTH + 1) }),
      });
      expectInvalidValue(put, `'externalId' is 513 characters; the limit is 512`);
      const patch = await call(dir, 'PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'userName', value: text(IDENTIFIER_MAX_LENGTH + 1) }),
      });
      expectInvalidValue(patch, `'userName' is 513 characters; the limit is 512`);
      expect((await call(dir, 'GET', `/Users/${id}`)).body.version).to.equal(created.body.version);
    });
  });

  describe('a user stored before the limits (2,048-character userName, 800,000-character displayName)', function () {
    const oldUserName = text(2048, 'u');
    const oldDisplayName = text(800_000, 'd');

    it('is deactivated by PATCH active=false, then a PUT of the returned document with active false succeeds', async function () {
      const id = await storeOldUser(oldUserName, oldDisplayName);
      const patched = await call(dir, 'PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'active', value: false }),
      });
      expect(patched.status, patched.text.slice(0, 300)).to.equal(200);
      expect(patched.body).to.include({ active: false, userName: oldUserName, displayName: oldDisplayName });
      expect(await eventKinds(id)).to.deep.equal(['created', 'deactivated']);

      const put = await call(dir, 'PUT', `/Users/${id}`, { body: { ...patched.body, active: false } });
      expect(put.status, put.text.slice(0, 300)).to.equal(200);
      expect(put.body).to.include({ active: false, userName: oldUserName });
    });

    it('is deactivated by a PUT of its stored document with active false (Okta, okta-09)', async function () {
      const id = await storeOldUser(oldUserName, oldDisplayName);
      const read = await call(dir, 'GET', `/Users/${id}`);
      const put = await call(dir, 'PUT', `/Users/${id}`, { body: { ...read.body, active: false } });
      expect(put.status, put.text.slice(0, 300)).to.equal(200);
      expect(put.body.active).to.equal(false);
      expect(await eventKinds(id)).to.deep.equal(['created', 'deactivated']);
      expect(server.pokedEvents(dir.id).map((e) => [e.identityId, e.kind])).to.deep.equal([[id, 'deactivated']]);
    });

    it('accepts a change to another attribute that leaves the old values alone', async function () {
      const id = await storeOldUser(oldUserName, oldDisplayName);
      const res = await call(dir, 'PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'title', value: 'Manager' }),
      });
      expect(res.status, res.text.slice(0, 300)).to.equal(200);
      expect(res.body.title).to.equal('Manager');
    });

    it('refuses a PATCH that changes displayName to another oversized value, and keeps the stored one', async function () {
      const id = await storeOldUser(oldUserName, oldDisplayName);
      const res = await call(dir, 'PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'displayName', value: text(800_000, 'e') }),
      });
      expectInvalidValue(res, `'displayName' is 800000 characters; the limit is 65536`);
      expect((await call(dir, 'GET', `/Users/${id}`)).body.displayName).to.equal(oldDisplayName);
      expect(await eventKinds(id)).to.deep.equal(['created']);
    });

    it('is deleted with 204', async function () {
      const id = await storeOldUser(oldUserName, oldDisplayName);
      expect((await call(dir, 'DELETE', `/Users/${id}`)).status).to.equal(204);
      expect((await call(dir, 'GET', `/Users/${id}`)).status).to.equal(404);
      expect(await eventKinds(id)).to.deep.equal(['created', 'deleted']);
    });
  });

  describe('Bulk', function () {
    it('answers an oversized POST with its own 400 while the other operations succeed', async function () {
      const res = await call(dir, 'POST', '/Bulk', {
        body: {
          schemas: [BULK_REQUEST_SCHEMA],
          Operations: [
            { method: 'POST', path: '/Users', bulkId: 'ok1', data: userBody('first@example.test') },
            { method: 'POST', path: '/Users', bulkId: 'big', data: userBody(text(IDENTIFIER_MAX_LENGTH + 1)) },
            { method: 'POST', path: '/Users', bulkId: 'ok2', data: userBody('second@example.test') },
          ],
        },
      });
      expect(res.status).to.equal(200);
      const results = res.body.Operations as { bulkId: string; status: string; response?: any }[];
      expect(results.map((r) => [r.bulkId, r.status])).to.deep.equal([
        ['ok1', '201'],
        ['big', '400'],
        ['ok2', '201'],
      ]);
      expect(results[1]!.response).to.include({
        scimType: 'invalidValue',
        detail: `'userName' is 513 characters; the limit is 512`,
      });
      const listed = await call(dir, 'GET', '/Users');
      expect(listed.body.Resources.map((u: { userName: string }) => u.userName).sort()).to.deep.equal([
        'first@example.test',
        'second@example.test',
      ]);
    });
  });
});
