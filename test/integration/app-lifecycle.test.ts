// test/integration/app-lifecycle.test.ts: apps come and go on a live directory (issue 10): `app add` converges the
// users already there; `app remove --accounts deprovision` revokes every account before the app goes; `keep` leaves them.
import { expect } from 'chai';
import { ScheduleNotFoundError } from '@temporalio/client';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('apps added to and removed from a live directory (issue 10)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let env: Record<string, string>;
  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async () => stack?.stop());

  it('provisions existing users into an added app, and revokes them all before removing it', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'apps', dialect: 'generic' });
    const ids: string[] = [];
    for (const userName of ['ann@acme.test', 'bob@acme.test']) {
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName,
      });
      ids.push(res.body.id as string);
    }
    const gone = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER],
      userName: 'cid@acme.test',
      active: false,
    });
    await eventually(async () => (await stack.stores.applied.lag(directory.id)).identitiesBehind === 0);

    // No IdP change is needed: the two active users get an event each and an account; the inactive one gets none.
    const added = await runCliJson(['app', 'add', '--directory', directory.id, '--name', 'wiki'], env);
    expect(added).to.deep.include({ identitiesAffected: 2, signalled: 2 });
    // Reconciled on a schedule by default, visible in the Temporal UI (and its API).
    expect(added.schedule).to.deep.equal({ scheduleId: `scimflow-reconcile-${added.id}`, every: '6h' });
    const schedule = await stack.client.schedule.getHandle(added.schedule.scheduleId).describe();
    expect(schedule.spec.intervals?.[0]?.every).to.equal(6 * 3_600_000);
    expect(schedule.action).to.deep.include({ workflowType: 'reconcileAppWorkflow' });
    const accounts = () => stack.stores.localAccounts.list(added.id);
    await eventually(async () => (await accounts()).filter((a) => a.active).length === 2, 30_000);
    expect((await accounts()).map((a) => a.userName).sort()).to.deep.equal(['ann@acme.test', 'bob@acme.test']);
    expect(await stack.stores.applied.get(directory.id, gone.body.id as string, added.id)).to.equal(undefined);

    const removed = await runCliJson(['app', 'remove', '--app', added.id, '--accounts', 'deprovision'], env);
    expect(removed).to.deep.equal({
      id: added.id,
      removed: true,
      accounts: 'deprovisioned',
      signalled: 2,
      schedule: { scheduleId: `scimflow-reconcile-${added.id}`, every: 'off' },
    });
    expect((await accounts()).map((a) => a.active)).to.deep.equal([false, false]);
    for (const id of ids)
      expect(await stack.stores.applied.get(directory.id, id, added.id)).to.deep.include({ revocationVerified: true });
    expect(await runCliJson(['app', 'list', '--directory', directory.id], env)).to.deep.equal([]);
    await expect(stack.client.schedule.getHandle(added.schedule.scheduleId).describe()).to.be.rejectedWith(
      ScheduleNotFoundError,
    );

    // A new user after the removal: nothing is planned for the app that is gone.
    const later = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER],
      userName: 'dan@acme.test',
    });
    await eventually(
      async () => (await stack.stores.applied.progress(directory.id, later.body.id as string))?.lifecycle === 'active',
    );
    expect(await accounts()).to.have.length(2);
  });

  it('removes an app keeping its accounts as they are, and insists on --accounts', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'keep', dialect: 'generic' });
    const added = await runCliJson(['app', 'add', '--directory', directory.id, '--name', 'crm'], env);
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER],
      userName: 'eve@acme.test',
    });
    await eventually(
      async () => (await stack.stores.applied.get(directory.id, res.body.id as string, added.id))?.state === 'active',
    );

    const bare = await runCli(['app', 'remove', '--app', added.id], env);
    expect(bare.code).to.equal(1);
    expect(bare.stdout).to.equal('');
    expect(bare.stderr).to.match(/^scimflow: required option '--accounts <what>' not specified\n/);

    const kept = await runCliJson(['app', 'remove', '--app', added.id, '--accounts', 'keep'], env);
    expect(kept).to.deep.equal({
      id: added.id,
      removed: true,
      accounts: 'kept',
      accountsLeft: 1,
      schedule: { scheduleId: `scimflow-reconcile-${added.id}`, every: 'off' },
    });
    expect((await stack.stores.localAccounts.list(added.id)).map((a) => a.active)).to.deep.equal([true]);
    const again = await runCli(['app', 'remove', '--app', added.id, '--accounts', 'keep'], env);
    expect(again).to.deep.equal({ code: 1, stdout: '', stderr: `scimflow: app ${added.id} not found\n` });
  });
});
