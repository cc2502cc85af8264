// test/integration/app-discovery.test.ts: `app add` reads what a SCIM app can do and adapts to it, or refuses clearly
// (issue 11, "Know each app"): the limited test app in several dialects and the real scim2-server.
import { expect } from 'chai';
import type { LimitedScimApp, LimitedScimAppOptions } from '../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import { startScim2Server } from '../helpers/scim2-server';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

interface Added {
  id: string;
  entitlements: string;
  adapted: string[];
}

describe('capability discovery at app add (issue 11)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let env: Record<string, string>;
  const apps: LimitedScimApp[] = [];

  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async function () {
    await Promise.all(apps.map((a) => a.stop()));
    await stack?.stop();
  });

  async function limited(options: LimitedScimAppOptions) {
    const app = await startLimitedScimApp(options);
    apps.push(app);
    return app;
  }
  const newDirectory = (name: string) => stack.stores.directories.create({ name, dialect: 'generic' });
  let named = 0;
  const addArgs = (directoryId: string, url: string, token: string, ...flags: string[]) => [
    'app',
    'add',
    '--directory',
    directoryId,
    '--name',
    `crm${named++ || ''}`,
    '--type',
    'scim',
    '--url',
    url,
    '--token',
    token,
    ...flags,
  ];

  it('talks to an app without filters or PATCH by paging and PUT, and shows it', async function () {
    const app = await limited({ groups: true, dialect: { filter: false, groupWrites: 'put' } });
    const { directory, token } = await newDirectory('no-filter-no-patch');
    const added = await runCliJson<Added>(addArgs(directory.id, app.baseUrl, app.token), env);
    expect(added.entitlements).to.equal('groups');
    expect(added.adapted.join(' '))
      .to.match(/does not support filters/)
      .and.match(/change by PUT/);
    const shown = await runCliJson<{
      capabilities: { talksBy: object; discovered: { filter: boolean; patch: boolean } };
    }>(['app', 'show', '--app', added.id], env);
    expect(shown.capabilities.talksBy).to.deep.equal({ entitlements: 'groups', search: 'scan', writes: 'put' });
    expect(shown.capabilities.discovered).to.include({ filter: false, patch: false });

    await stack.stores.policies.put(directory.id, {
      baseline: [],
      rules: [{ name: 'everyone', grant: [{ app: 'crm', entitlements: ['staff'] }] }],
    });
    // One account exists in the app already: found by paging /Users (no filter), adopted, not duplicated.
    app.seedUser({ userName: 'existing@acme.test', active: true });
    app.clearRequests();
    const ids: string[] = [];
    for (const userName of ['new@acme.test', 'existing@acme.test']) {
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName,
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      ids.push(res.body.id as string);
    }
    const staff = () => app.groups().find((g) => g.displayName === 'staff');
    const member = (userName: string) => staff()?.members.some((m) => m.value === app.findUser(userName)?.id) ?? false;
    await eventually(() => member('new@acme.test') && member('existing@acme.test'), 60_000);
    expect(app.users().filter((u) => u.userName === 'existing@acme.test')).to.have.length(1);
    const requests = app.requests;
    expect(requests.filter((r) => r.query.includes('filter='))).to.deep.equal([]);
    expect(requests.filter((r) => r.method === 'PATCH')).to.deep.equal([]);
    expect(requests.some((r) => r.method === 'PUT' && r.path.startsWith('/Groups/'))).to.equal(true);

    // A leaver's membership goes by PUT as well.
    const patched = await scim(stack.baseUrl, token, 'PATCH', `/scim/v2/${directory.id}/Users/${ids[0]}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(patched.status).to.equal(200);
    await eventually(() => !member('new@acme.test') && app.findUser('new@acme.test')?.active === false, 60_000);
    expect(member('existing@acme.test')).to.equal(true);
  });

  it('refuses what an app cannot hold or an app it cannot reach, with one line each; adapts otherwise', async function () {
    const bare = await limited({ groups: false });
    const { directory } = await newDirectory('refusals');
    const groups = await runCli(addArgs(directory.id, bare.baseUrl, bare.token, '--entitlements', 'groups'), env);
    expect(groups.code).to.equal(1);
    expect(groups.stderr).to.match(
      /^scimflow: the app lists no Group resource type in \/ResourceTypes.*--entitlements none/,
    );
    expect(groups.stderr.trim().split('\n')).to.have.length(1);
    expect(await stack.stores.directories.listApps(directory.id)).to.deep.equal([]);

    const autoArgs = addArgs(directory.id, bare.baseUrl, bare.token);
    const auto = await runCliJson<Added>(autoArgs, env);
    expect(auto.entitlements).to.equal('none');
    expect(auto.adapted.join(' ')).to.match(/accounts only/);
    const again = await runCli([...autoArgs.slice(0, 6), '--type', 'local'], env);
    expect([again.code, again.stderr]).to.deep.equal([
      1,
      `scimflow: directory ${directory.id} already has an app named "${autoArgs[5]}" (${auto.id})\n`,
    ]);

    const unreachable = await runCli(addArgs(directory.id, 'http://127.0.0.1:9/scim/v2', 't0ken'), env);
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.match(
      /^scimflow: cannot read the app's capabilities at http:\/\/127\.0\.0\.1:9\/scim\/v2: .*--skip-discovery\n$/,
    );
    const skipped = await runCliJson<Added>(
      addArgs(directory.id, 'http://127.0.0.1:9/scim/v2', 't0ken', '--skip-discovery', '--reconcile-every', 'off'),
      env,
    );
    expect(skipped.entitlements).to.equal('groups');
    expect(skipped.adapted[0]).to.match(/discovery skipped/);

    const silent = await limited({ groups: true, dialect: { discovery: false } });
    const quiet = await runCliJson<Added>(addArgs(directory.id, silent.baseUrl, silent.token), env);
    expect(quiet.entitlements).to.equal('groups');
    expect(quiet.adapted.join(' ')).to.match(/publishes no \/ServiceProviderConfig/);
  });

  it('reads a real third-party SCIM server (scim2-server)', async function () {
    const downstream = await startScim2Server();
    try {
      const { directory } = await newDirectory('scim2');
      const added = await runCliJson<Added>(addArgs(directory.id, downstream.baseUrl, downstream.token), env);
      expect(added.entitlements).to.equal('groups');
      const shown = await runCliJson<{ capabilities: { discovered: { resourceTypes: string[]; published: object } } }>(
        ['app', 'show', '--app', added.id],
        env,
      );
      expect(shown.capabilities.discovered.published).to.deep.equal({
        serviceProviderConfig: true,
        resourceTypes: true,
        schemas: true,
      });
      expect(shown.capabilities.discovered.resourceTypes).to.include.members(['User', 'Group']);
    } finally {
      await downstream.stop();
    }
  });
});
