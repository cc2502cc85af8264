// test/integration/hostile-input.test.ts: inputs that used to stall, bloat or crash the API (issue 12) get a clear
// SCIM answer over real HTTP: huge paging values, deep nesting, long tokens, pages of huge resources, unknown paths
// without credentials, unknown identities on the admin API.
import { expect } from 'chai';
import { ADMIN_TOKEN } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

describe('hostile input gets a clear SCIM answer (issue 12)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let dir: string;
  let token: string;
  let base: string;

  before(async function () {
    stack = await startStack({ worker: false });
    const created = await stack.stores.directories.create({ name: 'hostile', dialect: 'generic' });
    dir = created.directory.id;
    token = created.token;
    base = `/scim/v2/${dir}`;
  });
  after(async () => stack?.stop());

  const raw = (method: string, path: string, body?: string, auth: string | null = token) =>
    fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: {
        ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
        'content-type': 'application/scim+json',
      },
      ...(body === undefined ? {} : { body }),
    }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => undefined)) as any }));

  it('clamps startIndex and count instead of answering 500 or echoing 1e+300', async function () {
    for (const startIndex of ['9223372036854775808', '1e300', '18446744073709551616']) {
      const res = await raw('GET', `${base}/Users?startIndex=${startIndex}&count=1e300`);
      expect(res.status, startIndex).to.equal(200);
      expect(res.body).to.include({ startIndex: 2 ** 31, itemsPerPage: 0 });
      expect(JSON.stringify(res.body)).not.to.include('e+');
    }
    const bad = await raw('GET', `${base}/Users?startIndex=1e400`);
    expect([bad.status, bad.body.scimType]).to.deep.equal([400, 'invalidValue']);
    const search = await raw('POST', `${base}/Users/.search`, JSON.stringify({ schemas: [SEARCH], startIndex: 1e300 }));
    expect([search.status, search.body.startIndex]).to.deep.equal([200, 2 ** 31]);
  });

  it('refuses deeply nested bodies with 400 invalidSyntax, in .search and in Bulk', async function () {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const search = await raw('POST', `${base}/.search`, `{"schemas":["${SEARCH}"],"attributes":${deep}}`);
    expect([search.status, search.body.scimType]).to.deep.equal([400, 'invalidSyntax']);
    expect(search.body.detail).to.match(/nests deeper than 64 levels/);
    const bulk = await raw(
      'POST',
      `${base}/Bulk`,
      `{"schemas":["${BULK}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"x","nickName":${deep}}}]}`,
    );
    expect([bulk.status, bulk.body.scimType]).to.deep.equal([400, 'invalidSyntax']);
    // A shallow but wrong attributes list is an invalid value, not a crash.
    const wrong = await raw(
      'POST',
      `${base}/.search`,
      JSON.stringify({ schemas: [SEARCH], attributes: [['userName']] }),
    );
    expect([wrong.status, wrong.body.scimType]).to.deep.equal([400, 'invalidValue']);
    expect(await stack.stores.resources.count(dir, 'User')).to.equal(0); // nothing stored by any of them
  });

  it('sends a page of huge resources within its byte budget, itemsPerPage honest, the rest on the next page', async function () {
    const big = (n: number) =>
      Array.from({ length: 14 }, (_, i) => ({ value: `${'x'.repeat(65_000)}${n}-${i}@acme.test`, type: 'work' }));
    for (let n = 0; n < 6; n++) {
      const res = await scim(stack.baseUrl, token, 'POST', `${base}/Users`, {
        schemas: [USER],
        userName: `big${n}@acme.test`,
        emails: big(n),
      });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(201);
    }
    const first = await raw('GET', `${base}/Users?count=100`);
    expect(first.status).to.equal(200);
    expect(first.body.totalResults).to.equal(6);
    expect(first.body.itemsPerPage).to.equal(first.body.Resources.length);
    expect(first.body.itemsPerPage).to.be.within(1, 5); // 6 × 910 KB do not fit in 4 MiB
    const next = await raw('GET', `${base}/Users?count=100&startIndex=${first.body.itemsPerPage + 1}`);
    const names = [...first.body.Resources, ...next.body.Resources].map((u: { userName: string }) => u.userName);
    expect(names.slice(0, 6).sort()).to.deep.equal([0, 1, 2, 3, 4, 5].map((n) => `big${n}@acme.test`));
    const filtered = await raw('GET', `${base}/Users?filter=${encodeURIComponent('userName sw "big"')}`);
    expect(filtered.body.itemsPerPage).to.equal(filtered.body.Resources.length).and.to.be.below(6);
  });

  it('collapses duplicate multi-valued values whatever their key order', async function () {
    const emails = Array.from({ length: 20_000 }, (_, n) => ({ value: `e${n % 10_000}@acme.test`, type: 'work' }));
    emails.push({ type: 'work', value: 'e1@acme.test' }); // the same value, its keys in another order
    const res = await scim(stack.baseUrl, token, 'POST', `${base}/Users`, {
      schemas: [USER],
      userName: 'dups@acme.test',
      emails,
    });
    expect(res.status).to.equal(201);
    expect(res.body.emails).to.have.length(10_000);
  });

  it('answers 401 before anything else under /scim/v2, and refuses absurdly long tokens without a lookup', async function () {
    const unknown = await raw('GET', `${base}/NoSuchThing`, undefined, null);
    expect(unknown.status).to.equal(401);
    expect((await raw('GET', `${base}/NoSuchThing`)).status).to.equal(404);
    expect((await raw('DELETE', `${base}/Users`, undefined, null)).status).to.equal(401);
    expect((await raw('DELETE', `${base}/Users`)).status).to.equal(405);
    const long = await raw('GET', `${base}/Users`, undefined, 'x'.repeat(300));
    expect([long.status, long.body.detail]).to.deep.equal([401, 'Invalid bearer token']);
  });

  it('answers 404 on the admin API for an unknown identity or directory', async function () {
    const admin = (method: string, path: string) => raw(method, path, undefined, ADMIN_TOKEN);
    for (const [method, path] of [
      ['GET', `/admin/directories/${dir}/identities/nope`],
      ['POST', `/admin/directories/${dir}/identities/nope/retry`],
      ['GET', `/admin/directories/nope/identities/nope`],
      ['GET', `/admin/directories/nope/lag`],
    ] as const) {
      const res = await admin(method, path);
      expect(res.status, `${method} ${path}`).to.equal(404);
    }
  });
});
