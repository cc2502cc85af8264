// test/integration/health.test.ts: /healthz answers promptly with its JSON shape and names what failed, whatever is down.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { expect } from 'chai';
import { createApp } from '../../api/app';
import { checkHealth } from '../../api/health';
import { createStores } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { openDatabase } from '../../store/db';
import { DEFAULT_LIMITS } from '../helpers/conformance-server';
import { freePort } from '../helpers/scim2-server';
import { eventually, startStack } from '../helpers/stack';
import { getTestTemporal } from '../helpers/temporal';

describe('GET /healthz', function () {
  // A hang is the failure this suite exists to catch: every case must finish well inside this.
  this.timeout(5_000);
  let stores: Stores;
  let blackhole: net.Server;
  const sockets = new Set<net.Socket>();
  const connections: Connection[] = [];

  before(async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-health-'));
    stores = createStores(await openDatabase({ file: path.join(dataDir, 'scimflow.sqlite'), synchronous: 'NORMAL' }));
    // Accepts connections and never says a word: a Temporal frontend that hangs (or a half-dead load balancer).
    blackhole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  after(async function () {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackhole.close(resolve));
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    stores.db.close();
  });

  const clientAt = (address: string) => {
    const connection = Connection.lazy({ address });
    connections.push(connection);
    return new Client({ connection, namespace: 'default' });
  };

  it('names Temporal when it accepts connections but never answers, and the worker as unknown', async function () {
    const address = `127.0.0.1:${(blackhole.address() as AddressInfo).port}`;
    const report = await checkHealth(stores, clientAt(address), 'default');
    expect(report).to.deep.equal({
      ok: false,
      database: true,
      temporal: false,
      worker: false,
      detail: 'temporal: no answer within 800 ms; worker: unknown while Temporal does not answer',
    });
  });

  it('names Temporal when nothing listens at its address', async function () {
    const report = await checkHealth(stores, clientAt(`127.0.0.1:${await freePort()}`), 'default');
    expect(report).to.include({ ok: false, database: true, temporal: false, worker: false });
    expect(report.detail).to.match(/^temporal: .+; worker: unknown while Temporal does not answer$/);
  });

  it('answers 503 with the report over HTTP while Temporal hangs', async function () {
    const address = `127.0.0.1:${(blackhole.address() as AddressInfo).port}`;
    const app = createApp({
      stores,
      poke: () => undefined,
      limits: DEFAULT_LIMITS,
      temporal: { client: clientAt(address), namespace: 'default', poker: undefined as never },
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.include({ ok: false, database: true, temporal: false, worker: false });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 200 with every part true on a running stack (API, Temporal, a polling worker)', async function () {
    this.timeout(60_000);
    const stack = await startStack();
    try {
      await eventually(async () => (await fetch(`${stack.baseUrl}/healthz`)).status === 200, 30_000);
      const res = await fetch(`${stack.baseUrl}/healthz`);
      expect(await res.json()).to.deep.equal({ ok: true, database: true, temporal: true, worker: true });
    } finally {
      await stack.stop();
    }
  });

  it('names the worker when Temporal answers but nobody polls the task queue', async function () {
    this.timeout(30_000);
    const temporal = getTestTemporal();
    const connection = await Connection.connect({ address: temporal.address });
    connections.push(connection);
    const client = new Client({ connection, namespace: temporal.namespace });
    const namespace = `health-${Date.now()}`; // a namespace no worker of this run polls
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(86_400_000),
    });
    const report = await eventually(async () => {
      const r = await checkHealth(stores, client, namespace);
      return r.temporal && !/worker: (?!none)/.test(r.detail ?? '') ? r : undefined;
    }, 20_000);
    expect(report).to.deep.equal({
      ok: false,
      database: true,
      temporal: true,
      worker: false,
      detail: 'worker: none polled scimflow-identities in the last 60 s',
    });
  });
});
