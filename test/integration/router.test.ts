// test/integration/router.test.ts: the radix-tree router over real HTTP: matching rules, guards, 404/405/501, OPTIONS, HEAD.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import Koa from 'koa';
import { Routes } from '../../api/router';
import { scimErrors } from '../../api/middleware/scim-errors';

describe('Routes (find-my-way under Koa)', function () {
  let server: Server;
  let origin: string;
  const guarded: string[] = [];

  before(async function () {
    const app = new Koa();
    const scoped = new Routes('/scim/v2/:directoryId', [
      async (ctx, next) => {
        guarded.push((ctx as unknown as { params: Record<string, string> }).params.directoryId!);
        await next();
      },
    ]);
    scoped.get('/Users', (ctx) => {
      ctx.body = { route: 'list', dir: ctx.params.directoryId };
    });
    scoped.post('/Users/.search', (ctx) => {
      ctx.body = { route: 'search' };
    });
    scoped.get('/Users/:id', (ctx) => {
      ctx.body = { route: 'get', id: ctx.params.id };
    });
    scoped.all('/Me', (ctx) => {
      ctx.status = 501;
      ctx.body = { route: 'me' };
    });
    const root = new Routes();
    root.get('/healthz', (ctx) => {
      ctx.body = { ok: true };
    });
    app.use(scimErrors());
    app.use(scoped.middleware());
    app.use(root.middleware());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(function () {
    server.close();
  });

  const call = async (method: string, path: string) => {
    const res = await fetch(`${origin}${path}`, { method });
    const text = await res.text();
    return { status: res.status, allow: res.headers.get('allow'), body: text ? (JSON.parse(text) as unknown) : null };
  };

  it('matches paths case-insensitively and with a trailing slash, keeping parameter values as sent (decoded)', async function () {
    expect((await call('GET', '/scim/v2/AbC/users')).body).to.deep.equal({ route: 'list', dir: 'AbC' });
    expect((await call('GET', '/SCIM/V2/AbC/Users/')).body).to.deep.equal({ route: 'list', dir: 'AbC' });
    expect((await call('GET', '/scim/v2/d/Users/Mixed%20Case%2Fid')).body).to.deep.equal({
      route: 'get',
      id: 'Mixed Case/id',
    });
  });

  it('prefers a static segment over a parameter (/.search is not an id)', async function () {
    expect((await call('POST', '/scim/v2/d/Users/.search')).body).to.deep.equal({ route: 'search' });
    expect((await call('GET', '/scim/v2/d/Users/.search')).body).to.deep.equal({ route: 'get', id: '.search' });
  });

  it('runs the guards before every route of its table and every unknown path under its prefix (401 first)', async function () {
    guarded.length = 0;
    await call('GET', '/scim/v2/g1/Users');
    await call('GET', '/healthz');
    await call('GET', '/scim/v2/g2/Nothing');
    await call('DELETE', '/scim/v2/g3/Users');
    await call('GET', '/elsewhere/g4');
    expect(guarded).to.deep.equal(['g1', 'g2', 'g3']);
  });

  it('answers 405 with Allow for a known path and another method, 501 for an unknown method, 404 otherwise', async function () {
    const wrong = await call('DELETE', '/scim/v2/d/Users');
    expect(wrong.status).to.equal(405);
    expect(wrong.allow).to.equal('GET');
    expect(wrong.body).to.deep.include({ status: '405' });
    const unknownMethod = await call('PROPFIND', '/scim/v2/d/Users');
    expect(unknownMethod.status).to.equal(501);
    expect((await call('GET', '/scim/v2/d/Nothing')).status).to.equal(404);
    expect((await call('GET', '/nowhere')).status).to.equal(404);
  });

  it('answers OPTIONS with the allowed methods and HEAD like GET without a body', async function () {
    const options = await call('OPTIONS', '/scim/v2/d/Users/x');
    expect(options.status).to.equal(204);
    expect(options.allow).to.equal('GET');
    const head = await call('HEAD', '/scim/v2/d/Users/x');
    expect(head.status).to.equal(200);
    expect(head.body).to.equal(null);
    expect((await call('PATCH', '/scim/v2/d/Me')).status).to.equal(501);
  });
});
