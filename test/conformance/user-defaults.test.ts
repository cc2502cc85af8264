// test/conformance/user-defaults.test.ts: what the server fills in or drops on writes (active default, password),
// root-level search, versions changed through another resource, and /healthz without Temporal.
import { expect } from 'chai';
import { useConformanceServer } from '../helpers/conformance-fixtures';
import type { TestDirectory } from '../helpers/conformance-server';
import { call, GROUP_SCHEMA, PATCH_SCHEMA, SEARCH_SCHEMA, USER_SCHEMA } from '../helpers/conformance-server';

const body = (res: { body: unknown }) => res.body as Record<string, any>;

describe('server-side defaults and derived state', function () {
  const suite = useConformanceServer();
  let dir: TestDirectory;

  describe('user defaults and secrets', function () {
    before(async function () {
      dir = await suite.server.newDirectory('generic');
    });

    it('treats a user created without active as active, and a filter on active agrees', async function () {
      const created = await call(dir, 'POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: 'no.active@example.test' },
      });
      expect(created.status).to.equal(201);
      expect(body(created).active).to.equal(true);
      const filter = encodeURIComponent('active eq true and userName eq "no.active@example.test"');
      expect(body(await call(dir, 'GET', `/Users?filter=${filter}`)).totalResults).to.equal(1);
    });

    it('never stores nor returns a password the IdP sends', async function () {
      const created = await call(dir, 'POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: 'pw@example.test', password: 'hunter2' },
      });
      expect(created.status).to.equal(201);
      expect(body(created)).to.not.have.property('password');
      const row = (await suite.server.stores.resources.get(dir.id, 'User', body(created).id as string))!;
      expect(JSON.stringify(row.doc)).to.not.include('hunter2');
      const asked = await call(dir, 'GET', `/Users/${body(created).id}?attributes=password,userName`);
      expect(body(asked)).to.not.have.property('password');
    });

    it('keeps group documents free of user-only defaults after a PATCH', async function () {
      const group = body(
        await call(dir, 'POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Defaults' } }),
      );
      const patched = await call(dir, 'PATCH', `/Groups/${group.id}`, {
        body: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'Defaults 2' }] },
      });
      expect(patched.status).to.equal(204);
      const row = (await suite.server.stores.resources.get(dir.id, 'Group', group.id as string))!;
      expect(row.doc).to.not.have.property('active');
    });
  });

  describe('root-level search (RFC 7644 §3.4.3)', function () {
    before(async function () {
      dir = await suite.server.newDirectory('generic');
    });

    it('searches users and groups together with one filter and one page', async function () {
      await call(dir, 'POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'root.search@example.test' } });
      await call(dir, 'POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Root Search' } });
      const res = await call(dir, 'POST', '/.search', {
        body: { schemas: [SEARCH_SCHEMA], filter: 'meta.resourceType pr', count: 1 },
      });
      expect(res.status).to.equal(200);
      expect(body(res).totalResults).to.equal(2);
      expect(body(res).Resources).to.have.length(1);
      expect(body(res).Resources[0].meta.resourceType).to.equal('User');
    });
  });

  describe('versions of resources changed through another resource', function () {
    before(async function () {
      dir = await suite.server.newDirectory('generic');
    });

    it("changes a user's ETag when its groups change, and a group's when a member is deleted", async function () {
      const user = body(
        await call(dir, 'POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'etag.member@example.test' } }),
      );
      const before = (await call(dir, 'GET', `/Users/${user.id}`)).headers.get('etag')!;
      const group = body(
        await call(dir, 'POST', '/Groups', {
          body: { schemas: [GROUP_SCHEMA], displayName: 'Etag Group', members: [{ value: user.id }] },
        }),
      );
      expect((await call(dir, 'GET', `/Users/${user.id}`, { headers: { 'if-none-match': before } })).status).to.equal(
        200,
      );
      const groupTag = (await call(dir, 'GET', `/Groups/${group.id}`)).headers.get('etag')!;
      expect((await call(dir, 'DELETE', `/Users/${user.id}`)).status).to.equal(204);
      const after = await call(dir, 'GET', `/Groups/${group.id}`, { headers: { 'if-none-match': groupTag } });
      expect(after.status).to.equal(200);
      expect(body(after).members).to.deep.equal([]);
    });

    it('removes a deleted nested group from its parent group', async function () {
      const child = body(
        await call(dir, 'POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Child' } }),
      );
      const parent = body(
        await call(dir, 'POST', '/Groups', {
          body: { schemas: [GROUP_SCHEMA], displayName: 'Parent', members: [{ value: child.id }] },
        }),
      );
      expect((await call(dir, 'DELETE', `/Groups/${child.id}`)).status).to.equal(204);
      expect(body(await call(dir, 'GET', `/Groups/${parent.id}`)).members).to.deep.equal([]);
    });
  });

  describe('HTTP details of the spliced answers', function () {
    before(async function () {
      dir = await suite.server.newDirectory('generic');
    });

    it('types answers application/scim+json however the client cases the path', async function () {
      const upper = dir.baseUrl.replace('/scim/v2/', '/SCIM/V2/');
      const res = await fetch(`${upper}/Users?count=1`, { headers: { authorization: `Bearer ${dir.token}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/scim\+json/);
    });

    it('answers /Schemas/{id} for a schema URN longer than 100 characters', async function () {
      const urn = `urn:example:params:scim:schemas:extension:${'a'.repeat(90)}:2.0:User`;
      const other = await suite.server.newDirectory('generic');
      await suite.server.stores.directories.updateConfig(other.id, {
        userExtensions: [{ id: urn, name: 'Long', attributes: [{ name: 'badge', type: 'string' }] }],
      });
      const res = await call(other, 'GET', `/Schemas/${encodeURIComponent(urn)}`);
      expect(res.status).to.equal(200);
      expect(body(res).id).to.equal(urn);
    });

    it("returns a group's display name in a member's groups exactly, lone surrogates included", async function () {
      const user = body(
        await call(dir, 'POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'sur@x.test' } }),
      );
      const displayName = 'Team \ud800 "quoted" \u2028';
      await call(dir, 'POST', '/Groups', {
        body: `{"schemas":["${GROUP_SCHEMA}"],"displayName":${JSON.stringify(displayName)},"members":[{"value":"${user.id}"}]}`,
      });
      const got = body(await call(dir, 'GET', `/Users/${user.id}`));
      expect(got.groups.map((g: { display: string }) => g.display)).to.deep.equal([displayName]);
    });
  });

  describe('GET /healthz', function () {
    it('answers 503 with the failing part when Temporal is not configured', async function () {
      const res = await fetch(`${suite.server.origin}/healthz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.include({ ok: false });
    });
  });
});
