// test/unit/testkit/limited-scim-app-handle.test.ts: the limited app's test handle (options, inspection, seeding) and its CLI process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { findFreePort } from '../../../runtime/ports';
import type { LimitedScimApp } from '../../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../../testkit/limited-scim-app';
import { expectScimError, GROUP_URN, scimClient, untimed, userBody } from './limited-scim-client';

const ROOT = resolve(__dirname, '../../..');
const MAIN = 'testkit/limited-scim-app-main.ts';

describe('limited SCIM app: handle and process (testkit/limited-scim-app.ts)', function () {
  describe('options', function () {
    it('listens on the given port with the given token and faults', async function () {
      const port = await findFreePort();
      const app = await startLimitedScimApp({ port, token: 'fixed', latencyMs: 7, refuseGroupRemoval: true });
      try {
        expect(app).to.include({ port, token: 'fixed', baseUrl: `http://127.0.0.1:${port}/scim/v2` });
        expect(app.faults).to.deep.equal({
          latencyMs: 7,
          flap: false,
          loseAnswer: false,
          outage: false,
          refuseGroupRemoval: true,
        });
        expect((await scimClient(app)('GET', '/Users')).status).to.equal(200);
      } finally {
        await app.stop();
      }
    });

    it('refuses a taken port, an empty token and faults that do not check out', async function () {
      const app = await startLimitedScimApp();
      try {
        await expect(startLimitedScimApp({ port: app.port })).to.be.rejectedWith(/EADDRINUSE/);
      } finally {
        await app.stop();
      }
      await expect(startLimitedScimApp({ token: '' })).to.be.rejectedWith(/token/);
      await expect(startLimitedScimApp({ latencyMs: -5 })).to.be.rejectedWith(/latencyMs/);
    });

    it('stops, closing kept-alive connections, and stopping twice is harmless', async function () {
      const app = await startLimitedScimApp();
      await scimClient(app)('GET', '/Users');
      await app.stop();
      await app.stop();
      await expect(fetch(`${app.baseUrl}/ServiceProviderConfig`)).to.be.rejectedWith(TypeError);
    });
  });

  describe('inspection and seeding', function () {
    let app: LimitedScimApp;
    let call: ReturnType<typeof scimClient>;
    before(async function () {
      app = await startLimitedScimApp({ groups: true });
      call = scimClient(app);
    });
    after(() => app.stop());
    afterEach(() => app.reset());

    it('seeds a user as if created in the app, which SCIM then sees', async function () {
      const seeded = app.seedUser({ userName: 'Ada', externalId: 'e-1' });
      expect(seeded).to.deep.include({ userName: 'Ada', externalId: 'e-1', active: true });
      expect(seeded.schemas).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:User']);
      expect((await call('GET', `/Users/${seeded.id}`)).body).to.deep.equal(seeded);
      expect(app.seedUser({ userName: 'bob', id: 'bob-1', active: false })).to.include({ id: 'bob-1', active: false });
      expect(() => app.seedUser({ userName: 'ADA' })).to.throw(/taken/);
      expect(() => app.seedUser({ userName: 'carol', id: 'bob-1' })).to.throw(/taken/);
      expect(untimed(app.requests)).to.deep.equal([
        { method: 'GET', path: `/Users/${seeded.id}`, query: '', status: 200 },
      ]);
    });

    it('edits a user behind the caller’s back, e.g. re-enabling it', async function () {
      const user = app.seedUser({ userName: 'ada', active: false, displayName: 'Ada' });
      const edited = app.editUser(user.id, { active: true, displayName: undefined, id: 'ignored' });
      expect(edited).to.include({ id: user.id, active: true });
      expect(edited).not.to.have.property('displayName');
      expect((await call('GET', `/Users/${user.id}`)).body.active).to.equal(true);
      expect(() => app.editUser('no-such-id', { active: false })).to.throw(/not found/);
      app.seedUser({ userName: 'bob' });
      expect(() => app.editUser(user.id, { userName: 'BOB' })).to.throw(/taken/);
    });

    it('hands out deep copies, finds users case-insensitively and lists groups', async function () {
      const user = app.seedUser({ userName: 'Ada', name: { givenName: 'Ada' } });
      app.users()[0]!.name = { givenName: 'Changed' };
      app.user(user.id)!.active = false;
      expect(app.user(user.id)).to.deep.equal(user);
      expect(app.findUser('ADA')?.id).to.equal(user.id);
      expect(app.findUser('nobody')).to.equal(undefined);
      const body = { schemas: [GROUP_URN], displayName: 'Eng', members: [{ value: user.id }] };
      const { id } = (await call('POST', '/Groups', { body })).body;
      expect(app.groups().map((group) => group.id)).to.deep.equal([id]);
      app.group(id)!.members.length = 0;
      expect(app.group(id)?.members).to.deep.equal([{ value: user.id }]);
    });

    it('logs SCIM requests with their status and query, until cleared', async function () {
      await call('GET', '/Users?count=1');
      expectScimError(await call('GET', '/Users', { token: null }), 401);
      await call('GET', '/ServiceProviderConfig');
      await call('GET', '/__control/state');
      const before = Date.now();
      expect(untimed(app.requests)).to.deep.equal([
        { method: 'GET', path: '/Users', query: 'count=1', status: 200 },
        { method: 'GET', path: '/Users', query: '', status: 401 },
        { method: 'GET', path: '/ServiceProviderConfig', query: '', status: 200 },
      ]);
      expect(app.requests.every((r) => r.at <= before && r.at > before - 60_000)).to.equal(true);
      app.clearRequests();
      expect(app.requests).to.deep.equal([]);
    });

    it('counts the most SCIM requests answered at once', async function () {
      app.setFaults({ latencyMs: 150 });
      await Promise.all([call('GET', '/Users'), call('GET', '/Users'), call('GET', '/Users')]);
      await call('GET', '/Users');
      expect(app.peakInFlight).to.equal(3);
      app.clearRequests();
      expect(app.peakInFlight).to.equal(0);
    });

    it('resets data, faults and the log', async function () {
      app.seedUser({ userName: 'ada' });
      await call('POST', '/Groups', { body: { schemas: [GROUP_URN], displayName: 'Eng' } });
      app.setFaults({ outage: { how: 'reset' }, latencyMs: 4 });
      app.reset();
      expect(app.users()).to.deep.equal([]);
      expect(app.groups()).to.deep.equal([]);
      expect(app.requests).to.deep.equal([]);
      expect(app.faults).to.deep.equal({
        latencyMs: 0,
        flap: false,
        loseAnswer: false,
        outage: false,
        refuseGroupRemoval: false,
      });
      expect((await call('POST', '/Users', { body: userBody('ada') })).status).to.equal(201);
    });
  });

  describe('as its own process (testkit/limited-scim-app-main.ts)', function () {
    this.timeout(20_000);

    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      it(`prints one JSON line once listening, serves with its flags, and stops on ${signal}`, async function () {
        const child = spawn(
          process.execPath,
          ['--require', 'tsx/cjs', MAIN, '--token', 'proc-token', '--groups', '--latency-ms', '3'],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        try {
          const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
          const started = JSON.parse(line) as { baseUrl: string; token: string; pid: number };
          expect(started).to.include({ token: 'proc-token', pid: child.pid });
          expect(started.baseUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
          const headers = { Authorization: 'Bearer proc-token', 'Content-Type': 'application/json' };
          const spc = await (await fetch(`${started.baseUrl}/ServiceProviderConfig`)).json();
          expect((spc as { patch: unknown }).patch).to.deep.equal({ supported: true });
          const faults = await fetch(new URL('/__control/faults', started.baseUrl), { headers });
          expect(((await faults.json()) as { latencyMs: number }).latencyMs).to.equal(3);
        } finally {
          child.kill(signal);
        }
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).to.equal(0);
      });

    it('exits non-zero on a bad flag', async function () {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', MAIN, '--port', 'abc'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).to.equal(2);
      expect(stderr).to.match(/--port must be a non-negative integer/);
    });
  });
});
