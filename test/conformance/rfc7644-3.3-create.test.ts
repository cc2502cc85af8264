// test/conformance/rfc7644-3.3-create.test.ts: RFC 7644 §3.3 resource creation over HTTP (201, Location, readOnly, uniqueness).
import { expect } from 'chai';
import {
  call,
  createUser,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  startConformanceServer,
  userBody,
  USER_SCHEMA,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

describe('RFC 7644 §3.3 creating resources', function () {
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

  it('answers 201 with the stored resource, a Location equal to meta.location and an ETag equal to meta.version', async function () {
    const res = await call(dir, 'POST', '/Users', {
      body: userBody('ada@example.test', { name: { givenName: 'Ada', familyName: 'Lovelace' } }),
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('content-type')).to.contain('application/scim+json');
    expect(res.body.id).to.be.a('string').and.not.equal('');
    expect(res.body.userName).to.equal('ada@example.test');
    expect(res.body.name).to.deep.include({ givenName: 'Ada', familyName: 'Lovelace' });
    expect(res.body.schemas).to.include(USER_SCHEMA);
    expect(res.body.meta).to.include({ resourceType: 'User', location: `${dir.baseUrl}/Users/${res.body.id}` });
    expect(res.headers.get('location')).to.equal(res.body.meta.location);
    expect(res.headers.get('etag')).to.equal(res.body.meta.version);
    expect(Date.parse(res.body.meta.created)).to.be.closeTo(Date.now(), 60_000);

    const read = await call(dir, 'GET', `/Users/${res.body.id}`);
    expect(read.status).to.equal(200);
    expect(read.body.userName).to.equal('ada@example.test');
  });

  it('records one created event for the new user and pokes it after the commit', async function () {
    const id = await createUser(dir, 'grace@example.test');
    const events = server.pokedEvents(dir.id);
    expect(events.map((e) => [e.identityId, e.resourceType, e.kind])).to.deep.equal([[id, 'User', 'created']]);
    expect((await server.stores.events.list(dir.id)).map((e) => e.seq)).to.deep.equal([events[0]!.seq]);
  });

  it('ignores a client-supplied id and meta because they are readOnly', async function () {
    const res = await call(dir, 'POST', '/Users', {
      body: userBody('readonly@example.test', {
        id: 'client-chosen-id',
        meta: { created: '1999-01-01T00:00:00Z', resourceType: 'Group' },
      }),
    });
    expect(res.status).to.equal(201);
    expect(res.body.id).to.not.equal('client-chosen-id');
    expect(res.body.meta.resourceType).to.equal('User');
    expect(res.body.meta.created).to.not.equal('1999-01-01T00:00:00Z');
    expect((await call(dir, 'GET', '/Users/client-chosen-id')).status).to.equal(404);
  });

  it('accepts application/json as well as application/scim+json', async function () {
    const res = await call(dir, 'POST', '/Users', {
      body: userBody('json@example.test'),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).to.equal(201);
  });

  it('refuses a duplicate userName with 409 uniqueness and creates nothing', async function () {
    await createUser(dir, 'dup@example.test');
    const before = server.pokedEvents(dir.id).length;
    const res = await call(dir, 'POST', '/Users', { body: userBody('dup@example.test', { externalId: 'other' }) });
    expect(res.status).to.equal(409);
    expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    expect(res.body.scimType).to.equal('uniqueness');
    expect(res.body.detail).to.be.a('string').and.not.equal('');
    expect(server.pokedEvents(dir.id)).to.have.length(before);
    expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(1);
  });

  it('treats userName as case-insensitive for uniqueness (caseExact false, RFC 7643 §4.1.1)', async function () {
    await createUser(dir, 'Mixed.Case@Example.test');
    const res = await call(dir, 'POST', '/Users', { body: userBody('mixed.case@example.TEST') });
    expect(res.status).to.equal(409);
    expect(res.body.scimType).to.equal('uniqueness');
  });

  it('answers exactly one 201 and 409 for every other concurrent POST of the same userName, never a 500', async function () {
    const attempts = 12;
    const results = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        call(dir, 'POST', '/Users', { body: userBody('race@example.test', { externalId: `race-${i}` }) }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([201, ...Array<number>(attempts - 1).fill(409)]);
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.scimType).to.equal('uniqueness');
    const list = await call(dir, 'GET', '/Users?filter=userName%20eq%20%22race%40example.test%22');
    expect(list.body.totalResults).to.equal(1);
    expect(server.pokedEvents(dir.id).filter((e) => e.kind === 'created')).to.have.length(1);
  });

  it('lets two directories hold the same userName independently', async function () {
    const other = await server.newDirectory();
    await createUser(dir, 'shared@example.test');
    expect((await call(other, 'POST', '/Users', { body: userBody('shared@example.test') })).status).to.equal(201);
  });

  it('rejects a user without the required userName with 400 invalidValue', async function () {
    const res = await call(dir, 'POST', '/Users', { body: { schemas: [USER_SCHEMA], displayName: 'No Name' } });
    expect(res.status).to.equal(400);
    expect(res.body.scimType).to.equal('invalidValue');
    expect(server.pokedEvents(dir.id)).to.have.length(0);
  });

  it('creates a group with members and renders each member with its $ref', async function () {
    const a = await createUser(dir, 'member.a@example.test');
    const b = await createUser(dir, 'member.b@example.test');
    const res = await call(dir, 'POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Pilots', members: [{ value: a }, { value: b }] },
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('location')).to.equal(`${dir.baseUrl}/Groups/${res.body.id}`);
    expect(res.body.displayName).to.equal('Pilots');
    expect(res.body.members.map((m: { value: string }) => m.value)).to.have.members([a, b]);
    expect(res.body.members[0].$ref).to.match(new RegExp(`/Users/(${a}|${b})$`));
    const membership = server.pokedEvents(dir.id).filter((e) => e.kind === 'membership');
    expect(membership.map((e) => e.identityId)).to.have.members([a, b]);
  });

  it('rejects a group whose members reference unknown resources with 400 and creates no group', async function () {
    const res = await call(dir, 'POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Ghosts', members: [{ value: 'no-such-user' }] },
    });
    expect(res.status).to.equal(400);
    expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    expect((await call(dir, 'GET', '/Groups')).body.totalResults).to.equal(0);
  });
});
