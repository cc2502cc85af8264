// test/integration/mass-change-guard.test.ts: a policy change or a reconcile that would disable or delete more than an
// app's share of accounts stops and asks; `scimflow approve` lets it go ahead once; leavers named one by one never wait.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const HELD = /approve with: scimflow approve --change ([0-9a-f-]{36})/;

describe('the mass-change guard (issue 11)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let env: Record<string, string>;
  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async () => stack?.stop());

  const writePolicy = (name: string, policy: unknown) => {
    const file = path.join(stack.dataDir, `${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(policy));
    return file;
  };
  const createUsers = async (directoryId: string, token: string, count: number) => {
    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directoryId}/Users`, {
        schemas: [USER],
        userName: `user${n}@acme.test`,
      });
      expect(res.status).to.equal(201);
      ids.push(res.body.id as string);
    }
    return ids;
  };

  it('holds a policy that takes most accounts from an app, and applies it once approved', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'guard-policy', dialect: 'generic' });
    const added = await runCliJson<{ id: string }>(
      ['app', 'add', '--directory', directory.id, '--name', 'wiki', '--type', 'local', '--reconcile-every', 'off'],
      env,
    );
    const everyone = writePolicy('everyone', { baseline: 'all', rules: [] });
    await runCliJson(['policy', 'set', '--directory', directory.id, '--file', everyone], env);
    const ids = await createUsers(directory.id, token, 12);
    const active = async () => (await stack.stores.localAccounts.list(added.id)).filter((a) => a.active).length;
    await eventually(async () => (await active()) === 12, 60_000);

    // A leaver named by the IdP is never held, whatever the share.
    const leaver = await scim(stack.baseUrl, token, 'PATCH', `/scim/v2/${directory.id}/Users/${ids[0]}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(leaver.status).to.equal(200);
    await eventually(async () => (await active()) === 11, 30_000);

    const nobody = writePolicy('nobody', { baseline: [], rules: [] });
    const dry = await runCliJson(['policy', 'set', '--directory', directory.id, '--file', nobody, '--dry-run'], env);
    expect(dry.held).to.deep.equal({
      change: null,
      reason:
        'this policy would disable or delete 11 of 11 accounts in app wiki, more than its mass-change guard (20%)',
    });
    const refused = await runCli(['policy', 'set', '--directory', directory.id, '--file', nobody], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /^scimflow: policy not changed: this policy would disable or delete 11 of 11 accounts/,
    );
    const change = HELD.exec(refused.stderr)![1]!;
    expect((await runCliJson(['policy', 'show', '--directory', directory.id], env)).version).to.equal(1);
    const held = await runCliJson(['report', 'held', '--directory', directory.id], env);
    expect(
      held.held.map((h: { id: string; kind: string; affected: number }) => [h.id, h.kind, h.affected]),
    ).to.deep.equal([[change, 'policy', 11]]);
    await delayed(500);
    expect(await active()).to.equal(11); // nothing moved meanwhile

    const approved = await runCliJson(['approve', '--change', change], env);
    expect(approved).to.deep.include({ change, kind: 'policy', approved: true, version: 2, signalled: 11, held: null });
    await eventually(async () => (await active()) === 0, 60_000);
    const again = await runCli(['approve', '--change', change], env);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(new RegExp(`^scimflow: change ${change} was approved already, at `));
    expect((await runCli(['approve', '--change', 'nope'], env)).stderr).to.equal('scimflow: no held change nope\n');

    // Turned off for the app: the same kind of change goes through at once.
    await runCliJson(['policy', 'set', '--directory', directory.id, '--file', everyone], env);
    await eventually(async () => (await active()) === 11, 60_000);
    await runCliJson(['app', 'update', '--app', added.id, '--mass-change-guard', 'off'], env);
    expect((await runCliJson(['app', 'show', '--app', added.id], env)).massChangeGuard).to.equal('off');
    const direct = await runCliJson(['policy', 'set', '--directory', directory.id, '--file', nobody], env);
    expect(direct).to.deep.include({ version: 4, held: null });
    const bad = await runCli(['app', 'update', '--app', added.id, '--mass-change-guard', '150%'], env);
    expect(bad.stderr).to.equal('scimflow: --mass-change-guard must be a share like 20% (1% to 100%), or off: 150%\n');
  });

  it("holds a reconcile's orphan disables past the guard, and carries them out once approved", async function () {
    const app = await startLimitedScimApp({});
    try {
      const { directory, token } = await stack.stores.directories.create({ name: 'guard-orphans', dialect: 'generic' });
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
          app.baseUrl,
          '--token',
          app.token,
          '--orphans',
          'disable',
          '--reconcile-every',
          'off',
        ],
        env,
      );
      await createUsers(directory.id, token, 2);
      await eventually(() => app.users().length === 2, 60_000);
      for (let n = 0; n < 12; n++) app.seedUser({ userName: `orphan${n}@acme.test`, active: true });

      const first = await runCliJson(['reconcile', '--app', added.id], env);
      expect(first.orphans).to.have.length(12);
      expect(first.orphans.every((o: { action: string }) => o.action === 'reported')).to.equal(true);
      expect(first.held.reason).to.match(/this reconcile would disable or delete 12 of 14 accounts in app crm/);
      expect(app.users().filter((u) => u.active !== false)).to.have.length(14);

      const approved = await runCliJson(['approve', '--change', first.held.change], env);
      expect(approved).to.deep.include({ change: first.held.change, kind: 'reconcile-orphans', approved: true });
      expect(approved.reconcile.held).to.equal(null);
      expect(approved.reconcile.orphans.map((o: { action: string }) => o.action)).to.deep.equal(
        Array(12).fill('disabled'),
      );
      expect(
        app
          .users()
          .filter((u) => u.active !== false)
          .map((u) => u.userName)
          .sort(),
      ).to.deep.equal(['user0@acme.test', 'user1@acme.test']);
    } finally {
      await app.stop();
    }
  });
});

const delayed = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
