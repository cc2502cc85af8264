// test/unit/testkit/limited-scim-app-faults.test.ts: the limited app's faults, set in-process and over /__control.
import { expect } from 'chai';
import type { LimitedScimApp, ScimUser } from '../../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../../testkit/limited-scim-app';
import { expectScimError, GROUP_URN, patchBody, scimClient, untimed, userBody } from './limited-scim-client';

describe('limited SCIM app: faults (testkit/limited-scim-app.ts)', function () {
  let app: LimitedScimApp;
  let call: ReturnType<typeof scimClient>;

  before(async function () {
    app = await startLimitedScimApp({ groups: true });
    call = scimClient(app);
  });
  after(() => app.stop());
  afterEach(() => app.reset());

  const lastStatus = (): number | undefined => app.requests.at(-1)?.status;

  it('waits latencyMs before answering, and can be changed at run time', async function () {
    app.setFaults({ latencyMs: 120 });
    let started = Date.now();
    expect((await call('GET', '/Users')).status).to.equal(200);
    expect(Date.now() - started).to.be.at.least(110);
    app.setFaults({ latencyMs: 0 });
    started = Date.now();
    await call('GET', '/Users');
    expect(Date.now() - started).to.be.below(100);
  });

  describe('loseAnswer', function () {
    it('creates the user, then resets the connection without an answer, `times` times', async function () {
      app.setFaults({ loseAnswer: { on: 'create', times: 1, how: 'reset' } });
      await expect(call('POST', '/Users', { body: userBody('ada') })).to.be.rejectedWith(TypeError);
      expect(app.findUser('ada')).to.include({ userName: 'ada', active: true });
      expect(untimed(app.requests)).to.deep.equal([{ method: 'POST', path: '/Users', query: '', status: 0 }]);
      expect(app.faults.loseAnswer).to.equal(false);
      expect((await call('POST', '/Users', { body: userBody('bob') })).status).to.equal(201);
    });

    it('updates the user, then answers 500', async function () {
      const user = app.seedUser({ userName: 'ada' });
      app.setFaults({ loseAnswer: { on: 'update', times: 2, how: '500' } });
      expectScimError(await call('PUT', `/Users/${user.id}`, { body: userBody('ada', { active: false }) }), 500);
      expect(app.user(user.id)?.active).to.equal(false);
      expect(lastStatus()).to.equal(500);
      expect(app.faults.loseAnswer).to.deep.equal({ on: 'update', times: 1, how: '500' });
    });

    it('deletes the user, then resets the connection', async function () {
      const user = app.seedUser({ userName: 'ada' });
      app.setFaults({ loseAnswer: { on: 'delete', times: 'always', how: 'reset' } });
      await expect(call('DELETE', `/Users/${user.id}`)).to.be.rejectedWith(TypeError);
      expect(app.users()).to.deep.equal([]);
      expect(app.faults.loseAnswer).to.deep.equal({ on: 'delete', times: 'always', how: 'reset' });
    });

    it('only counts the writes it is set on, and only writes that happened', async function () {
      const user = app.seedUser({ userName: 'ada' });
      app.setFaults({ loseAnswer: { on: 'delete', times: 1, how: '500' } });
      expect((await call('PUT', `/Users/${user.id}`, { body: userBody('ada') })).status).to.equal(200);
      expect((await call('POST', '/Users', { body: userBody('bob') })).status).to.equal(201);
      expectScimError(await call('DELETE', '/Users/no-such-id'), 404);
      expect(app.faults.loseAnswer).to.deep.equal({ on: 'delete', times: 1, how: '500' });
    });

    it('on `write` also loses Group writes, after making them', async function () {
      const user = app.seedUser({ userName: 'ada' });
      app.setFaults({ loseAnswer: { on: 'write', times: 2, how: '500' } });
      const created = await call('POST', '/Groups', { body: { schemas: [GROUP_URN], displayName: 'Eng' } });
      expectScimError(created, 500);
      const [group] = app.groups();
      const add = patchBody({ op: 'add', path: 'members', value: [{ value: user.id }] });
      expectScimError(await call('PATCH', `/Groups/${group!.id}`, { body: add }), 500);
      expect(app.group(group!.id)?.members).to.deep.equal([{ value: user.id }]);
      expect(app.faults.loseAnswer).to.equal(false);
    });
  });

  describe('outage', function () {
    it('answers every SCIM request 503 with Retry-After, without touching data', async function () {
      app.setFaults({ outage: { how: 'unavailable', retryAfterSeconds: 7 } });
      const answer = await call('POST', '/Users', { body: userBody('ada') });
      expectScimError(answer, 503);
      expect(answer.headers.get('retry-after')).to.equal('7');
      expectScimError(await call('GET', '/ServiceProviderConfig', { token: null }), 503);
      expect(app.users()).to.deep.equal([]);
      app.setFaults({ outage: { how: 'unavailable' } });
      expect((await call('GET', '/Users')).headers.get('retry-after')).to.equal(null);
    });

    it('answers every SCIM request 429 with Retry-After when throttled, without touching data', async function () {
      app.setFaults({ outage: { how: 'throttled', retryAfterSeconds: 3 } });
      const answer = await call('POST', '/Users', { body: userBody('ada') });
      expectScimError(answer, 429);
      expect(answer.headers.get('retry-after')).to.equal('3');
      expect(app.users()).to.deep.equal([]);
      app.setFaults({ outage: false });
      expect((await call('POST', '/Users', { body: userBody('ada') })).status).to.equal(201);
    });

    it('resets every SCIM connection, without touching data', async function () {
      app.setFaults({ outage: { how: 'reset' } });
      await expect(call('POST', '/Users', { body: userBody('ada') })).to.be.rejectedWith(TypeError);
      expect(app.users()).to.deep.equal([]);
      expect(lastStatus()).to.equal(0);
      app.setFaults({ outage: false });
      expect((await call('POST', '/Users', { body: userBody('ada') })).status).to.equal(201);
    });
  });

  describe('flap', function () {
    it('alternates between 503 and answering, starting down', async function () {
      app.setFaults({ flap: { upMs: 150, downMs: 150, how: 'unavailable' } });
      expectScimError(await call('POST', '/Users', { body: userBody('ada') }), 503);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await call('POST', '/Users', { body: userBody('ada') })).status).to.equal(201);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expectScimError(await call('GET', '/Users'), 503);
      app.setFaults({ flap: false });
    });

    it('starts its first down phase at the first request, however long after it was set', async function () {
      app.setFaults({ flap: { upMs: 300, downMs: 150, how: 'unavailable' } });
      // 200 ms after it was set: into the up phase if the phases ran from then.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expectScimError(await call('GET', '/Users'), 503);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await call('GET', '/Users')).status).to.equal(200);
      app.setFaults({ flap: false });
    });

    it('refuses a flap without both phases', function () {
      expect(() => app.setFaults({ flap: { upMs: 100 } as never })).to.throw(/flap/);
    });
  });

  describe('refuseGroupRemoval', function () {
    let ada: ScimUser;
    let bob: ScimUser;
    let groupId: string;
    beforeEach(async function () {
      ada = app.seedUser({ userName: 'ada' });
      bob = app.seedUser({ userName: 'bob' });
      const body = { schemas: [GROUP_URN], displayName: 'Eng', members: [{ value: ada.id }] };
      groupId = (await call('POST', '/Groups', { body })).body.id;
      app.setFaults({ refuseGroupRemoval: true });
    });
    const patch = (...operations: object[]) => call('PATCH', `/Groups/${groupId}`, { body: patchBody(...operations) });
    const members = () => app.group(groupId)?.members.map((member) => member.value);

    it('answers 403 without scimType to a PATCH that would remove a member, and changes nothing', async function () {
      const answer = await patch(
        { op: 'add', path: 'members', value: [{ value: bob.id }] },
        { op: 'remove', path: `members[value eq "${ada.id}"]` },
      );
      expectScimError(answer, 403);
      expect(answer.body.detail).to.equal('this app does not allow removing group members');
      expectScimError(await patch({ op: 'remove', path: 'members', value: [{ value: ada.id }] }), 403);
      expect(members()).to.deep.equal([ada.id]);
    });

    it('still adds members, and lets a removal of an absent member through as a no-op', async function () {
      expect((await patch({ op: 'add', path: 'members', value: [{ value: bob.id }] })).status).to.equal(204);
      expect((await patch({ op: 'remove', path: 'members[value eq "ghost"]' })).status).to.equal(204);
      expect(members()).to.deep.equal([ada.id, bob.id]);
    });
  });

  describe('/__control', function () {
    it('sets faults over HTTP with the bearer token and answers the current faults', async function () {
      const answer = await call('POST', '/__control/faults', { body: { latencyMs: 5, refuseGroupRemoval: true } });
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.equal('application/json');
      expect(answer.body).to.deep.equal({
        latencyMs: 5,
        flap: false,
        loseAnswer: false,
        outage: false,
        refuseGroupRemoval: true,
      });
      expect(app.faults).to.deep.equal(answer.body);
      expect((await call('GET', '/__control/faults')).body).to.deep.equal(answer.body);
    });

    it('refuses a request without the token, and faults that do not check out', async function () {
      expectScimError(await call('POST', '/__control/faults', { token: null, body: { latencyMs: 5 } }), 401);
      expectScimError(await call('GET', '/__control/state', { token: 'wrong' }), 401);
      for (const body of [
        { latencyMs: -1 },
        { latencyMs: '5' },
        { loseAnswer: { on: 'create', times: 0, how: 'reset' } },
        { loseAnswer: { on: 'patch', times: 1, how: 'reset' } },
        { outage: { how: 'unavailable', retryAfterSeconds: 1.5 } },
        { outage: true },
        { latencyMS: 5 },
      ])
        expectScimError(await call('POST', '/__control/faults', { body }), 400, 'invalidValue');
      for (const body of ['not json', '[]'])
        expectScimError(await call('POST', '/__control/faults', { body }), 400, 'invalidSyntax');
      expect(app.faults.latencyMs).to.equal(0);
      expect(() => app.setFaults({ latencyMs: -1 })).to.throw(/latencyMs/);
    });

    it('answers the state for out-of-process inspection, and is exempt from outage, latency and the log', async function () {
      const user = app.seedUser({ userName: 'ada' });
      await call('GET', '/Users');
      app.setFaults({ outage: { how: 'reset' }, latencyMs: 1_000 });
      const started = Date.now();
      const state = (await call('GET', '/__control/state')).body;
      expect(Date.now() - started).to.be.below(500);
      expect(state.users).to.deep.equal([user]);
      expect(state.groups).to.deep.equal([]);
      expect(untimed(state.requests)).to.deep.equal([{ method: 'GET', path: '/Users', query: '', status: 200 }]);
      expect(app.requests).to.have.length(1);
    });

    it('resets the app over HTTP, and answers 404 and 405 like the SCIM side', async function () {
      app.seedUser({ userName: 'ada' });
      app.setFaults({ latencyMs: 3 });
      expect((await call('POST', '/__control/reset')).status).to.equal(204);
      expect(app.users()).to.deep.equal([]);
      expect(app.faults.latencyMs).to.equal(0);
      expectScimError(await call('GET', '/__control/nothing'), 404);
      expectScimError(await call('DELETE', '/__control/faults'), 405);
    });
  });
});
