// test/conformance/rfc7644-3.4-query-results.test.ts: RFC 7644 §3.4.2.3–3.4.2.5 sorting, paging and attribute projection.
import { expect } from 'chai';
import {
  call,
  createUser,
  ENTERPRISE_SCHEMA,
  LIST_SCHEMA,
  startConformanceServer,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { createSamplePeople, useConformanceServer } from '../helpers/conformance-fixtures';

describe('RFC 7644 §3.4 query results: sorting, paging, projection', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  const created: string[] = []; // ids in creation order

  const names = (body: { Resources?: { userName: string }[] }) =>
    (body.Resources ?? []).map((r) => r.userName.split('@')[0]!);
  const list = async (query: string) => {
    const res = await call(dir, 'GET', `/Users?${query}`);
    expect(res.status, `${query}: ${res.text}`).to.equal(200);
    expect(res.body.schemas).to.deep.equal([LIST_SCHEMA]);
    return res.body;
  };

  const suite = useConformanceServer();
  before(async function () {
    server = suite.server;
    dir = await server.newDirectory();
    created.push(...(await createSamplePeople(dir)));
  });

  describe('sortBy and sortOrder (§3.4.2.3)', function () {
    it('sorts ascending by default and case-insensitively for caseExact=false strings', async function () {
      expect(names(await list('sortBy=userName'))).to.deep.equal(['alice', 'Bob', 'carol', 'dave', 'erin']);
    });

    it('sorts descending on request', async function () {
      expect(names(await list('sortBy=userName&sortOrder=descending'))).to.deep.equal([
        'erin',
        'dave',
        'carol',
        'Bob',
        'alice',
      ]);
    });

    it('puts resources without the sort attribute last when ascending and first when descending', async function () {
      expect(names(await list('sortBy=name.familyName'))).to.deep.equal(['erin', 'carol', 'Bob', 'alice', 'dave']);
      expect(names(await list('sortBy=name.familyName&sortOrder=descending'))).to.deep.equal([
        'dave',
        'alice',
        'Bob',
        'carol',
        'erin',
      ]);
    });

    it('sorts a filtered, paged result before paging', async function () {
      const body = await list(
        `filter=${encodeURIComponent('userName ew "@example.test"')}&sortBy=userName&startIndex=2&count=2`,
      );
      expect(body.totalResults).to.equal(5);
      expect(names(body)).to.deep.equal(['Bob', 'carol']);
    });

    it('rejects an unknown sortOrder with 400', async function () {
      const res = await call(dir, 'GET', '/Users?sortBy=userName&sortOrder=sideways');
      expect(res.status).to.equal(400);
    });
  });

  describe('startIndex and count (§3.4.2.4)', function () {
    it('pages through every resource exactly once in a stable order', async function () {
      const seen: string[] = [];
      for (let start = 1; start <= 5; start += 2) {
        const body = await list(`startIndex=${start}&count=2`);
        expect(body).to.include({ totalResults: 5, startIndex: start, itemsPerPage: Math.min(2, 6 - start) });
        seen.push(...body.Resources.map((r: { id: string }) => r.id));
      }
      expect(seen).to.deep.equal(created);
    });

    it('treats startIndex below 1 as 1', async function () {
      for (const start of ['0', '-5']) {
        const body = await list(`startIndex=${start}&count=1`);
        expect(body.startIndex).to.equal(1);
        expect(body.Resources.map((r: { id: string }) => r.id)).to.deep.equal([created[0]]);
      }
    });

    it('answers count=0 and negative counts with totalResults and no resources', async function () {
      for (const count of ['0', '-1']) {
        const body = await list(`count=${count}`);
        expect(body.totalResults).to.equal(5);
        expect(body.itemsPerPage).to.equal(0);
        expect(body.Resources ?? []).to.deep.equal([]);
      }
    });

    it('answers a startIndex past the end with the total and an empty page', async function () {
      const body = await list('startIndex=10&count=5');
      expect(body).to.include({ totalResults: 5, startIndex: 10, itemsPerPage: 0 });
      expect(body.Resources ?? []).to.deep.equal([]);
    });

    it('rejects a non-numeric count with 400', async function () {
      expect((await call(dir, 'GET', '/Users?count=lots')).status).to.equal(400);
    });

    it('clamps count to the server maximum page size', async function () {
      const small = await startConformanceServer({ maxPageSize: 3 });
      try {
        const other = await small.newDirectory();
        for (let i = 0; i < 5; i += 1) await createUser(other, `u${i}@example.test`);
        for (const query of ['count=100', '', `filter=${encodeURIComponent('userName sw "u"')}&count=1000000`]) {
          const res = await call(other, 'GET', `/Users?${query}`);
          expect(res.body.totalResults, query).to.equal(5);
          expect(res.body.Resources, query).to.have.length(3);
          expect(res.body.itemsPerPage, query).to.equal(3);
        }
      } finally {
        await small.close();
      }
    });
  });

  describe('attributes and excludedAttributes (§3.4.2.5)', function () {
    it('returns only the requested attributes plus those always returned', async function () {
      const body = await list('attributes=userName&filter=userName%20eq%20%22alice%40example.test%22');
      const [alice] = body.Resources;
      expect(alice).to.include({ userName: 'alice@example.test', id: created[0] });
      expect(alice).to.not.have.any.keys('name', 'title', 'emails');
    });

    it('projects sub-attributes and URN-qualified extension attributes', async function () {
      const res = await call(dir, 'GET', `/Users/${created[0]}?attributes=name.givenName`);
      expect(res.body.name).to.deep.equal({ givenName: 'Alice' });
      const ext = await call(dir, 'GET', `/Users/${created[2]}?attributes=${ENTERPRISE_SCHEMA}:department`);
      expect(ext.body[ENTERPRISE_SCHEMA]).to.deep.equal({ department: 'Sales' });
      expect(ext.body).to.not.have.any.keys('name', 'userName');
    });

    it('keeps meta beside the requested attributes, as the ETag header it goes with (excludedAttributes=meta drops it)', async function () {
      const res = await call(dir, 'GET', `/Users/${created[0]}?attributes=userName`);
      expect(res.body).to.have.all.keys('schemas', 'id', 'userName', 'meta');
      expect(res.body.meta.version).to.equal(res.headers.get('etag'));
      const listed = (await list('attributes=userName')).Resources[0];
      expect(listed.meta).to.include({ resourceType: 'User' });
      const parts = await call(dir, 'GET', `/Users/${created[0]}?attributes=userName,meta.created`);
      expect(Object.keys(parts.body.meta)).to.deep.equal(['created']);
      const excluded = await call(dir, 'GET', `/Users/${created[0]}?excludedAttributes=meta`);
      expect(excluded.body).to.not.have.property('meta');
    });

    it('drops excluded attributes but never id', async function () {
      const res = await call(dir, 'GET', `/Users/${created[0]}?excludedAttributes=emails,name,id`);
      expect(res.body).to.include({ id: created[0], userName: 'alice@example.test', title: 'Engineer' });
      expect(res.body).to.not.have.any.keys('emails', 'name');
    });
  });
});
