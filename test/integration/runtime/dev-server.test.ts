// test/integration/runtime/dev-server.test.ts: the real Temporal CLI dev server: ports, persistence, search attributes, cleanup.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import type { DevServer } from '../../../runtime/dev-server';
import { startDevServer } from '../../../runtime/dev-server';
import { findFreePort, isPortFree } from '../../../runtime/ports';
import { ensureTemporalCli } from '../../../runtime/temporal-cli';
import { SEARCH_ATTRIBUTE_TYPES } from '../../../workflows/contracts';
import { getTestTemporal } from '../../helpers/temporal';

const REPO = path.resolve(__dirname, '../../..');

async function twoPorts(): Promise<[number, number]> {
  const port = await findFreePort();
  let uiPort = await findFreePort();
  while (uiPort === port) uiPort = await findFreePort();
  return [port, uiPort];
}

async function customAttributes(address: string, namespace = 'default'): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace });
    return { ...(response.customAttributes as Record<string, number>) };
  } finally {
    await connection.close();
  }
}

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

describe('runtime/dev-server (real Temporal CLI)', function () {
  let cliPath: string;
  let tmp: string;
  const servers: DevServer[] = [];
  const start = async (opts: Omit<Parameters<typeof startDevServer>[0], 'cliPath'>) => {
    const server = await startDevServer({ cliPath, ...opts });
    servers.push(server);
    return server;
  };

  before(async function () {
    cliPath = await ensureTemporalCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-dev-server-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives the shared test server the scimflow search attributes', async () => {
    const attributes = await customAttributes(getTestTemporal().address, getTestTemporal().namespace);
    expect(attributes).to.include({
      ScimflowDirectory: 2,
      ScimflowUserName: 2,
      ScimflowLifecycle: 2,
      ScimflowException: 5,
    });
  });

  it('fails within a second, naming TEMPORAL_PORT, when the gRPC port is taken', async () => {
    const [port, uiPort] = await twoPorts();
    const holder = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      const began = Date.now();
      await expect(start({ port, uiPort, searchAttributes: {} })).to.be.rejectedWith(
        `Port ${port} is already in use (TEMPORAL_PORT)`,
      );
      expect(Date.now() - began).to.be.below(1_000);
    } finally {
      holder.close();
    }
  });

  it('fails naming TEMPORAL_UI_PORT when the UI port is taken', async () => {
    const [port, uiPort] = await twoPorts();
    const holder = net.createServer().listen(uiPort, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      await expect(start({ port, uiPort, searchAttributes: {} })).to.be.rejectedWith(
        `Port ${uiPort} is already in use (TEMPORAL_UI_PORT)`,
      );
    } finally {
      holder.close();
    }
  });

  it('keeps a running workflow across a stop and a restart on the same database file', async () => {
    const [port, uiPort] = await twoPorts();
    const dbFile = path.join(tmp, 'nested', 'persist.sqlite');
    const first = await start({ port, uiPort, dbFile, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
    const workflowId = `survives-restart-${Date.now()}`;
    const runId = await withClient(first.address, async (client) => {
      // No worker polls this queue, so the workflow stays RUNNING with its first task pending.
      const handle = await client.workflow.start('notRegisteredAnywhere', { taskQueue: 'nobody-polls', workflowId });
      return handle.firstExecutionRunId;
    });
    await first.stop();
    expect(await isPortFree(port)).to.equal(true);

    const second = await start({ port, uiPort, dbFile, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
    const description = await withClient(second.address, (client) => client.workflow.getHandle(workflowId).describe());
    expect(description.status.name).to.equal('RUNNING');
    expect(description.runId).to.equal(runId);
  });

  it('adds search attributes that an existing database file lacks, usable at once', async () => {
    const [port, uiPort] = await twoPorts();
    const dbFile = path.join(tmp, 'attributes.sqlite');
    const first = await start({ port, uiPort, dbFile, searchAttributes: { ScimflowDirectory: 'Keyword' } });
    await first.stop();

    const second = await start({ port, uiPort, dbFile, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
    expect(await customAttributes(second.address)).to.include({ ScimflowDirectory: 2, ScimflowException: 5 });
    const memo = await withClient(second.address, async (client) => {
      const handle = await client.workflow.start('notRegisteredAnywhere', {
        taskQueue: 'nobody-polls',
        workflowId: `uses-new-attribute-${Date.now()}`,
        searchAttributes: { ScimflowException: [true] },
      });
      return (await handle.describe()).searchAttributes;
    });
    expect(memo).to.deep.include({ ScimflowException: [true] });
  });

  it('refuses to start when an attribute exists with another type, and frees its ports', async () => {
    const [port, uiPort] = await twoPorts();
    const dbFile = path.join(tmp, 'conflict.sqlite');
    const first = await start({ port, uiPort, dbFile, searchAttributes: { ScimflowException: 'Keyword' } });
    await first.stop();

    const refused = await start({ port, uiPort, dbFile, searchAttributes: { ScimflowException: 'Bool' } }).then(
      () => new Error('the server started'),
      (err: Error) => err,
    );
    // The whole message on a mismatch (chai would cut it at 40 characters): it carries the server's last output.
    expect(refused.message, refused.message).to.match(
      /ScimflowException is registered in namespace default as Keyword, but scimflow needs Bool/,
    );
    expect(await isPortFree(port)).to.equal(true);
    expect(await isPortFree(uiPort)).to.equal(true);
  });

  it("rejects with the process's last output when the server exits before it is ready", async () => {
    const fake = path.join(tmp, 'exits-early.sh');
    fs.writeFileSync(fake, '#!/bin/sh\necho "Error: unknown flag: --oops" >&2\nexit 3\n', { mode: 0o755 });
    const [port, uiPort] = await twoPorts();
    await expect(startDevServer({ cliPath: fake, port, uiPort, searchAttributes: {} })).to.be.rejectedWith(
      /exited with code 3[\s\S]*unknown flag: --oops/,
    );
  });

  it('stops the server when the process that started it is killed with SIGKILL', async () => {
    const [port, uiPort] = await twoPorts();
    const script = `
      const { startDevServer } = require(${JSON.stringify(path.join(REPO, 'runtime/dev-server.ts'))});
      startDevServer({ cliPath: ${JSON.stringify(cliPath)}, port: ${port}, uiPort: ${uiPort}, searchAttributes: {} })
        .then((server) => console.log('READY ' + server.address), (err) => { console.error(err); process.exit(1); });`;
    const parent = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
      parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    expect(await isPortFree(port)).to.equal(false);
    parent.kill('SIGKILL');

    const deadline = Date.now() + 15_000;
    while (!(await isPortFree(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await isPortFree(port)).to.equal(true);
  });
});
