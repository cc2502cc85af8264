// test/conformance/rfc7644-3.7-bulk.test.ts: RFC 7644 §3.7 Bulk (bulkId references, failOnErrors, limits, event order).
import { expect } from 'chai';
import {
  BULK_REQUEST_SCHEMA,
  call,
  createUser,
  GROUP_SCHEMA,
  patchBody,
  startConformanceServer,
  userBody,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

interface BulkResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: { scimType?: string; detail?: string };
}

describe('RFC 7644 §3.7 Bulk', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;

  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) =>
    call(dir, 'POST', '/Bulk', { body: { schemas: [BULK_REQUEST_SCHEMA], Operations, ...extra } });
  const results = (body: { Operations: BulkResult[] }) => body.Operations;
  const idOf = (location: string | undefined) => location?.split('/').pop() ?? '';

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

  it('creates resources and resolves bulkId references in data and in paths', async function () {
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'u1', data: userBody('bulk.one@example.test') },
      {
        method: 'POST',
        path: '/Groups',
        bulkId: 'g1',
        data: { schemas: [GROUP_SCHEMA], displayName: 'Bulkers', members: [{ value: 'bulkId:u1' }] },
      },
      {
        method: 'PATCH',
        path: '/Users/bulkId:u1',
        data: patchBody({ op: 'replace', path: 'title', value: 'Patched' }),
      },
    ]);
    expect(res.status).to.equal(200);
    expect(res.body.schemas).to.deep.equal([BULK_RESPONSE_SCHEMA]);
    const [user, group, patched] = results(res.body);
    expect(user).to.include({ method: 'POST', bulkId: 'u1', status: '201' });
    expect(user!.location).to.match(new RegExp(`^${dir.baseUrl}/Users/`));
    expect(user!.version).to.match(/^W\/"/);
    expect(group).to.include({ bulkId: 'g1', status: '201' });
    expect(patched).to.include({ method: 'PATCH', status: '200', location: user!.location });

    const userId = idOf(user!.location);
    const members = (await call(dir, 'GET', `/Groups/${idOf(group!.location)}`)).body.members as { value: string }[];
    expect(members.map((m) => m.value)).to.deep.equal([userId]);
    expect((await call(dir, 'GET', `/Users/${userId}`)).body.title).to.equal('Patched');
  });

  it('reports each failed operation in place and carries on without failOnErrors', async function () {
    await createUser(dir, 'taken@example.test');
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'dup', data: userBody('taken@example.test') },
      { method: 'POST', path: '/Users', bulkId: 'ok', data: userBody('fresh@example.test') },
      { method: 'DELETE', path: '/Users/no-such-id' },
    ]);
    expect(res.status).to.equal(200);
    const [dup, ok, missing] = results(res.body);
    expect(dup).to.include({ bulkId: 'dup', status: '409' });
    expect(dup!.response!.scimType).to.equal('uniqueness');
    expect(ok).to.include({ bulkId: 'ok', status: '201' });
    expect(missing).to.include({ method: 'DELETE', status: '404' });
  });

  it('stops after failOnErrors errors and applies none of the later operations', async function () {
    await createUser(dir, 'taken@example.test');
    const res = await bulk(
      [
        { method: 'POST', path: '/Users', bulkId: 'a', data: userBody('taken@example.test') },
        { method: 'POST', path: '/Users', bulkId: 'b', data: userBody('never@example.test') },
      ],
      { failOnErrors: 1 },
    );
    expect(res.status).to.equal(200);
    expect(results(res.body).map((r) => r.status)).to.deep.equal(['409']);
    expect(
      (await call(dir, 'GET', '/Users?filter=userName%20eq%20%22never%40example.test%22')).body.totalResults,
    ).to.equal(0);
  });

  it('fails an operation whose bulkId reference cannot be resolved with a 4xx, not a 500', async function () {
    const res = await bulk([
      {
        method: 'POST',
        path: '/Groups',
        bulkId: 'g',
        data: { schemas: [GROUP_SCHEMA], displayName: 'X', members: [{ value: 'bulkId:nope' }] },
      },
    ]);
    expect(res.status).to.equal(200);
    const [only] = results(res.body);
    expect(Number(only!.status)).to.be.within(400, 499);
    expect((await call(dir, 'GET', '/Groups')).body.totalResults).to.equal(0);
  });

  it('answers 413 for more operations than maxOperations and applies none', async function () {
    const ops = Array.from({ length: server.limits.bulkMaxOperations + 1 }, (_, i) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `b${i}`,
      data: userBody(`too.many.${i}@example.test`),
    }));
    const res = await bulk(ops);
    expect(res.status).to.equal(413);
    expect(res.body.schemas).to.include('urn:ietf:params:scim:api:messages:2.0:Error');
    expect((await call(dir, 'GET', '/Users?count=0')).body.totalResults).to.equal(0);
  });

  it('answers 413 for a payload larger than maxPayloadSize', async function () {
    const big = 'x'.repeat(server.limits.maxBodyBytes);
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'big', data: userBody('big@example.test', { nickName: big }) },
    ]);
    expect(res.status).to.equal(413);
    expect((await call(dir, 'GET', '/Users?count=0')).body.totalResults).to.equal(0);
  });

  it('rejects a request without the BulkRequest schema with 400', async function () {
    const res = await call(dir, 'POST', '/Bulk', { body: { schemas: ['urn:example:wrong'], Operations: [] } });
    expect(res.status).to.equal(400);
  });

  it('records 1,000 operations as 1,000 events with consecutive sequence numbers in operation order', async function () {
    const count = 1000;
    const ops = Array.from({ length: count }, (_, i) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${i}`,
      data: userBody(`user${i}@example.test`),
    }));
    const res = await bulk(ops);
    expect(res.status).to.equal(200);
    const created = results(res.body);
    expect(created).to.have.length(count);
    expect(created.every((r) => r.status === '201')).to.equal(true);

    const events = server.pokedEvents(dir.id);
    expect(events).to.have.length(count);
    expect(events.map((e) => e.kind)).to.deep.equal(Array<string>(count).fill('created'));
    const first = events[0]!.seq;
    expect(events.map((e) => e.seq)).to.deep.equal(Array.from({ length: count }, (_, i) => first + i));
    expect(events.map((e) => e.identityId)).to.deep.equal(created.map((r) => idOf(r.location)));
    expect((await server.stores.events.list(dir.id, { limit: 5000 })).map((e) => e.seq)).to.deep.equal(
      events.map((e) => e.seq),
    );
  });
});
