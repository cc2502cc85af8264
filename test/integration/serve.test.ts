// test/integration/serve.test.ts: the README's first command end to end: serve, CLI, SCIM joiner/leaver, Ctrl-C, restart.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { findFreePort, isPortFree } from '../../runtime/ports';
import { identityWorkflowId } from '../../workflows/contracts';
import { runCli, runCliJson, startCli } from '../helpers/cli';
import { eventually } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('scimflow serve (the one command)', function () {
  let env: Record<string, string>;
  let dataDir: string;
  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-serve-'));
    env = {
      DATA_DIR: dataDir,
      PORT: String(await findFreePort()),
      TEMPORAL_PORT: String(await findFreePort()),
      TEMPORAL_UI_PORT: String(await findFreePort()),
      TEMPORAL_ADDRESS: '',
    };
    delete process.env.TEMPORAL_ADDRESS_FOR_SERVE;
  });

  const serve = (extra: Record<string, string> = {}) =>
    startCli(['serve'], { ...env, TEMPORAL_ADDRESS: '', ...extra }, 'Next:');
  const stop = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill(signal);
    return exited;
  };

  it('starts Temporal, the worker and the API, provisions a joiner, revokes a leaver, stops cleanly and resumes', async function () {
    const { child, output } = await serve();
    expect(output())
      .to.include(`http://127.0.0.1:${env.PORT}`)
      .and.to.include(`Temporal UI:      http://127.0.0.1:${env.TEMPORAL_UI_PORT}`);
    const api = `http://127.0.0.1:${env.PORT}`;
    await eventually(async () => (await fetch(`${api}/healthz`)).status === 200, 30_000);

    const dir = await runCliJson(['directory', 'create', '--name', 'acme', '--idp', 'okta'], env);
    expect(dir.scimBaseUrl).to.equal(`${api}/scim/v2/${dir.id}`);
    expect(dir.token).to.be.a('string');
    const app = await runCliJson(['app', 'add', '--directory', dir.id, '--name', 'demo', '--type', 'local'], env);
    expect(app.id).to.be.a('string');

    const post = await fetch(`${dir.scimBaseUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER], userName: 'serve@acme.test' }),
    });
    expect(post.status).to.equal(201);
    const user = (await post.json()) as { id: string };
    await eventually(async () =>
      (await runCliJson(['app', 'accounts', '--app', app.id], env)).some(
        (a: any) => a.userName === 'serve@acme.test' && a.active,
      ),
    );

    // Ctrl-C: the Temporal worker stops by itself on SIGINT, and every shutdown step still succeeds.
    expect(await stop(child, 'SIGINT')).to.equal(0);
    expect(output()).to.not.include('shutdown step failed');
    expect(await isPortFree(Number(env.TEMPORAL_PORT))).to.equal(true);
    expect(await isPortFree(Number(env.PORT))).to.equal(true);

    // Same DATA_DIR: the identity's workflow is still there, running, and takes the leaver; this time the API runs
    // as two processes (the leaver's PATCH may arrive at either and is recorded by the writer).
    const again = await serve({ API_PROCESSES: '2' });
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
      const described = await new Client({ connection }).workflow
        .getHandle(identityWorkflowId(dir.id, user.id))
        .describe();
      expect(described.status.name).to.equal('RUNNING');
      await connection.close();
      const patch = await fetch(`${dir.scimBaseUrl}/Users/${user.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: false } }],
        }),
      });
      expect(patch.status).to.equal(200);
      await eventually(
        async () => (await runCliJson(['report', 'revocations', '--directory', dir.id], env)).length === 1,
        30_000,
      );
      const accounts = await runCliJson(['app', 'accounts', '--app', app.id], env);
      expect(accounts).to.have.length(1);
      expect(accounts[0].active).to.equal(false);
    } finally {
      await stop(again.child);
    }
    expect(again.output()).to.include('API runs in 2 processes').and.not.include('shutdown step failed');
    expect(await isPortFree(Number(env.PORT))).to.equal(true);
  });

  it('stops with a clear message when its Temporal dev server dies, instead of taking writes it cannot converge', async function () {
    const { child, output } = await serve();
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    // The dev server is the process started with `server start-dev … --port <TEMPORAL_PORT>`.
    const devServer = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .find(
        (line) =>
          line.includes('start-dev') && line.includes(`--port ${env.TEMPORAL_PORT} `) && !line.includes('/bin/sh'),
      );
    expect(devServer, 'the dev server process').to.be.a('string');
    process.kill(Number(devServer!.trim().split(/\s+/)[0]), 'SIGKILL');

    expect(await exited).to.equal(1);
    expect(output()).to.match(
      /the Temporal dev server (exited with code \d+|was killed by SIGKILL): scimflow stops too/,
    );
    await eventually(async () => isPortFree(Number(env.PORT)), 10_000);
  });

  it('fails fast with a clear message when the API port is taken', async function () {
    const net = await import('node:net');
    const blocker = net.createServer().listen(Number(env.PORT), '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const result = await runCli(['serve'], env);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/Port \d+ is already in use \(PORT\)/);
    } finally {
      blocker.close();
    }
  });

  it('prints a plan (dry run) and the event log from the CLI', async function () {
    const dir = await runCliJson(['directory', 'create', '--name', 'dry'], env);
    const plan = await runCli(['plan', '--directory', dir.id, '--user', 'nobody@acme.test'], env);
    expect(plan.code).to.equal(1);
    expect(plan.stderr).to.include('no user nobody@acme.test');
    const events = await runCliJson(['events', 'list', '--directory', dir.id], env);
    expect(events).to.deep.equal([]);
  });
});
