// test/conformance/rfc7644-3.6-delete.test.ts: RFC 7644 §3.6 deleting resources (204, then 404 everywhere; membership cleaned up).
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

describe('RFC 7644 §3.6 deleting resources', function () {
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

  it('answers 204 with no body, then 404 for GET, PUT, PATCH and a second DELETE', async function () {
    const id = await createUser(dir, 'gone@example.test');
    const res = await call(dir, 'DELETE', `/Users/${id}`);
    expect(res.status).to.equal(204);
    expect(res.text).to.equal('');
    expect((await call(dir, 'GET', `/Users/${id}`)).status).to.equal(404);
    expect((await call(dir, 'PUT', `/Users/${id}`, { body: userBody('gone@example.test') })).status).to.equal(404);
    expect(
      (await call(dir, 'PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'title', value: 'x' }) }))
        .status,
    ).to.equal(404);
    expect((await call(dir, 'DELETE', `/Users/${id}`)).status).to.equal(404);
  });

  it('drops the deleted user from listings and filters', async function () {
    const id = await createUser(dir, 'gone@example.test');
    await createUser(dir, 'stays@example.test');
    await call(dir, 'DELETE', `/Users/${id}`);
    const all = await call(dir, 'GET', '/Users');
    expect(all.body.totalResults).to.equal(1);
    expect(all.body.Resources[0].userName).to.equal('stays@example.test');
    expect(
      (await call(dir, 'GET', '/Users?filter=userName%20eq%20%22gone%40example.test%22')).body.totalResults,
    ).to.equal(0);
    expect((await call(dir, 'GET', '/Users?sortBy=userName')).body.totalResults).to.equal(1);
  });

  it('records one deleted event, and frees the userName for a new user', async function () {
    const id = await createUser(dir, 'reuse@example.test');
    await call(dir, 'DELETE', `/Users/${id}`);
    const events = server.pokedEvents(dir.id);
    expect(events.map((e) => [e.identityId, e.kind])).to.deep.equal([
      [id, 'created'],
      [id, 'deleted'],
    ]);
    const again = await call(dir, 'POST', '/Users', { body: userBody('reuse@example.test') });
    expect(again.status).to.equal(201);
    expect(again.body.id).to.not.equal(id);
  });

  it('removes a deleted user from the groups it belonged to', async function () {
    const a = await createUser(dir, 'a@example.test');
    const b = await createUser(dir, 'b@example.test');
    const groupId = await createGroup(dir, 'Team', [a, b]);
    await call(dir, 'DELETE', `/Users/${a}`);
    const group = await call(dir, 'GET', `/Groups/${groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).to.deep.equal([b]);
  });

  it('deletes a group, records a membership removal for each member, and leaves the users', async function () {
    const a = await createUser(dir, 'a@example.test');
    const groupId = await createGroup(dir, 'Doomed', [a]);
    expect((await call(dir, 'DELETE', `/Groups/${groupId}`)).status).to.equal(204);
    expect((await call(dir, 'GET', `/Groups/${groupId}`)).status).to.equal(404);
    const user = await call(dir, 'GET', `/Users/${a}`);
    expect(user.status).to.equal(200);
    expect(user.body.groups ?? []).to.deep.equal([]);
    const last = server.pokedEvents(dir.id).slice(-2);
    expect(last.map((e) => [e.resourceType, e.kind])).to.deep.equal([
      ['Group', 'group.deleted'],
      ['User', 'membership'],
    ]);
    expect(last[1]!.detail).to.include({ groupId, change: 'removed' });
  });

  it('answers 404 for a DELETE of an id that never existed and records nothing', async function () {
    expect((await call(dir, 'DELETE', '/Users/never-existed')).status).to.equal(404);
    expect((await call(dir, 'DELETE', '/Groups/never-existed')).status).to.equal(404);
    expect(server.pokedEvents(dir.id)).to.have.length(0);
  });
});
