// test/unit/api/request-log.test.ts: request ids and the request log (real HTTP on a Koa app, logs captured in memory).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import Koa from 'koa';
import pino from 'pino';
import { requestLog } from '../../../api/middleware/request-log';
import { scimErrors } from '../../../api/middleware/scim-errors';

describe('request log', function () {
  let server: Server;
  let base: string;
  const lines: Record<string, unknown>[] = [];

  before(async function () {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const app = new Koa();
    app.silent = true;
    app.use(requestLog(pino({ level: 'debug' }, sink)));
    app.use(scimErrors());
    app.use((ctx) => {
      ctx.state.route = '/things/:id';
      if (ctx.path === '/boom') throw new Error('database exploded at /secret/path');
      ctx.body = { ok: true };
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(function () {
    server.close();
  });

  it('answers with a request id: the caller’s when sane, a new one otherwise', async function () {
    const given = await fetch(`${base}/x`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(given.headers.get('x-request-id')).to.equal('lb-1234.abc');
    const insane = await fetch(`${base}/x`, { headers: { 'x-request-id': 'a b\tc' } });
    expect(insane.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const none = await fetch(`${base}/x`);
    expect(none.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('logs a 5xx with its failure and request id, but never headers (tokens) or internals to the client', async function () {
    lines.length = 0;
    const res = await fetch(`${base}/boom`, { headers: { authorization: 'Bearer sfdt_supersecret' } });
    expect(res.status).to.equal(500);
    expect(await res.text()).to.not.include('exploded');
    const line = lines.find((l) => l.msg === 'request failed')!;
    expect(line).to.include({ level: 50, method: 'GET', route: '/things/:id', status: 500 });
    expect(line.requestId).to.equal(res.headers.get('x-request-id'));
    expect((line.err as { message: string }).message).to.include('database exploded');
    expect(JSON.stringify(lines)).to.not.include('supersecret');
  });
});
