// test/integration/app-limits.test.ts: per-app concurrency, rate limit and circuit breaker, shared by every worker
// (an in-process worker and a `scimflow worker` process), and the `app show` / `app update` commands around them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { LimitedScimApp } from '../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('per-app limits and circuit breaker (issue 10)', function () {
  this.timeout(90_000);
  let stack: Stack;
  let env: Record<string, string>;
  let secondWorker: ChildProcess | undefined;
  const apps: LimitedScimApp[] = [];

  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
    // A second worker in its own process, with its own database connection: limits must hold across both.
    secondWorker = spawn(process.execPath, [path.join(ROOT, 'bin/scimflow.js'), 'worker'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    secondWorker.stderr?.on('data', () => undefined);
  });
  after(async function () {
    secondWorker?.kill('SIGTERM');
    await Promise.all(apps.map((a) => a.stop()));
    await stack?.stop();
  });

  async function directoryWithApp(
    name: string,
    flags: string[],
    appOptions: Parameters<typeof startLimitedScimApp>[0] = {},
  ) {
    const app = await startLimitedScimApp(appOptions);
    apps.push(app);
    const { directory, token } = await stack.stores.directories.create({ name, dialect: 'generic' });
    const added = await runCliJson<{ id: string }>(
      ['app', 'add', '--directory', directory.id, '--name', 'crm', '--type', 'scim', '--url', app.baseUrl, ...flags],
      env,
    );
    const createUser = async (userName: string) => {
      const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
        schemas: [USER],
        userName,
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.id as string;
    };
    const deactivate = async (id: string) => {
      const res = await scim(stack.baseUrl, token, 'PATCH', `/scim/v2/${directory.id}/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    };
    const inState = async (ids: string[], state: string) => {
      for (const id of ids)
        if ((await stack.stores.applied.get(directory.id, id, added.id))?.state !== state) return false;
      return true;
    };
    const active = (ids: string[]) => inState(ids, 'active');
    return { app, appId: added.id, directoryId: directory.id, createUser, deactivate, active, inState };
  }

  it('shows and changes an app: limits, token (the fix for a wrong one), and refuses bad flags', async function () {
    const world = await directoryWithApp('show-update', [
      '--token',
      'wrong-token',
      '--max-concurrency',
      '2',
      '--rate-limit',
      '50/s',
    ]);
    const shown = await runCliJson(['app', 'show', '--app', world.appId], env);
    expect(shown).to.deep.include({
      id: world.appId,
      directoryId: world.directoryId,
      name: 'crm',
      type: 'scim',
      deprovision: 'disable',
      url: world.app.baseUrl,
      entitlements: 'none', // discovered: the limited app has no Groups here and no roles attribute
      tokenSet: true,
      limits: { maxConcurrency: 2, ratePerSecond: 50 },
      inFlight: 0,
    });
    expect(shown.circuit).to.deep.equal({
      state: 'closed',
      failuresInARow: 0,
      openedAt: null,
      nextProbeAt: null,
      lastError: null,
    });
    expect(JSON.stringify(shown)).to.not.include('wrong-token');

    // The app refuses the wrong token (401, a refusal: an exception); the operator fixes the token and retries.
    const id = await world.createUser('token@acme.test');
    await eventually(async () => (await stack.stores.applied.exceptions(world.directoryId)).length === 1, 30_000);
    const updated = await runCliJson(
      ['app', 'update', '--app', world.appId, '--token', world.app.token, '--rate-limit', 'off'],
      env,
    );
    expect(updated.limits).to.deep.equal({ maxConcurrency: 2, ratePerSecond: null });
    await runCliJson(['retry', '--directory', world.directoryId, '--all'], env);
    await eventually(() => world.active([id]), 30_000);
    expect(world.app.findUser('token@acme.test')?.active).to.equal(true);

    const bad = await runCli(['app', 'update', '--app', world.appId, '--rate-limit', 'fast'], env);
    expect(bad).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'scimflow: --rate-limit must be N/s with 0 < N <= 100000, or off: fast\n',
    });
    const unknown = await runCli(['app', 'show', '--app', 'no-such-app'], env);
    expect(unknown).to.deep.equal({ code: 1, stdout: '', stderr: 'scimflow: app no-such-app not found\n' });
    const localUrl = await runCli(
      ['app', 'add', '--directory', world.directoryId, '--name', 'x', '--url', 'http://x'],
      env,
    );
    expect(localUrl).to.deep.include({
      code: 1,
      stdout: '',
      stderr: 'scimflow: --url, --token and --oauth-* are for --type scim\n',
    });
  });

  it('never has more requests in flight to the app than its limit, across two workers', async function () {
    const world = await directoryWithApp('concurrency', ['--token', 'fixed-token', '--max-concurrency', '2'], {
      token: 'fixed-token',
      latencyMs: 300,
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) ids.push(await world.createUser(`c${i}@acme.test`));
    await eventually(() => world.active(ids), 60_000);
    expect(world.app.peakInFlight).to.be.within(1, 2);
    // Blocked lanes clear on their own once the step goes through (no human): nothing is left waiting.
    await eventually(async () => (await stack.stores.applied.exceptions(world.directoryId)).length === 0, 30_000);
  });

  it('never sends more than its rate (with a one-second burst) across two workers', async function () {
    const world = await directoryWithApp('rate', ['--token', 'fixed-token', '--rate-limit', '4/s'], {
      token: 'fixed-token',
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) ids.push(await world.createUser(`r${i}@acme.test`));
    await eventually(() => world.active(ids), 60_000);
    const times = world.app.requests.map((r) => r.at).sort((a, b) => a - b);
    // Any one-second window: at most the burst (4) plus one second of refill (4), with 50 ms of clock slack.
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 950).length));
    expect(busiest).to.be.at.most(8);
    expect(times.length).to.be.at.least(10);
    // Blocked lanes clear on their own once the step goes through (no human): nothing is left waiting.
    await eventually(async () => (await stack.stores.applied.exceptions(world.directoryId)).length === 0, 30_000);
  });

  it('opens the circuit of a dead app (few requests while open, visible in app show), then probes and heals', async function () {
    const world = await directoryWithApp('breaker', ['--token', 'fixed-token'], { token: 'fixed-token' });
    world.app.setFaults({ outage: { how: 'reset' } });
    const ids = [await world.createUser('b1@acme.test'), await world.createUser('b2@acme.test')];
    const open = await eventually(async () => {
      const shown = await runCliJson(['app', 'show', '--app', world.appId], env);
      return shown.circuit.state === 'open' ? shown : undefined;
    }, 30_000);
    expect(open.circuit.failuresInARow).to.be.at.least(5);
    expect(open.circuit.lastError).to.be.a('string').and.not.equal('');
    expect(Date.parse(open.circuit.nextProbeAt)).to.be.greaterThan(Date.parse(open.circuit.openedAt));

    world.app.clearRequests();
    await delay(3_000);
    // Open: only probes reach the app (the first cooldown is 2 s, doubling); without it, retries every 0.1–1 s each.
    expect(world.app.requests.length).to.be.at.most(3);

    world.app.setFaults({ outage: false });
    await eventually(() => world.active(ids), 60_000);
    const healed = await runCliJson(['app', 'show', '--app', world.appId], env);
    expect(healed.circuit).to.deep.include({ state: 'closed', failuresInARow: 0 });
  });

  it('converges joiners and leavers through a flapping app, with no exception and no human', async function () {
    this.timeout(600_000);
    const world = await directoryWithApp('flapping', ['--token', 'fixed-token'], { token: 'fixed-token' });
    // 503 for 0.9 s from the first request, then up 0.6 s, over and over: most calls of a round meet a down phase.
    world.app.setFaults({ flap: { upMs: 600, downMs: 900, how: 'unavailable' } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) ids.push(await world.createUser(`f${i}@acme.test`));
    // Liveness, not speed: while the circuit is open, each probe (10 s apart at most) finds the app up 40 % of the
    // time, so a stretch of failed probes is geometric: 240 s is about eighteen in a row (1 in 10,000). Typical runs
    // here take 5–50 s.
    const liveness = 240_000;
    await eventually(() => world.active(ids), liveness);
    const leavers = ids.slice(0, 3);
    for (const id of leavers) await world.deactivate(id);
    await eventually(async () => {
      for (const id of leavers)
        if (!(await stack.stores.applied.get(world.directoryId, id, world.appId))?.revocationVerified) return false;
      return true;
    }, liveness);
    expect(world.app.requests.filter((r) => r.status === 503).length, 'the app did flap').to.be.at.least(1);
    // Blocked lanes clear on their own once the step goes through (no human): nothing is left waiting.
    await eventually(async () => (await stack.stores.applied.exceptions(world.directoryId)).length === 0, 30_000);
    for (let i = 0; i < 8; i += 1) expect(world.app.findUser(`f${i}@acme.test`)?.active, `f${i}`).to.equal(i >= 3);
  });

  it("a hanging app in one tenant leaves another tenant's joiners to converge first", async function () {
    const slow = await directoryWithApp('hanging-tenant', ['--token', 'slow-token'], {
      token: 'slow-token',
      latencyMs: 20_000,
    });
    const healthy = await directoryWithApp('healthy-tenant', ['--token', 'fast-token'], { token: 'fast-token' });
    const slowIds: string[] = [];
    for (let i = 0; i < 30; i += 1) slowIds.push(await slow.createUser(`s${i}@slow.test`));
    await eventually(() => slow.app.inFlight >= 10, 30_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await healthy.createUser(`h${i}@fast.test`));
    await eventually(() => healthy.active(ids), 60_000);
    // The ordering is the claim: the healthy tenant converged while the other tenant's app still held every request.
    expect(slow.app.inFlight, 'the slow app is still hanging').to.be.greaterThan(0);
    const slowActive: string[] = [];
    for (const id of slowIds) if (await slow.active([id])) slowActive.push(id);
    expect(slowActive, 'nothing of the slow tenant converged yet').to.deep.equal([]);
    // And the slow tenant heals by itself once its app answers again.
    slow.app.setFaults({ latencyMs: 0 });
    await eventually(() => slow.active(slowIds), 90_000);
    // Blocked lanes clear on their own once the step goes through (no human): nothing is left waiting.
    await eventually(async () => (await stack.stores.applied.exceptions(slow.directoryId)).length === 0, 30_000);
  });
});
