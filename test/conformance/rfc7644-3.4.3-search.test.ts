// test/conformance/rfc7644-3.4.3-search.test.ts: RFC 7644 §3.4.3 POST /.search, and password never returned by any query.
import { expect } from 'chai';
import { call, LIST_SCHEMA, SEARCH_SCHEMA, USER_SCHEMA } from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { createSamplePeople, useConformanceServer } from '../helpers/conformance-fixtures';

describe('RFC 7644 §3.4.3 searching with POST, and password never returned', function () {
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

  describe('POST /.search (§3.4.3)', function () {
    it('answers a SearchRequest like the equivalent GET', async function () {
      const res = await call(dir, 'POST', '/Users/.search', {
        body: {
          schemas: [SEARCH_SCHEMA],
          filter: 'title pr',
          sortBy: 'userName',
          sortOrder: 'descending',
          startIndex: 1,
          count: 2,
          attributes: ['userName'],
        },
      });
      expect(res.status).to.equal(200);
      expect(res.body.schemas).to.deep.equal([LIST_SCHEMA]);
      expect(res.body.totalResults).to.equal(3);
      expect(names(res.body)).to.deep.equal(['dave', 'Bob']);
      expect(res.body.Resources[0]).to.not.have.property('title');
    });

    it('honours excludedAttributes and reports a bad filter as 400 invalidFilter', async function () {
      const ok = await call(dir, 'POST', '/Users/.search', {
        body: { schemas: [SEARCH_SCHEMA], excludedAttributes: ['name'], filter: 'userName sw "e"' },
      });
      expect(names(ok.body)).to.deep.equal(['erin']);
      expect(ok.body.Resources[0]).to.not.have.property('name');
      const bad = await call(dir, 'POST', '/Users/.search', {
        body: { schemas: [SEARCH_SCHEMA], filter: 'userName eq' },
      });
      expect(bad.status).to.equal(400);
      expect(bad.body.scimType).to.equal('invalidFilter');
    });
  });

  describe('password (returned: never, RFC 7643 §4.1.1)', function () {
    it('never returns a password: not on GET, list, .search, nor when asked for by name', async function () {
      const dave = created[3]!;
      const answers = [
        (await call(dir, 'GET', `/Users/${dave}`)).body,
        (await call(dir, 'GET', `/Users/${dave}?attributes=password,userName`)).body,
        ...(await list('filter=userName%20sw%20%22dave%22')).Resources,
        ...(
          await call(dir, 'POST', '/Users/.search', {
            body: { schemas: [SEARCH_SCHEMA], attributes: ['password'], filter: 'userName sw "dave"' },
          })
        ).body.Resources,
      ];
      expect(answers).to.have.length(4);
      for (const body of answers) {
        expect(body).to.not.have.property('password');
        expect(JSON.stringify(body)).to.not.contain('S3cret-never-returned!');
      }
    });

    it('does not echo the password in the 201 answer to the create', async function () {
      const res = await call(await server.newDirectory(), 'POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: 'frank@example.test', password: 'Hunter2-never!' },
      });
      expect(res.status).to.equal(201);
      expect(JSON.stringify(res.body)).to.not.contain('Hunter2-never!');
    });
  });
});
