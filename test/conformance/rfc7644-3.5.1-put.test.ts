// test/conformance/rfc7644-3.5.1-put.test.ts: RFC 7644 §3.5.1 replacing resources with PUT (readOnly ignored, full replacement).
import { expect } from 'chai';
import {
  call,
  createGroup,
  createUser,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  startConformanceServer,
  userBody,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

describe('RFC 7644 §3.5.1 replacing with PUT', function () {
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

  it('replaces the whole resource: attributes left out of the PUT are cleared', async function () {
    const id = await createUser(dir, 'put@example.test', {
      title: 'Engineer',
      name: { givenName: 'Put', familyName: 'Probe' },
      nickName: 'pp',
    });
    const res = await call(dir, 'PUT', `/Users/${id}`, {
      body: userBody('put@example.test', { name: { givenName: 'Put', familyName: 'Replaced' } }),
    });
    expect(res.status).to.equal(200);
    expect(res.body.name).to.deep.include({ familyName: 'Replaced' });
    expect(res.body).to.not.have.any.keys('title', 'nickName');
    const read = await call(dir, 'GET', `/Users/${id}`);
    expect(read.body.name.familyName).to.equal('Replaced');
    expect(read.body).to.not.have.any.keys('title', 'nickName');
    expect(res.headers.get('etag')).to.equal(read.body.meta.version);
  });

  it('ignores readOnly attributes in the body: id, meta and groups keep the server values', async function () {
    const id = await createUser(dir, 'readonly@example.test');
    const groupId = await createGroup(dir, 'Keepers', [id]);
    const before = (await call(dir, 'GET', `/Users/${id}`)).body;
    const res = await call(dir, 'PUT', `/Users/${id}`, {
      body: userBody('readonly@example.test', {
        id: 'another-id',
        meta: { created: '1999-01-01T00:00:00Z', resourceType: 'Group', version: 'W/"999"' },
        groups: [],
        title: 'Changed',
      }),
    });
    expect(res.status).to.equal(200);
    expect(res.body.id).to.equal(id);
    expect(res.body.title).to.equal('Changed');
    expect(res.body.meta.created).to.equal(before.meta.created);
    expect(res.body.meta.resourceType).to.equal('User');
    expect(res.body.groups.map((g: { value: string }) => g.value)).to.deep.equal([groupId]);
    expect((await call(dir, 'GET', '/Users/another-id')).status).to.equal(404);
  });

  it('records a deactivated event when a PUT sets active to false', async function () {
    const id = await createUser(dir, 'leaver@example.test', { active: true });
    const res = await call(dir, 'PUT', `/Users/${id}`, { body: userBody('leaver@example.test', { active: false }) });
    expect(res.status).to.equal(200);
    expect(res.body.active).to.equal(false);
    expect(server.pokedEvents(dir.id).map((e) => e.kind)).to.deep.equal(['created', 'deactivated']);
  });

  it('keeps the version and records nothing when the PUT changes nothing', async function () {
    const id = await createUser(dir, 'same@example.test', { title: 'Same' });
    const before = (await call(dir, 'GET', `/Users/${id}`)).body;
    const res = await call(dir, 'PUT', `/Users/${id}`, { body: userBody('same@example.test', { title: 'Same' }) });
    expect(res.status).to.equal(200);
    expect(res.body.meta.version).to.equal(before.meta.version);
    expect(server.pokedEvents(dir.id).map((e) => e.kind)).to.deep.equal(['created']);
  });

  it('refuses to take another user’s userName with 409 uniqueness and leaves both unchanged', async function () {
    await createUser(dir, 'first@example.test');
    const second = await createUser(dir, 'second@example.test');
    const res = await call(dir, 'PUT', `/Users/${second}`, { body: userBody('FIRST@example.test') });
    expect(res.status).to.equal(409);
    expect(res.body.scimType).to.equal('uniqueness');
    expect((await call(dir, 'GET', `/Users/${second}`)).body.userName).to.equal('second@example.test');
  });

  it('lets a user change the case of its own userName', async function () {
    const id = await createUser(dir, 'casey@example.test');
    const res = await call(dir, 'PUT', `/Users/${id}`, { body: userBody('Casey@Example.test') });
    expect(res.status).to.equal(200);
    expect(res.body.userName).to.equal('Casey@Example.test');
  });

  it('answers 404 for a PUT to a resource that does not exist and creates nothing', async function () {
    const res = await call(dir, 'PUT', '/Users/does-not-exist', { body: userBody('ghost@example.test') });
    expect(res.status).to.equal(404);
    expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
  });

  it('rejects a PUT without the required userName with 400 and leaves the user unchanged', async function () {
    const id = await createUser(dir, 'keep@example.test', { title: 'Kept' });
    const res = await call(dir, 'PUT', `/Users/${id}`, { body: { schemas: userBody('x').schemas, title: 'Lost' } });
    expect(res.status).to.equal(400);
    expect((await call(dir, 'GET', `/Users/${id}`)).body.title).to.equal('Kept');
  });

  it('replaces a group’s members with exactly the listed ones and records the membership changes', async function () {
    const a = await createUser(dir, 'a@example.test');
    const b = await createUser(dir, 'b@example.test');
    const c = await createUser(dir, 'c@example.test');
    const groupId = await createGroup(dir, 'Crew', [a, b]);
    const res = await call(dir, 'PUT', `/Groups/${groupId}`, {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Crew 2', members: [{ value: b }, { value: c }] },
    });
    expect(res.status).to.equal(200);
    expect(res.body.displayName).to.equal('Crew 2');
    expect(res.body.members.map((m: { value: string }) => m.value)).to.have.members([b, c]);
    const membership = server.pokedEvents(dir.id).filter((e) => e.kind === 'membership');
    const changes = membership.map((e) => `${e.identityId}:${String(e.detail.change)}`);
    expect(changes).to.have.members([`${a}:added`, `${b}:added`, `${a}:removed`, `${c}:added`]);
  });
});
