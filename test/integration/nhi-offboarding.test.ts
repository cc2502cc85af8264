// test/integration/nhi-offboarding.test.ts: issue 13 from the CLI on the real stack: non-human identities handed on or
// revoked when their owner leaves, an NHI expiring, the offboarding report and the audit export, and the CLI's contract.
import { expect } from 'chai';
import type { LeaverWorld } from '../helpers/leaver-world';
import { wireWorld } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { eventually, startStack } from '../helpers/stack';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import { inMs } from '../helpers/hr-world';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('non-human identities and offboarding evidence (issue 13)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let world: LeaverWorld;
  let env: Record<string, string>;

  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
  });
  beforeEach(async function () {
    world = await wireWorld(stack, { limited: [], local: ['wiki'], entitlements: { wiki: ['reader'] } });
  });
  afterEach(async function () {
    await world?.stop();
  });
  after(async function () {
    await stack?.stop();
  });

  const cli = (...args: string[]) => runCliJson(args, env);
  const dir = () => ['--directory', world.directoryId];
  const account = async (name: string) => world.localAccount('wiki', name);
  const person = async (userName: string, manager?: string) => {
    const id = await world.createUser(userName, manager ? { [ENTERPRISE]: { manager: { value: manager } } } : {});
    await eventually(async () => (await account(userName))?.active === true);
    return id;
  };
  const nhiVerifiedRevoked = async (nhiId: string) =>
    (await stack.stores.applied.revocationsOf(world.directoryId, nhiId)).length > 0 &&
    (await account((await stack.stores.nhis.get(world.directoryId, nhiId))!.name))?.active === false;

  it('transfers a leaver’s NHI to their manager; the report shows every account revoked and verified', async function () {
    const boss = await person('boss@nhi.test');
    const owner = await person('owner@nhi.test', boss);
    const nhi = await cli(
      'nhi',
      'add',
      ...dir(),
      '--name',
      'deploy-bot',
      '--owner',
      'OWNER@nhi.test',
      '--app',
      'wiki=reader',
      '--credential',
      'wiki-key@wiki',
    );
    expect(nhi).to.include({ name: 'deploy-bot', ownerId: owner, status: 'active', kind: 'service-account' });
    await eventually(
      async () =>
        (await account('deploy-bot'))?.active === true &&
        (await account('deploy-bot'))!.entitlements.includes('reader'),
    );

    const term = await cli('hr', 'terminate', ...dir(), '--user', 'Owner@NHI.test', '--reason', 'resigned');
    expect(Object.keys(term).sort()).to.deep.equal(['effectiveAt', 'id', 'identityId', 'status']);
    expect(term).to.include({ identityId: owner, status: 'applied' });
    await eventually(async () => (await stack.stores.nhis.get(world.directoryId, nhi.id))?.ownerId === boss);
    await eventually(async () => (await stack.stores.applied.revocationsOf(world.directoryId, owner)).length > 0);
    expect((await account('owner@nhi.test'))?.active).to.equal(false);
    expect((await account('deploy-bot'))?.active).to.equal(true); // transferred, not revoked

    const report = await cli('report', 'offboarding', ...dir(), '--user', 'owner@nhi.test');
    expect(report.identity).to.include({ id: owner, status: 'inactive', hold: 'terminated' });
    expect(report.termination).to.include({ at: term.effectiveAt, by: 'hr', hrEvent: term.id, reason: 'resigned' });
    expect(report.apps).to.have.length(1);
    expect(report.apps[0].account.state).to.equal('disabled');
    expect(report.apps[0].account.verifiedAt).to.be.a('string');
    expect(report.apps[0].entitlements).to.deep.include({
      entitlement: 'reader',
      revokedAt: report.apps[0].entitlements[0].revokedAt,
      verifiedAt: report.apps[0].entitlements[0].verifiedAt,
    });
    expect(report.apps[0].entitlements[0].verifiedAt).to.be.a('string');
    expect(report.nhis).to.have.length(1);
    expect(report.nhis[0]).to.include({ id: nhi.id, outcome: 'transferred', to: boss });
    expect(report.timeToRevoke.requestedAt).to.equal(term.effectiveAt);
    expect(report.timeToRevoke.latencyMs).to.be.a('number');
    expect(report.open).to.deep.equal([]);

    const lines = (await runCli(['audit', 'export', ...dir(), '--since', term.effectiveAt], env)).stdout
      .trim()
      .split('\n');
    const actions = lines.map((l) => JSON.parse(l).action);
    expect(actions).to.include.members([
      'hr.termination',
      'account.disabled',
      'entitlement.revoked',
      'revocation.verified',
      'nhi.transferred',
    ]);
    for (const line of lines) expect(JSON.parse(line).at >= term.effectiveAt).to.equal(true);
  });

  it('revokes a leaver’s NHIs under the revoke policy; a manual credential stays open until confirmed', async function () {
    await cli('hr', 'configure', ...dir(), '--nhi-on-owner-leave', 'revoke', '--match-key', 'userName');
    const owner = await person('solo@nhi.test');
    const nhi = await cli(
      'nhi',
      'add',
      ...dir(),
      '--name',
      'etl-agent',
      '--kind',
      'agent',
      '--owner',
      owner,
      '--app',
      'wiki',
      '--credential',
      'vendor-api-key',
    );
    await eventually(async () => (await account('etl-agent'))?.active === true);
    const term = await cli('hr', 'terminate', ...dir(), '--user', 'solo@nhi.test');
    await eventually(() => nhiVerifiedRevoked(nhi.id), 30_000);
    const record = (await stack.stores.applied.revocationsOf(world.directoryId, nhi.id))[0]!;
    expect(record.requestedAt).to.equal(term.effectiveAt); // time to revoke counts from the owner's departure

    let report = await cli('report', 'offboarding', ...dir(), '--user', 'solo@nhi.test');
    expect(report.nhis[0]).to.include({ id: nhi.id, outcome: 'revoked' });
    const credential = report.nhis[0].credentials[0];
    expect(credential).to.include({ name: 'vendor-api-key', revoke: 'manual', status: 'open' });
    expect(report.open.join('\n')).to.match(/credential vendor-api-key .* needs a person/);
    await cli('nhi', 'confirm', ...dir(), '--credential', credential.id, '--by', 'sec-team');
    report = await cli('report', 'offboarding', ...dir(), '--user', owner);
    expect(report.open).to.deep.equal([]);
  });

  it('holds an exception, never a silent keep, when there is no manager to transfer to', async function () {
    const owner = await person('nomgr@nhi.test');
    const nhi = await cli('nhi', 'add', ...dir(), '--name', 'orphan-bot', '--owner', owner, '--app', 'wiki');
    await eventually(async () => (await account('orphan-bot'))?.active === true);
    await cli('hr', 'terminate', ...dir(), '--user', 'nomgr@nhi.test');
    await eventually(async () => (await stack.stores.nhis.get(world.directoryId, nhi.id))?.exception);
    const report = await cli('report', 'offboarding', ...dir(), '--user', owner);
    expect(report.nhis[0].outcome).to.equal('exception');
    expect(report.open.join('\n')).to.match(/orphan-bot .* no active manager/);
    const listed = await cli('nhi', 'list', ...dir());
    expect(listed.nhis[0].exception).to.match(/no active manager/);
  });

  it('revokes an NHI at its expiry and flags one past its rotation deadline', async function () {
    const owner = await person('keeper@nhi.test');
    const expiring = await cli(
      'nhi',
      'add',
      ...dir(),
      '--name',
      'temp-key',
      '--kind',
      'api-key',
      '--owner',
      owner,
      '--app',
      'wiki',
      '--expires',
      inMs(12_000),
    );
    const stale = await cli(
      'nhi',
      'add',
      ...dir(),
      '--name',
      'old-key',
      '--kind',
      'api-key',
      '--owner',
      owner,
      '--rotate-by',
      inMs(1_000),
    );
    await eventually(async () => (await account('temp-key'))?.active === true);
    expect(new Date().toISOString() < expiring.expiresAt).to.equal(true); // provisioned before it expired
    await eventually(() => nhiVerifiedRevoked(expiring.id), 30_000);
    expect((await stack.stores.applied.revocationsOf(world.directoryId, expiring.id))[0]!.requestedAt).to.equal(
      expiring.expiresAt,
    );
    const listed = await cli('nhi', 'list', ...dir(), '--owner', 'keeper@nhi.test');
    expect(listed.nhis.find((n: { id: string }) => n.id === stale.id)).to.include({ rotationOverdue: true });
    expect(listed.nhis.find((n: { id: string }) => n.id === expiring.id)).to.include({ expired: true });
  });

  it('keeps the CLI contract: one JSON document and exit 0, or `scimflow: <message>` and exit 1', async function () {
    const id = await person('cli@nhi.test');
    const noOffset = await runCli(
      ['hr', 'terminate', ...dir(), '--user', 'cli@nhi.test', '--effective', '2030-01-01T10:00:00'],
      env,
    );
    expect(noOffset.code).to.equal(1);
    expect(noOffset.stderr).to.match(/^scimflow: .*offset/);
    expect(noOffset.stdout).to.equal('');
    const twoPeople = await runCli(['hr', 'terminate', ...dir(), '--user', 'a', '--email', 'b'], env);
    expect(twoPeople.code).to.equal(1);
    expect(twoPeople.stderr).to.match(/^scimflow: name the person with exactly one/);

    const later = await cli(
      'hr',
      'terminate',
      ...dir(),
      '--user',
      'cli@nhi.test',
      '--effective',
      '2030-01-01T10:00:00+02:00',
      '--event-id',
      'offboard-cli',
    );
    expect(later).to.deep.equal({
      id: 'offboard-cli',
      identityId: id,
      effectiveAt: '2030-01-01T08:00:00.000Z',
      status: 'scheduled',
    });
    const pending = await cli('hr', 'list', ...dir(), '--pending');
    expect(pending.events.map((e: { id: string }) => e.id)).to.deep.equal(['offboard-cli']);
    for (let i = 0; i < 2; i++)
      expect(await cli('hr', 'rescind', ...dir(), '--event', 'offboard-cli')).to.deep.equal({
        id: 'offboard-cli',
        status: 'rescinded',
      });
    expect((await cli('hr', 'list', ...dir(), '--pending')).events).to.deep.equal([]);

    const now = await cli('hr', 'terminate', ...dir(), '--user', 'cli@nhi.test');
    const tookEffect = await runCli(['hr', 'rescind', ...dir(), '--event', now.id], env);
    expect(tookEffect.code).to.equal(1);
    expect(tookEffect.stderr.trim()).to.equal(
      `scimflow: Termination ${now.id} took effect at ${now.effectiveAt}; use rehire`,
    );
    const missing = await runCli(['hr', 'rescind', ...dir(), '--event', 'nope'], env);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^scimflow: No HR event nope/);
  });

  it('imports an HR export idempotently per row', async function () {
    const fs = await import('node:fs');
    const path = await import('node:path');
    await person('imp1@nhi.test');
    const file = path.join(stack.dataDir, `hr-${world.directoryId}.csv`);
    fs.writeFileSync(
      file,
      'type,userName,effectiveAt,reason\ntermination,imp1@nhi.test,2031-05-01T09:00:00Z,contract end\nleave.started,nobody@nhi.test,,\n',
    );
    await cli('hr', 'configure', ...dir(), '--match-key', 'userName');
    const first = await cli('hr', 'import', ...dir(), '--file', file);
    expect(first).to.include({ rows: 2, recorded: 2, duplicates: 0, failed: 0 });
    expect(first.results.map((r: { status: string }) => r.status)).to.deep.equal(['scheduled', 'awaiting-identity']);
    const second = await cli('hr', 'import', ...dir(), '--file', file);
    expect(second).to.include({ rows: 2, recorded: 0, duplicates: 2, failed: 0 });
    fs.writeFileSync(file, 'type,userName,bogus\ntermination,imp1@nhi.test,x\n');
    const bad = await runCli(['hr', 'import', ...dir(), '--file', file], env);
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout).results[0].error).to.match(/unknownColumns/);
  });
});
