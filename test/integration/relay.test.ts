// test/integration/relay.test.ts: the outbox relay: SCIM writes keep landing while Temporal is unreachable, and converge later.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { createApp } from '../../api/app';
import { Poker } from '../../api/poke';
import { findFreePort } from '../../runtime/ports';
import { identityWorkflowId } from '../../workflows/contracts';
import type { Stack } from '../helpers/stack';
import { eventually, FAST_RETRY, scim, startStack } from '../helpers/stack';
import { openOther } from '../helpers/store-kinds';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('outbox relay', function () {
  let stack: Stack;
  before(async function () {
    stack = await startStack({ relay: false }); // this test runs its own relay
  });
  after(async () => stack?.stop());

  /** An API on a port of its own whose writes are poked by `poker`; `close` stops listening. */
  async function apiPokingWith(poker: Poker): Promise<{ base: string; close: () => Promise<void> }> {
    const koa = createApp({
      stores: stack.stores,
      poke: poker.poke,
      limits: { maxBodyBytes: 1_048_576, bulkMaxOperations: 1000, maxPageSize: 1000 },
    });
    const server: Server = await new Promise((resolve) => {
      const s = koa.listen(0, '127.0.0.1', () => resolve(s));
    });
    return {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** A poker whose Temporal address answers nothing: each signal fails after one try. */
  async function pokerOfADeadTemporal(): Promise<{ deadPoker: Poker; deadConnection: Connection }> {
    const deadConnection = Connection.lazy({
      address: `127.0.0.1:${await findFreePort()}`,
      connectTimeout: '1s',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
    return {
      deadConnection,
      deadPoker: new Poker(new Client({ connection: deadConnection }), stack.stores, { concurrency: 4 }),
    };
  }

  /**
   * A relay that neither its interval nor the events' age would make look within a test: only a wake-up can. On
   * PostgreSQL it is another process's (its own connections; woken by NOTIFY); on SQLite the relay of a database file
   * runs in its writer's process, so it shares the writer's store.
   */
  async function relayOnlyAWakeUpStarts(): Promise<{ stop(): Promise<void> }> {
    const other = stack.stores.kind === 'postgres' ? await openOther(stack.stores, stack.databaseTarget) : undefined;
    const relay = new Poker(stack.client, other?.stores ?? stack.stores, {
      relayAfterMs: 600_000,
      relayIntervalMs: 600_000,
      workflowInput: { retry: FAST_RETRY },
    });
    relay.startRelay();
    return {
      stop: async () => {
        await relay.stop();
        await other?.close();
      },
    };
  }

  it('accepts SCIM writes while Temporal is unreachable and delivers them once it is back', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'relay', dialect: 'generic' });
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: {},
    });

    // An API whose Temporal address answers nothing: the IdP still gets its 201s, the events stay undelivered.
    const { deadPoker, deadConnection } = await pokerOfADeadTemporal();
    const { base, close } = await apiPokingWith(deadPoker);
    const ids: string[] = [];
    for (const userName of ['r1@acme.test', 'r2@acme.test', 'r3@acme.test']) {
      const res = await scim(base, token, 'POST', `/scim/v2/${directory.id}/Users`, { schemas: [USER], userName });
      expect(res.status).to.equal(201);
      ids.push(res.body.id as string);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stack.stores.events.list(directory.id)).filter((e) => e.deliveredAt !== null)).to.have.length(0);
    expect(await stack.stores.localAccounts.list(app.id)).to.have.length(0);
    await close();
    await deadPoker.stop(100);
    await deadConnection.close().catch(() => undefined);

    // Temporal is reachable again: the relay finds the undelivered events and pokes their workflows.
    const relay = new Poker(stack.client, stack.stores, {
      relayAfterMs: 0,
      relayIntervalMs: 200,
      workflowInput: { retry: FAST_RETRY },
    });
    relay.startRelay();
    try {
      await eventually(async () => (await stack.stores.localAccounts.list(app.id)).length === 3);
      await eventually(async () => (await stack.stores.events.list(directory.id)).every((e) => e.deliveredAt !== null));
      for (const id of ids)
        await eventually(async () => (await stack.stores.applied.progress(directory.id, id))?.lifecycle === 'active');
      expect(await stack.stores.applied.lag(directory.id)).to.include({ unprocessedEvents: 0, identitiesBehind: 0 });
    } finally {
      await relay.stop();
    }
  });

  it('hands a write whose poke failed to a relay at once, waking it (another process, on PostgreSQL)', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'handover', dialect: 'generic' });
    const relay = await relayOnlyAWakeUpStarts();
    const { deadPoker, deadConnection } = await pokerOfADeadTemporal();
    const { base, close } = await apiPokingWith(deadPoker);
    try {
      const res = await scim(base, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName: 'handed@acme.test',
      });
      expect(res.status).to.equal(201);
      await eventually(async () => (await stack.stores.events.list(directory.id)).every((e) => e.deliveredAt !== null));
      expect(deadPoker.stats.failures).to.be.greaterThan(0);
      // Delivered means signalled: the identity's workflow exists.
      const handle = stack.client.workflow.getHandle(identityWorkflowId(directory.id, res.body.id as string));
      expect((await handle.describe()).workflowId).to.equal(handle.workflowId);
    } finally {
      await close();
      await deadPoker.stop(100);
      await deadConnection.close().catch(() => undefined);
      await relay.stop();
    }
  });

  it('hands what a stopping API had queued or in flight to a relay, at once', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'stopping', dialect: 'generic' });
    const relay = await relayOnlyAWakeUpStarts();
    // A Temporal that accepts connections and never answers: the stopping API's signals stay in flight or queued.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentConnection = Connection.lazy({
      address: `127.0.0.1:${(silent.address() as AddressInfo).port}`,
      connectTimeout: '5m',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
    const stuck = new Poker(new Client({ connection: silentConnection }), stack.stores, { concurrency: 1 });
    const { base, close } = await apiPokingWith(stuck);
    try {
      for (const userName of ['s1@acme.test', 's2@acme.test', 's3@acme.test']) {
        const res = await scim(base, token, 'POST', `/scim/v2/${directory.id}/Users`, { schemas: [USER], userName });
        expect(res.status).to.equal(201);
      }
      expect(stuck.stats.inFlight + stuck.stats.pending).to.equal(3); // one in flight, two queued; none failed
      await stuck.stop(100);
      await eventually(async () => (await stack.stores.events.list(directory.id)).every((e) => e.deliveredAt !== null));
      expect(stuck.stats.failures).to.equal(0);
    } finally {
      await close();
      // The stopped API's call still in flight ends when its connection is cut, before the connection is closed.
      silent.close();
      for (const socket of sockets) socket.destroy();
      await eventually(() => stuck.stats.inFlight === 0);
      await silentConnection.close().catch(() => undefined);
      await relay.stop();
    }
  });
});
