// test/integration/reconcile.test.ts: `scimflow reconcile` reads the app (the limited SCIM app, then the real
// scim2-server), finds drift made by hand, repairs it through the identities' workflows and verifies; --dry-run writes
// nothing; `report drift` shows what was found.
import { expect } from 'chai';
import type { LeaverWorld } from '../helpers/leaver-world';
import { wireWorld } from '../helpers/leaver-world';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';
import { startScim2Server } from '../helpers/scim2-server';
import { createScimConnector } from '../../connectors/scim-outbound';
import { accountNamed } from '../helpers/accounts';

const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

interface Report {
  appId: string;
  directoryId: string;
  dryRun: boolean;
  scanned: { accounts: number; groups: number };
  orphans: { userName: string; remoteId: string; action: string }[];
  reenabledLeavers: { userName: string; action: string }[];
  missingAccounts: { userName: string; action: string }[];
  entitlementsAddedByHand: { userName: string; action: string; entitlements: string[] }[];
  entitlementsMissing: { userName: string; action: string; entitlements: string[] }[];
  attributesChanged: { userName: string; action: string; attributes: string[] }[];
  adopted: { userName: string; action: string }[];
  errors: { error: string }[];
}

describe('reconcile: read the apps, repair drift (issue 11)', function () {
  this.timeout(240_000);
  let stack: Stack;
  let env: Record<string, string>;
  let world: LeaverWorld | undefined;

  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  afterEach(async function () {
    await world?.stop();
    world = undefined;
  });
  after(async function () {
    await stack?.stop();
  });

  const userWith = async (userName: string, department: string) =>
    world!.createUser(userName, {
      schemas: [USER_URN, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      displayName: userName.split('@')[0],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department },
    });

  it('finds and repairs what was changed by hand in the app; a dry run first changes nothing', async function () {
    world = await wireWorld(stack, { limited: [{ name: 'crm', groups: true }] });
    const { app, id: appId } = world.limited('crm');
    await stack.stores.policies.put(world.directoryId, {
      baseline: [],
      rules: [
        { name: 'everyone', grant: [{ app: 'crm', entitlements: ['staff'] }] },
        { name: 'engineers', when: { department: 'Engineering' }, grant: [{ app: 'crm', entitlements: ['admins'] }] },
      ],
    });
    const alice = await userWith('alice@acme.test', 'Engineering');
    const bob = await userWith('bob@acme.test', 'Sales');
    const carol = await userWith('carol@acme.test', 'Sales');
    const dave = await userWith('dave@acme.test', 'Sales');
    await eventually(async () => {
      for (const id of [alice, bob, carol, dave])
        if ((await world!.applied(id, 'crm'))?.state !== 'active') return false;
      return true;
    }, 60_000);
    await eventually(async () => (await world!.applied(alice, 'crm'))?.entitlements.length === 2, 30_000);
    await world.deactivate(bob);
    await eventually(() => world!.revocationsRecorded([bob]), 30_000);

    // By hand, in the app: bob re-enabled, carol's account deleted, alice's displayName (owned) and title (not owned)
    // edited and alice taken out of staff, dave put into admins; plus an account nobody knows.
    const remote = (userName: string) => app.findUser(userName)!;
    app.editUser(remote('bob@acme.test').id, { active: true });
    app.editUser(remote('alice@acme.test').id, { displayName: 'Mallory', title: 'Chief of Everything' });
    const deleted = await fetch(`${app.baseUrl}/Users/${remote('carol@acme.test').id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect(deleted.status).to.equal(204);
    const groupId = (name: string) => app.groups().find((g) => g.displayName === name)!.id;
    const patchGroup = async (name: string, operation: object) => {
      const res = await fetch(`${app.baseUrl}/Groups/${groupId(name)}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: [PATCH_URN], Operations: [operation] }),
      });
      expect(res.status, await res.text()).to.be.oneOf([200, 204]);
    };
    await patchGroup('staff', { op: 'remove', path: `members[value eq "${remote('alice@acme.test').id}"]` });
    await patchGroup('admins', { op: 'add', path: 'members', value: [{ value: remote('dave@acme.test').id }] });
    const ghost = app.seedUser({ userName: 'ghost@acme.test', active: true });
    const auditBefore = (await stack.stores.applied.auditTrail(world.directoryId)).length;
    const requestsBefore = app.requests.filter((r) => r.method !== 'GET').length;

    const dry = await runCliJson<Report>(['reconcile', '--app', appId, '--dry-run'], env);
    expect(dry).to.deep.include({ appId, directoryId: world.directoryId, dryRun: true });
    expect(dry.scanned).to.deep.equal({ accounts: 4, groups: 2 });
    expect(dry.reenabledLeavers.map((f) => [f.userName, f.action])).to.deep.equal([
      ['bob@acme.test', 'would-disabled'],
    ]);
    expect(dry.missingAccounts.map((f) => [f.userName, f.action])).to.deep.equal([
      ['carol@acme.test', 'would-recreated'],
    ]);
    expect(dry.attributesChanged.map((f) => [f.userName, f.action, f.attributes])).to.deep.equal([
      ['alice@acme.test', 'would-rewritten', ['displayName']],
    ]);
    expect(dry.entitlementsMissing.map((f) => [f.userName, f.action, f.entitlements])).to.deep.equal([
      ['alice@acme.test', 'would-granted', ['staff']],
    ]);
    expect(dry.entitlementsAddedByHand.map((f) => [f.userName, f.action, f.entitlements])).to.deep.equal([
      ['dave@acme.test', 'would-revoked', ['admins']],
    ]);
    expect(dry.orphans).to.deep.equal([{ userName: 'ghost@acme.test', remoteId: ghost.id, action: 'reported' }]);
    expect(dry.errors).to.deep.equal([]);
    // Nothing written anywhere: not in scimflow, not in the app.
    expect((await stack.stores.applied.auditTrail(world.directoryId)).length).to.equal(auditBefore);
    expect(app.requests.filter((r) => r.method !== 'GET').length).to.equal(requestsBefore);
    expect(await stack.stores.drift.runs(world.directoryId)).to.deep.equal([]);
    expect(remote('bob@acme.test').active).to.equal(true);

    const fixed = await runCliJson<Report>(['reconcile', '--app', appId], env);
    expect(fixed.dryRun).to.equal(false);
    expect(fixed.errors).to.deep.equal([]);
    expect(fixed.reenabledLeavers.map((f) => f.action)).to.deep.equal(['disabled']);
    expect(fixed.missingAccounts.map((f) => f.action)).to.deep.equal(['recreated']);
    // Verified before it returned: read from the app itself.
    expect(remote('bob@acme.test').active).to.equal(false);
    expect(remote('carol@acme.test').active).to.equal(true);
    expect(remote('alice@acme.test').displayName).to.equal('alice');
    expect(remote('alice@acme.test').title, 'an attribute scimflow does not own is left alone').to.equal(
      'Chief of Everything',
    );
    const members = (name: string) => (app.group(groupId(name))?.members ?? []).map((m) => m.value);
    expect(members('staff')).to.include(remote('alice@acme.test').id);
    expect(members('admins')).to.not.include(remote('dave@acme.test').id);
    expect(app.findUser('ghost@acme.test')?.active, 'an orphan is reported, not touched').to.equal(true);

    // Everything is in order now: a second reconcile finds nothing but the orphan.
    const again = await runCliJson<Report>(['reconcile', '--app', appId], env);
    expect(again.orphans).to.have.length(1);
    for (const kind of [
      'reenabledLeavers',
      'missingAccounts',
      'entitlementsAddedByHand',
      'entitlementsMissing',
      'attributesChanged',
      'adopted',
    ] as const)
      expect(again[kind], kind).to.deep.equal([]);

    // The drift report shows the latest run of the app, with ages.
    const drift = await runCliJson<{ findings: { kind: string; userName: string; ageSeconds: number }[] }>(
      ['report', 'drift', '--directory', world.directoryId],
      env,
    );
    expect(drift.findings.map((f) => f.kind)).to.deep.equal(['orphans']);
    expect(drift.findings[0]!.ageSeconds).to.be.a('number');
  });

  it('disables orphans when the app says so, and refuses bad flags with one line on stderr', async function () {
    world = await wireWorld(stack, { limited: [{ name: 'crm', groups: true }] });
    const { app, id: appId } = world.limited('crm');
    const ghost = app.seedUser({ userName: 'ghost2@acme.test', active: true });
    const updated = await runCliJson<{ orphans: string }>(
      ['app', 'update', '--app', appId, '--orphans', 'disable'],
      env,
    );
    expect(updated.orphans).to.equal('disable');
    const report = await runCliJson<Report>(['reconcile', '--app', appId], env);
    expect(report.orphans).to.deep.equal([{ userName: 'ghost2@acme.test', remoteId: ghost.id, action: 'disabled' }]);
    expect(app.user(ghost.id)?.active).to.equal(false);

    expect(await runCli(['reconcile', '--app', 'nope'], env)).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'scimflow: app nope not found\n',
    });
    const badOrphans = await runCli(['app', 'update', '--app', appId, '--orphans', 'burn'], env);
    expect(badOrphans.code).to.equal(1);
    expect(badOrphans.stdout).to.equal('');
    expect(badOrphans.stderr).to.match(/^scimflow: .*--orphans/);
  });

  it('reconciles a real third-party SCIM server (scim2-server): a re-enabled leaver is disabled again', async function () {
    const downstream = await startScim2Server();
    try {
      const { directory, token } = await stack.stores.directories.create({ name: 'scim2', dialect: 'generic' });
      const added = await runCliJson<{ id: string }>(
        [
          'app',
          'add',
          '--directory',
          directory.id,
          '--name',
          'crm',
          '--type',
          'scim',
          '--url',
          downstream.baseUrl,
          '--token',
          downstream.token,
        ],
        env,
      );
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER_URN],
        userName: 'zoe@acme.test',
        displayName: 'Zoe',
      });
      const id = res.body.id as string;
      const crm = createScimConnector({ url: downstream.baseUrl, token: downstream.token });
      await eventually(async () => (await accountNamed(crm, 'zoe@acme.test'))?.active === true, 60_000);
      await scim(stack.baseUrl, token, 'PATCH', `/scim/v2/${directory.id}/Users/${id}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      await eventually(
        async () => (await stack.stores.applied.revocations(directory.id)).some((r) => r.identityId === id),
        60_000,
      );
      const account = (await accountNamed(crm, 'zoe@acme.test'))!;
      await crm.updateAccount(
        account.id,
        { userName: 'zoe@acme.test', displayName: 'Zoe', active: true },
        { idempotencyKey: 'by-hand' },
      );
      expect((await accountNamed(crm, 'zoe@acme.test'))?.active).to.equal(true);

      const report = await runCliJson<Report>(['reconcile', '--app', added.id], env);
      expect(report.errors).to.deep.equal([]);
      expect(report.reenabledLeavers.map((f) => [f.userName, f.action])).to.deep.equal([['zoe@acme.test', 'disabled']]);
      expect((await accountNamed(crm, 'zoe@acme.test'))?.active).to.equal(false);
    } finally {
      await downstream.stop();
    }
  });

  it("reconciles on the app's Temporal Schedule: a triggered run repairs a re-enabled leaver", async function () {
    world = await wireWorld(stack, { limited: [{ name: 'crm' }] });
    const { app, id: appId } = world.limited('crm');
    const updated = await runCliJson<{ reconcileEvery: string; schedule: { scheduleId: string; every: string } }>(
      ['app', 'update', '--app', appId, '--reconcile-every', '1h'],
      env,
    );
    expect(updated.reconcileEvery).to.equal('1h');
    expect(updated.schedule).to.deep.equal({ scheduleId: `scimflow-reconcile-${appId}`, every: '1h' });
    const leaver = await world.createUser('yan@acme.test');
    await eventually(async () => (await world!.applied(leaver, 'crm'))?.state === 'active', 30_000);
    await world.deactivate(leaver);
    await eventually(() => world!.revocationsRecorded([leaver]), 30_000);
    app.editUser(app.findUser('yan@acme.test')!.id, { active: true });

    const schedule = stack.client.schedule.getHandle(updated.schedule.scheduleId);
    await schedule.trigger();
    const run = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action, 30_000);
    const summary = await stack.client.workflow
      .getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId)
      .result();
    expect(summary).to.deep.include({ appId, errors: 0 });
    expect(summary.counts).to.deep.include({ reenabledLeavers: 1 });
    // The repair's event is delivered by the API's relay; the leaver's workflow disables the account again.
    await eventually(() => app.findUser('yan@acme.test')?.active === false, 60_000);
    const drift = await runCliJson<{ findings: { kind: string; userName: string }[] }>(
      ['report', 'drift', '--directory', world.directoryId],
      env,
    );
    expect(drift.findings.map((f) => [f.kind, f.userName])).to.deep.equal([['reenabledLeavers', 'yan@acme.test']]);

    const bad = await runCli(['app', 'update', '--app', appId, '--reconcile-every', '10s'], env);
    expect(bad).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'scimflow: --reconcile-every must be a duration from 5m to 30d (like 30m, 6h, 1d), or off: 10s\n',
    });
  });
});
