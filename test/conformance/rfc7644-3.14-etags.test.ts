// test/conformance/rfc7644-3.14-etags.test.ts: RFC 7644 §3.14 versioning: ETag = meta.version, If-Match → 412, If-None-Match → 304.
import { expect } from 'chai';
import {
  call,
  createGroup,
  createUser,
  patchBody,
  startConformanceServer,
  userBody,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

describe('RFC 7644 §3.14 versioning with ETags', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  let id: string;

  const read = () => call(dir, 'GET', `/Users/${id}`);

  before(async function () {
    server = await startConformanceServer();
  });
  beforeEach(async function () {
    dir = await server.newDirectory();
    id = await createUser(dir, 'etag@example.test', { title: 'Original' });
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

  it('sends a weak ETag equal to meta.version and changes it on every modification', async function () {
    const first = await read();
    expect(first.headers.get('etag')).to.match(/^W\/".+"$/);
    expect(first.headers.get('etag')).to.equal(first.body.meta.version);
    await call(dir, 'PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'title', value: 'Changed' }) });
    const second = await read();
    expect(second.body.meta.version).to.not.equal(first.body.meta.version);
    expect(second.headers.get('etag')).to.equal(second.body.meta.version);
  });

  it('answers a stale If-Match on PUT, PATCH and DELETE with 412 and changes nothing', async function () {
    const before = await read();
    const stale = 'W/"stale-0000"';
    const attempts = [
      await call(dir, 'PUT', `/Users/${id}`, {
        body: userBody('etag@example.test', { title: 'PUT' }),
        headers: { 'if-match': stale },
      }),
      await call(dir, 'PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'title', value: 'PATCH' }),
        headers: { 'if-match': stale },
      }),
      await call(dir, 'DELETE', `/Users/${id}`, { headers: { 'if-match': stale } }),
    ];
    for (const res of attempts) {
      expect(res.status).to.equal(412);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    const after = await read();
    expect(after.status).to.equal(200);
    expect(after.body).to.deep.equal(before.body);
    expect(server.pokedEvents(dir.id).map((e) => e.kind)).to.deep.equal(['created']);
  });

  it('applies a write whose If-Match names the current version, or *', async function () {
    const current = (await read()).headers.get('etag')!;
    const put = await call(dir, 'PUT', `/Users/${id}`, {
      body: userBody('etag@example.test', { title: 'Matched' }),
      headers: { 'if-match': current },
    });
    expect(put.status).to.equal(200);
    expect(put.body.title).to.equal('Matched');
    const patch = await call(dir, 'PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'title', value: 'Star' }),
      headers: { 'if-match': '*' },
    });
    expect(patch.status).to.equal(200);
    expect(patch.body.title).to.equal('Star');
  });

  it('rejects the second of two writes based on the same version (lost-update protection)', async function () {
    const version = (await read()).headers.get('etag')!;
    const first = await call(dir, 'PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'title', value: 'First' }),
      headers: { 'if-match': version },
    });
    const second = await call(dir, 'PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'title', value: 'Second' }),
      headers: { 'if-match': version },
    });
    expect([first.status, second.status]).to.deep.equal([200, 412]);
    expect((await read()).body.title).to.equal('First');
  });

  it('answers If-None-Match with the current version by 304 and no body, and a stale one by 200', async function () {
    const current = (await read()).headers.get('etag')!;
    const cached = await call(dir, 'GET', `/Users/${id}`, { headers: { 'if-none-match': current } });
    expect(cached.status).to.equal(304);
    expect(cached.text).to.equal('');
    expect(cached.headers.get('etag')).to.equal(current);
    const fresh = await call(dir, 'GET', `/Users/${id}`, { headers: { 'if-none-match': 'W/"stale-0000"' } });
    expect(fresh.status).to.equal(200);
    expect(fresh.body.id).to.equal(id);
  });

  it('versions groups too: a stale If-Match on a group PATCH answers 412', async function () {
    const groupId = await createGroup(dir, 'Versioned', [id]);
    const res = await call(dir, 'PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'remove', path: 'members' }),
      headers: { 'if-match': 'W/"stale-0000"' },
    });
    expect(res.status).to.equal(412);
    const group = await call(dir, 'GET', `/Groups/${groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).to.deep.equal([id]);
  });
});
