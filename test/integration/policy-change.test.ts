// test/integration/policy-change.test.ts: `policy set` converges the identities it changes (issue 10): a dry run says
// who gains or loses what and changes nothing; the real change records one event per affected identity and converges.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('policy changes converge (issue 10)', function () {
  this.timeout(60_000);
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

  it('dry-runs the impact, then records one event per affected identity and converges them', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'policy', dialect: 'generic' });
    const wiki = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'wiki',
      type: 'local',
      config: {},
    });
    const first = writePolicy('v1', {
      baseline: 'all',
      rules: [{ name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'wiki', entitlements: ['reader'] }] }],
    });
    expect(await runCliJson(['policy', 'set', '--directory', directory.id, '--file', first], env)).to.deep.include({
      dryRun: false,
      version: 1,
      identitiesScanned: 0,
      identitiesAffected: 0,
      signalled: 0,
    });
    const ids: Record<string, string> = {};
    for (const [userName, department] of [
      ['ann@acme.test', 'Sales'],
      ['bob@acme.test', 'Sales'],
      ['cid@acme.test', 'Engineering'],
    ] as const) {
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER, ENTERPRISE],
        userName,
        [ENTERPRISE]: { department },
      });
      ids[userName] = res.body.id as string;
    }
    const entitlementsOf = async (userName: string) =>
      (await stack.stores.localAccounts.list(wiki.id)).find((a) => a.userName === userName)?.entitlements ?? null;
    await eventually(
      async () =>
        (await entitlementsOf('bob@acme.test'))?.length === 1 && (await entitlementsOf('cid@acme.test')) !== null,
    );
    const seqBefore = await stack.stores.events.latestSeq(directory.id);

    // Sales moves from reader to editor; engineering gets admin.
    const second = writePolicy('v2', {
      baseline: 'all',
      rules: [
        { name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'wiki', entitlements: ['editor'] }] },
        { name: 'eng', when: { department: 'Engineering' }, grant: [{ app: 'wiki', entitlements: ['admin'] }] },
      ],
    });
    const dry = await runCliJson(['policy', 'set', '--directory', directory.id, '--file', second, '--dry-run'], env);
    expect(dry).to.deep.include({
      dryRun: true,
      version: null,
      identitiesScanned: 3,
      identitiesAffected: 3,
      accountsGained: {},
      accountsLost: {},
      entitlementsGained: { 'wiki:admin': 1, 'wiki:editor': 2 },
      entitlementsLost: { 'wiki:reader': 2 },
      signalled: 0,
    });
    expect(dry.sample.map((s: { label: string }) => s.label).sort()).to.deep.equal([
      'ann@acme.test',
      'bob@acme.test',
      'cid@acme.test',
    ]);
    expect((await stack.stores.policies.latest(directory.id))?.version, 'a dry run stores nothing').to.equal(1);
    expect(await stack.stores.events.latestSeq(directory.id), 'a dry run records nothing').to.equal(seqBefore);

    const applied = await runCliJson(['policy', 'set', '--directory', directory.id, '--file', second], env);
    expect(applied).to.deep.include({ dryRun: false, version: 2, identitiesAffected: 3, signalled: 3 });
    const events = await runCliJson(
      ['events', 'list', '--directory', directory.id, '--from-seq', String(seqBefore + 1)],
      env,
    );
    expect(events.map((e: { kind: string; identityId: string }) => [e.kind, e.identityId]).sort()).to.deep.equal(
      Object.values(ids)
        .map((id) => ['policy', id])
        .sort(),
    );
    await eventually(
      async () =>
        JSON.stringify(await entitlementsOf('ann@acme.test')) === '["editor"]' &&
        JSON.stringify(await entitlementsOf('bob@acme.test')) === '["editor"]' &&
        JSON.stringify(await entitlementsOf('cid@acme.test')) === '["admin"]',
      30_000,
    );
    await eventually(
      async () => (await runCliJson(['report', 'lag', '--directory', directory.id], env)).identitiesBehind === 0,
    );

    // The same policy again changes nobody: no event, nothing to converge.
    expect(await runCliJson(['policy', 'set', '--directory', directory.id, '--file', second], env)).to.deep.include({
      version: 3,
      identitiesAffected: 0,
      signalled: 0,
    });
    const broken = writePolicy('broken', { rules: [{ name: 'x', grant: 'everything' }] });
    const refused = await runCli(['policy', 'set', '--directory', directory.id, '--file', broken, '--dry-run'], env);
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.match(/^scimflow: /);
  });
});
