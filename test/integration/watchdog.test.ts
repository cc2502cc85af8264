// test/integration/watchdog.test.ts: a workflow that stopped converging becomes a visible exception; `retry` repairs it.
import { expect } from 'chai';
import { Watchdog } from '../../runtime/watchdog';
import { identityWorkflowId } from '../../workflows/contracts';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('watchdog for identities whose workflow stopped', function () {
  let stack: Stack;
  let env: Record<string, string>;
  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async () => stack?.stop());

  it('flags a deleted user whose run was terminated before revoking, and `retry` revokes it', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'watched', dialect: 'generic' });
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: {},
    });
    const created = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER],
      userName: 'gone@acme.test',
    });
    const id = created.body.id as string;
    await eventually(async () => (await stack.stores.applied.progress(directory.id, id))?.lifecycle === 'active');

    // No worker: the DELETE is recorded and signalled, then the run is killed before it can revoke anything.
    await stack.stopWorker();
    expect((await scim(stack.baseUrl, token, 'DELETE', `/scim/v2/${directory.id}/Users/${id}`)).status).to.equal(204);
    const handle = stack.client.workflow.getHandle(identityWorkflowId(directory.id, id));
    await eventually(async () => (await handle.describe()).status.name === 'RUNNING');
    // The DELETE's signal must have reached this run first (a leaver's signal follows a priority change, so it can
    // land after a quick terminate and start a new run instead).
    const everything = new Date(Date.now() + 3_600_000).toISOString();
    await eventually(async () =>
      (await stack.stores.events.undelivered(everything, 1_000)).every((e) => e.identityId !== id),
    );
    await handle.terminate('operator mistake');

    const watchdog = new Watchdog(stack.client, stack.stores, { staleAfterMs: 0 });
    const [flagged, ...others] = await watchdog.tick();
    expect(others).to.deep.equal([]);
    expect(flagged).to.include({ directoryId: directory.id, identityId: id });
    expect(flagged!.exception).to.match(/^workflow terminated: operator mistake; run `scimflow retry`/);
    const report = await runCliJson(['report', 'exceptions', '--directory', directory.id], env);
    expect(JSON.stringify(report)).to.include('workflow terminated: operator mistake');
    expect((await stack.stores.applied.auditTrail(directory.id, id)).map((a) => a.action)).to.include(
      'workflow.stalled',
    );
    // Flagged once: the next tick does not describe it again.
    expect(await watchdog.tick()).to.deep.equal([]);
    expect((await stack.stores.localAccounts.list(app.id))[0]).to.include({ active: true });

    // `retry --user` finds the deleted identity by its userName and starts a new run, which revokes and verifies.
    await stack.startWorker();
    const outcome = await runCliJson(['retry', '--directory', directory.id, '--user', 'GONE@acme.test'], env);
    expect(outcome).to.deep.equal({ identityId: id, retried: true, restarted: true });
    await eventually(async () => (await stack.stores.applied.progress(directory.id, id))?.exception === null, 30_000);
    expect((await stack.stores.localAccounts.list(app.id))[0]).to.include({ active: false });
    expect(await stack.stores.applied.get(directory.id, id, app.id)).to.include({ revocationVerified: true });
    expect(await stack.stores.applied.exceptions(directory.id)).to.deep.equal([]);
  });

  it('leaves alone an identity that is only waiting for a worker', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'patient', dialect: 'generic' });
    await stack.stores.directories.addApp({ directoryId: directory.id, name: 'demo', type: 'local', config: {} });
    await stack.stopWorker();
    try {
      const created = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName: 'waiting@acme.test',
      });
      const handle = stack.client.workflow.getHandle(identityWorkflowId(directory.id, created.body.id as string));
      await eventually(async () => (await handle.describe()).status.name === 'RUNNING');
      const watchdog = new Watchdog(stack.client, stack.stores, { staleAfterMs: 0 });
      expect(await watchdog.tick()).to.deep.equal([]);
      expect(await stack.stores.applied.exceptions(directory.id)).to.deep.equal([]);
    } finally {
      await stack.startWorker();
    }
  });

  it('`retry --all` re-converges every identity `report exceptions` lists; --all and --user are exclusive', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'retry-all', dialect: 'generic' });
    const vault = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'vault',
      type: 'local',
      config: { chaos: { rejectEntitlements: ['admin'] } },
    });
    await stack.stores.policies.put(directory.id, {
      baseline: 'all',
      rules: [{ name: 'all', grant: [{ app: 'vault', entitlements: ['admin'] }] }],
    });
    const ids: string[] = [];
    for (const userName of ['a@acme.test', 'b@acme.test']) {
      const created = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName,
      });
      ids.push(created.body.id as string);
    }
    await eventually(async () => (await stack.stores.applied.exceptions(directory.id)).length === 2, 30_000);

    const both = await runCli(['retry', '--directory', directory.id, '--all', '--user', 'a@acme.test'], env);
    expect(both).to.deep.equal({ code: 1, stdout: '', stderr: 'scimflow: --all and --user are exclusive: give one\n' });
    const neither = await runCli(['retry', '--directory', directory.id], env);
    expect(neither).to.deep.include({ code: 1, stdout: '' });
    expect(neither.stderr).to.match(/^scimflow: say which identities: --user <userName> or --all\n$/);

    await stack.stores.directories.updateAppConfig(vault.id, {}); // the app is fixed
    const outcome = await runCliJson(['retry', '--directory', directory.id, '--all'], env);
    expect(outcome).to.deep.equal({
      retried: 2,
      identities: [...ids].sort().map((identityId) => ({ identityId, retried: true, restarted: false })),
    });
    await eventually(async () => (await stack.stores.applied.exceptions(directory.id)).length === 0, 30_000);
    for (const id of ids)
      expect(await stack.stores.applied.get(directory.id, id, vault.id)).to.deep.include({ entitlements: ['admin'] });
    expect(await runCliJson(['retry', '--directory', directory.id, '--all'], env)).to.deep.equal({
      retried: 0,
      identities: [],
    });
  });
});
