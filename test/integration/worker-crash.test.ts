// test/integration/worker-crash.test.ts: a worker killed in the middle of provisioning finishes after restart, one account per app.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';
import { startScim2Server } from '../helpers/scim2-server';
import { cliEnv } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '../..');

function spawnWorker(stack: Stack): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/scimflow.js'), 'worker'], {
    env: { ...process.env, ...cliEnv(stack) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', () => undefined);
  return child;
}

describe('a worker killed mid-provisioning', function () {
  let stack: Stack;
  let downstream: Awaited<ReturnType<typeof startScim2Server>>;
  let child: ChildProcess | undefined;

  before(async function () {
    downstream = await startScim2Server();
    // Each app call lingers 3 s (below) and provisioning makes two (look up, then create): steps get 20 s.
    stack = await startStack({ worker: false, retry: { activityTimeoutMs: 20_000 } });
  });

  after(async function () {
    child?.kill('SIGKILL');
    await stack?.stop();
    await downstream?.stop();
  });

  it('finishes after a restart with exactly one account in each app', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'crashy', dialect: 'generic' });
    // Every app call lingers 3 s after the app answered: the kill lands after the write, before the activity completes.
    const chaos = { delayAfterMs: 3000 };
    const local = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: { chaos },
    });
    await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'crm',
      type: 'scim',
      config: { url: downstream.baseUrl, token: downstream.token, chaos },
    });
    child = spawnWorker(stack);
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'crash.test@acme.test',
    });
    expect(res.status).to.equal(201);
    await eventually(async () => (await stack.stores.localAccounts.list(local.id)).length === 1, 60_000, 20);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(await stack.stores.applied.progress(directory.id, res.body.id)).to.equal(undefined);

    child = spawnWorker(stack);
    await eventually(
      async () => (await stack.stores.applied.progress(directory.id, res.body.id))?.lifecycle === 'active',
      90_000,
      200,
    );
    expect(await stack.stores.localAccounts.list(local.id)).to.have.length(1);
    const remote = await fetch(
      `${downstream.baseUrl}/Users?filter=${encodeURIComponent('userName eq "crash.test@acme.test"')}`,
      {
        headers: { authorization: `Bearer ${downstream.token}` },
      },
    ).then((r) => r.json() as Promise<{ totalResults: number }>);
    expect(remote.totalResults).to.equal(1);
  });
});
