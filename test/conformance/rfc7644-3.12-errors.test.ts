// test/conformance/rfc7644-3.12-errors.test.ts: RFC 7644 §3.12 errors: auth, tenant isolation, bad input, size limits; never a 500.
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
import type { ConformanceServer, ScimResponse, TestDirectory } from '../helpers/conformance-server';

function expectScimError(res: ScimResponse, status: number, scimType?: string): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers.get('content-type')).to.contain('application/scim+json');
  expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
  expect(res.body.status).to.equal(String(status));
  expect(res.body.detail).to.be.a('string').and.not.equal('');
  if (scimType) expect(res.body.scimType).to.equal(scimType);
}

describe('RFC 7644 §3.12 error responses', function () {
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

  describe('authentication and tenant isolation', function () {
    it('answers 401 with a SCIM error and WWW-Authenticate without a token, with a bad token, or with another scheme', async function () {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer not-a-real-token' },
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      ]) {
        const res = await call(dir, 'GET', '/Users', { token: null, headers });
        expectScimError(res, 401);
        expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      }
    });

    it('writes nothing for an unauthenticated POST', async function () {
      expectScimError(await call(dir, 'POST', '/Users', { token: null, body: userBody('sneaky@example.test') }), 401);
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    it('answers a token of directory A on directory B with 404 and none of B’s data, for reads and writes', async function () {
      const other = await server.newDirectory();
      const victimId = await createUser(other, 'victim@example.test', { title: 'Secret Title' });
      const attacker = { ...other, token: dir.token };
      for (const [method, path, body] of [
        ['GET', '/Users'],
        ['GET', `/Users/${victimId}`],
        ['GET', '/Users?filter=userName%20eq%20%22victim%40example.test%22'],
        ['POST', '/Users', userBody('planted@example.test')],
        ['DELETE', `/Users/${victimId}`],
        ['GET', '/ServiceProviderConfig'],
      ] as [string, string, unknown?][]) {
        const res = await call(attacker, method, path, { body });
        expectScimError(res, 404);
        expect(res.text, `${method} ${path}`).to.not.match(/victim|Secret Title/);
        expect(res.text).to.not.contain(victimId);
      }
      const list = await call(other, 'GET', '/Users');
      expect(list.body.totalResults).to.equal(1);
      expect(list.body.Resources[0].title).to.equal('Secret Title');
    });

    it('answers 404 when a directory’s own token asks for another directory’s resource id', async function () {
      const other = await server.newDirectory();
      const foreignId = await createUser(other, 'foreign@example.test');
      expectScimError(await call(dir, 'GET', `/Users/${foreignId}`), 404);
      expectScimError(await call(dir, 'DELETE', `/Users/${foreignId}`), 404);
      expect((await call(other, 'GET', `/Users/${foreignId}`)).status).to.equal(200);
    });
  });

  describe('bad input', function () {
    it('answers malformed JSON, an empty body and a non-object body with 400 invalidSyntax', async function () {
      for (const body of ['{"schemas": [', '', '[1, 2]', 'null']) {
        const res = await call(dir, 'POST', '/Users', { body, headers: { 'content-type': 'application/scim+json' } });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
        if (body === '{"schemas": [' || body === '') expect(res.body.scimType).to.equal('invalidSyntax');
      }
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    it('answers a value of the wrong type with 400 invalidValue and creates nothing', async function () {
      const bodies = [
        { schemas: [USER_SCHEMA], userName: 'w@example.test', active: 'maybe' },
        { schemas: [USER_SCHEMA], userName: 'y@example.test', name: 'not an object' },
        { schemas: [USER_SCHEMA], userName: 'z@example.test', emails: [{ value: { nested: true } }] },
      ];
      for (const body of bodies) expectScimError(await call(dir, 'POST', '/Users', { body }), 400, 'invalidValue');
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    // Unknown extra schema URNs are ignored on purpose (DIALECTS.md rule 9: Entra's ADSCIM group URI); a body that names
    // another resource type's core schema instead of the endpoint's is not unknown input but the wrong resource.
    it('answers a body whose schemas name another resource type (Group on /Users) with 400 invalidValue', async function () {
      expectScimError(
        await call(dir, 'POST', '/Users', { body: { schemas: [GROUP_SCHEMA], userName: 'x@example.test' } }),
        400,
        'invalidValue',
      );
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    it('answers a non-JSON content type with 415 (or 400) and creates nothing', async function () {
      const res = await call(dir, 'POST', '/Users', {
        body: '<User><userName>x</userName></User>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(res.status).to.be.oneOf([415, 400]);
      expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    it('answers a body over the limit with 413, whether Content-Length announces it or it streams in chunks', async function () {
      const big = JSON.stringify(userBody('big@example.test', { nickName: 'x'.repeat(server.limits.maxBodyBytes) }));
      expectScimError(await call(dir, 'POST', '/Users', { body: big }), 413);

      const chunks = [big.slice(0, 1000), big.slice(1000)];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      const res = await fetch(`${dir.baseUrl}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
        body: stream,
        duplex: 'half',
      });
      expect(res.status).to.equal(413);
      expect((await call(dir, 'GET', '/Users')).body.totalResults).to.equal(0);
    });

    it('answers an overlong filter and an undecodable query with 4xx, not 500', async function () {
      // 11,000 characters: past the filter limit, still inside Node's 16 KiB header limit (beyond it Node answers 431 itself).
      const long = await call(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${'a'.repeat(11_000)}"`)}`);
      expectScimError(long, 400, 'invalidFilter');
      const garbled = await call(dir, 'GET', '/Users?filter=userName%20eq%20%22%E0%A4%A%22');
      expect(garbled.status).to.be.within(200, 499);
    });
  });

  describe('unknown endpoints and methods', function () {
    it('answers an unknown endpoint with a 404 SCIM error', async function () {
      expectScimError(await call(dir, 'GET', '/Widgets'), 404);
    });

    it('answers an unsupported method on a collection with 405, not 500', async function () {
      const res = await call(dir, 'DELETE', '/Users');
      expect(res.status).to.equal(405);
      expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    });
  });
});
