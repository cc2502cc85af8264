// test/integration/cli-lifecycle.test.ts: operator commands against a live stack: plan, events list/replay, resync, reports.
import { expect } from 'chai';
import { cliEnv, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('operator CLI on a live stack', function () {
  let stack: Stack;
  let env: Record<string, string>;
  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async () => stack?.stop());

  it('plans without changing anything, lists the log, and replays and resyncs identities that re-converge', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'ops', dialect: 'generic' });
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: {},
    });
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER],
      userName: 'op@acme.test',
    });
    const id = res.body.id as string;
    await eventually(async () => (await stack.stores.applied.progress(directory.id, id))?.lifecycle === 'active');
    /** The account vanishes from the app behind scimflow's back, and scimflow's record of it says deleted. */
    const vanish = async () => {
      for (const account of await stack.stores.localAccounts.list(app.id))
        await stack.stores.localAccounts.delete(app.id, account.id);
      await stack.stores.applied.save(directory.id, id, app.id, { state: 'deleted' });
    };

    const plan = await runCliJson(['plan', '--directory', directory.id, '--user', 'OP@acme.test'], env);
    expect(plan).to.include({ identityId: id, status: 'active', label: 'steady' });
    expect(plan.apps).to.deep.equal([]);

    // Drift: the account vanished from the app behind our back. The dry run shows the repair, and changes nothing.
    await vanish();
    const drifted = await runCliJson(['plan', '--directory', directory.id, '--user', 'op@acme.test'], env);
    expect(drifted.apps).to.have.length(1);
    expect(drifted.apps[0]).to.deep.include({ appId: app.id, revoke: [] });
    expect(drifted.apps[0].grant.map((s: { kind: string; create?: boolean }) => [s.kind, s.create])).to.deep.equal([
      ['provisionAccount', true],
    ]);
    expect(await stack.stores.localAccounts.list(app.id)).to.have.length(0);

    const events = await runCliJson(['events', 'list', '--directory', directory.id], env);
    expect(events.map((e: { seq: number; kind: string }) => [e.seq, e.kind])).to.deep.equal([[1, 'created']]);

    expect(await runCliJson(['events', 'replay', '--directory', directory.id, '--from-seq', '1'], env)).to.deep.equal({
      replayed: 1,
    });
    await eventually(async () => (await stack.stores.localAccounts.list(app.id)).length === 1);

    await vanish();
    expect(await runCliJson(['resync', '--directory', directory.id], env)).to.deep.equal({ resynced: 1 });
    await eventually(async () => (await stack.stores.localAccounts.list(app.id)).length === 1);

    const lag = await runCliJson(['report', 'lag', '--directory', directory.id], env);
    expect(lag).to.deep.equal({ newestSeq: 1, unprocessedEvents: 0, identitiesBehind: 0 });
    const audit = await runCliJson(['report', 'audit', '--directory', directory.id, '--user', 'op@acme.test'], env);
    expect(audit.filter((a: { action: string }) => a.action === 'account.created')).to.have.length(3);
  });
});
