// test/integration/forward-writes.test.ts: a relaying API process sends SCIM writes to the writer, answers reads itself.
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createApp } from '../../api/app';
import fs from 'node:fs';
import {
  createWriterSocketPath,
  isScimWrite,
  listenForForwardedWrites,
  removeWriterSocket,
} from '../../api/forward-writes';
import { createStores } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { openDatabase } from '../../store/db';
import { sendRaw } from '../helpers/raw-http';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIMITS = { maxBodyBytes: 4096, bulkMaxOperations: 10, maxPageSize: 100 };

describe('write relay between API processes (api/forward-writes.ts)', function () {
  let dir: string;
  let writerStores: Stores;
  let relayStores: Stores;
  let writerServer: Server | undefined;
  let relayServer: Server;
  let socket: string;
  let origin: URL;
  let base: string;
  let token: string;
  const poked: string[] = [];

  before(async function () {
    let file: string;
    ({ dir, file, stores: writerStores } = await openTempStores('scimflow-relay-'));
    relayStores = createStores(await openDatabase({ file, synchronous: 'NORMAL' })); // the other process's connection
    const created = await writerStores.directories.create({ name: 'relay', dialect: 'generic' });
    token = created.token;
    socket = path.join(os.tmpdir(), `scimflow-relay-test-${process.pid}.sock`);
    const writer = createApp({
      stores: writerStores,
      poke: (events) => poked.push(...events.map((e) => e.kind)),
      limits: LIMITS,
    });
    writerServer = await listenForForwardedWrites(writer, socket);
    const relay = createApp({
      stores: relayStores,
      poke: () => {
        throw new Error('the relaying process never records a write');
      },
      limits: LIMITS,
      forwardWritesTo: socket,
    });
    relayServer = await new Promise<Server>((resolve) => {
      const s = relay.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = relayServer.address();
    origin = new URL(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    base = `/scim/v2/${created.directory.id}`;
  });

  after(async function () {
    await new Promise((resolve) => relayServer.close(resolve));
    if (writerServer) await new Promise((resolve) => writerServer!.close(resolve));
    relayStores.db.close();
    removeTempStores({ dir, stores: writerStores });
  });

  const call = (method: string, suffix: string, body?: unknown, headers: Record<string, string> = {}) =>
    sendRaw(origin, {
      method,
      path: `${base}${suffix}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('classifies SCIM writes (Bulk included) apart from reads and searches', function () {
    expect(isScimWrite('POST', '/scim/v2/d/Users')).to.equal(true);
    expect(isScimWrite('PATCH', '/SCIM/v2/d/Groups/g')).to.equal(true);
    expect(isScimWrite('DELETE', '/scim/v2/d/Users/u')).to.equal(true);
    expect(isScimWrite('POST', '/scim/v2/d/Bulk')).to.equal(true);
    expect(isScimWrite('POST', '/scim/v2/d/Users/.search')).to.equal(false);
    expect(isScimWrite('POST', '/scim/v2/d/.SEARCH')).to.equal(false);
    expect(isScimWrite('PUT', '/scim/v2/d/Users/.search')).to.equal(true); // only POST makes .search a query
    expect(isScimWrite('GET', '/scim/v2/d/Users')).to.equal(false);
    expect(isScimWrite('POST', '/admin/directories')).to.equal(false);
  });

  it('relays POST, PATCH and DELETE to the writer with their status, headers and body', async function () {
    const created = await call('POST', '/Users', { schemas: [USER], userName: 'relayed@x.test' });
    expect(created.status).to.equal(201);
    expect(created.headers['content-type']).to.match(/^application\/scim\+json/);
    expect(created.headers.location).to.match(/\/Users\/[0-9a-f-]+$/);
    const { id } = created.json as { id: string };
    expect(poked).to.deep.equal(['created']); // recorded (and poked) by the writer
    const patched = await call(
      'PATCH',
      `/Users/${id}`,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: 'R' }],
      },
      { 'if-match': created.headers.etag! },
    );
    expect(patched.status).to.equal(200);
    expect((patched.json as { displayName: string }).displayName).to.equal('R');
    const stale = await call('DELETE', `/Users/${id}`, undefined, { 'if-match': created.headers.etag! });
    expect(stale.status).to.equal(412); // the writer's precondition answer travels back unchanged
    expect((await call('DELETE', `/Users/${id}`)).status).to.equal(204);
    expect((await call('GET', `/Users/${id}`)).status).to.equal(404);
  });

  it('the writer’s SCIM errors travel back unchanged (409 uniqueness, 400 invalidSyntax)', async function () {
    await call('POST', '/Users', { schemas: [USER], userName: 'taken@x.test' });
    const dup = await call('POST', '/Users', { schemas: [USER], userName: 'TAKEN@x.test' });
    expect(dup.status).to.equal(409);
    expect(dup.json).to.include({ scimType: 'uniqueness', status: '409' });
    const bad = await call('POST', '/Users', '{"schemas": [');
    expect(bad.status).to.equal(400);
    expect(bad.json).to.include({ scimType: 'invalidSyntax' });
  });

  it('a client’s Connection: close ends its own connection, not the pooled one to the writer', async function () {
    for (let i = 0; i < 3; i++) {
      const created = await call(
        'POST',
        '/Users',
        { schemas: [USER], userName: `close${i}@x.test` },
        { connection: 'close' },
      );
      expect(created.status).to.equal(201);
      expect(created.headers.connection).to.equal('close');
    }
  });

  it('puts each cluster’s writer socket in a fresh directory only its user can enter, and removes both', function () {
    const socketPath = createWriterSocketPath();
    const dirOf = path.dirname(socketPath);
    expect(fs.statSync(dirOf).mode & 0o777).to.equal(0o700);
    const another = createWriterSocketPath();
    expect(path.dirname(another)).to.not.equal(dirOf);
    fs.writeFileSync(socketPath, '');
    removeWriterSocket(socketPath);
    removeWriterSocket(another);
    expect(fs.existsSync(dirOf)).to.equal(false);
    expect(fs.existsSync(path.dirname(another))).to.equal(false);
  });

  it('refuses an oversized body itself with 413, before relaying it', async function () {
    const big = await call('POST', '/Users', {
      schemas: [USER],
      userName: 'big@x.test',
      displayName: 'x'.repeat(8000),
    });
    expect(big.status).to.equal(413);
    expect(big.json).to.include({ status: '413' });
  });

  it('without a writer, writes get 503 with Retry-After while reads and searches are still answered', async function () {
    await new Promise((resolve) => writerServer!.close(resolve));
    writerServer = undefined;
    const write = await call('POST', '/Users', { schemas: [USER], userName: 'later@x.test' });
    expect(write.status).to.equal(503);
    expect(write.headers['retry-after']).to.equal('1');
    expect(write.json).to.include({ status: '503' });
    expect((write.json as { detail: string }).detail).to.match(/writer process is not available \(E[A-Z]+\); retry/);
    const list = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "taken@x.test"')}`);
    expect(list.status).to.equal(200);
    expect((list.json as { totalResults: number }).totalResults).to.equal(1);
    const search = await call('POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "taken"',
    });
    expect(search.status).to.equal(200);
    expect((search.json as { totalResults: number }).totalResults).to.equal(1);
  });
});
