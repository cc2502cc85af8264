// test/conformance/user-defaults.test.ts: what the server fills in or drops on a user write (active default, password).
import { expect } from 'chai';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { startConformanceServer } from '../helpers/conformance-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('user defaults and secrets', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${dir.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  before(async function () {
    server = await startConformanceServer();
    dir = server.newDirectory('generic');
  });
  after(async () => server.close());

  it('treats a user created without active as active, and a filter on active agrees', async function () {
    const created = await call('POST', '/Users', { schemas: [USER], userName: 'no.active@example.test' });
    expect(created.status).to.equal(201);
    expect(created.body.active).to.equal(true);
    const found = await call(
      'GET',
      `/Users?filter=${encodeURIComponent('active eq true and userName eq "no.active@example.test"')}`,
    );
    expect(found.body.totalResults).to.equal(1);
  });

  it('never stores nor returns a password the IdP sends', async function () {
    const created = await call('POST', '/Users', { schemas: [USER], userName: 'pw@example.test', password: 'hunter2' });
    expect(created.status).to.equal(201);
    expect(created.body).to.not.have.property('password');
    const row = server.stores.resources.get(dir.id, 'User', created.body.id as string)!;
    expect(JSON.stringify(row.doc)).to.not.include('hunter2');
    const asked = await call('GET', `/Users/${created.body.id}?attributes=password,userName`);
    expect(asked.body).to.not.have.property('password');
  });

  it('keeps group documents free of user-only defaults after a PATCH', async function () {
    const group = await call('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Defaults',
    });
    await fetch(`${dir.baseUrl}/Groups/${group.body.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Defaults 2' }],
      }),
    });
    const row = server.stores.resources.get(dir.id, 'Group', group.body.id as string)!;
    expect(row.doc).to.not.have.property('active');
  });
});

describe('root-level search (RFC 7644 §3.4.3)', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  before(async function () {
    server = await startConformanceServer();
    dir = server.newDirectory('generic');
  });
  after(async () => server.close());

  it('searches users and groups together with one filter and one page', async function () {
    const post = (path: string, body: unknown) =>
      fetch(`${dir.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
    await post('/Users', { schemas: [USER], userName: 'root.search@example.test' });
    await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Root Search' });
    const res = await post('/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'meta.resourceType pr',
      count: 1,
    });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { totalResults: number; Resources: { meta: { resourceType: string } }[] };
    expect(body.totalResults).to.equal(2);
    expect(body.Resources).to.have.length(1);
    expect(body.Resources[0]!.meta.resourceType).to.equal('User');
  });
});

describe('versions of resources changed through another resource', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  before(async function () {
    server = await startConformanceServer();
    dir = server.newDirectory('generic');
  });
  after(async () => server.close());

  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${dir.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("changes a user's ETag when its groups change, and a group's when a member is deleted", async function () {
    const user = (await (
      await send('POST', '/Users', { schemas: [USER], userName: 'etag.member@example.test' })
    ).json()) as any;
    const before = (await send('GET', `/Users/${user.id}`)).headers.get('etag')!;
    const group = (await (
      await send('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Etag Group',
        members: [{ value: user.id }],
      })
    ).json()) as any;
    expect((await send('GET', `/Users/${user.id}`, undefined, { 'if-none-match': before })).status).to.equal(200);
    const groupTag = (await send('GET', `/Groups/${group.id}`)).headers.get('etag')!;
    await send('DELETE', `/Users/${user.id}`);
    const after = await send('GET', `/Groups/${group.id}`, undefined, { 'if-none-match': groupTag });
    expect(after.status).to.equal(200);
    expect(((await after.json()) as any).members).to.deep.equal([]);
  });

  it('removes a deleted nested group from its parent group', async function () {
    const G = 'urn:ietf:params:scim:schemas:core:2.0:Group';
    const child = (await (await send('POST', '/Groups', { schemas: [G], displayName: 'Child' })).json()) as any;
    const parent = (await (
      await send('POST', '/Groups', { schemas: [G], displayName: 'Parent', members: [{ value: child.id }] })
    ).json()) as any;
    expect((await send('DELETE', `/Groups/${child.id}`)).status).to.equal(204);
    const read = (await (await send('GET', `/Groups/${parent.id}`)).json()) as any;
    expect(read.members).to.deep.equal([]);
  });
});

describe('GET /healthz', function () {
  it('answers 503 with the failing part when Temporal is not configured', async function () {
    const server = await startConformanceServer();
    try {
      const res = await fetch(`${server.origin}/healthz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.include({ ok: false });
    } finally {
      await server.close();
    }
  });
});
