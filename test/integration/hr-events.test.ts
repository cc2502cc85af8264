// test/integration/hr-events.test.ts: issue 13 on the real stack (dev server, SQLite file, local apps): signed HR
// events, effective-dated terminations as workflow timers, rescinds, moved dates, HR authority over the IdP, leave,
// rehire, and a person HR terminated before the IdP pushed them.
import { expect } from 'chai';
import type { LeaverWorld } from '../helpers/leaver-world';
import { ADMIN_TOKEN, PATCH_URN, wireWorld } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';
import { deliverHr, inMs, sleep } from '../helpers/hr-world';
import { identityWorkflowId } from '../../workflows/contracts';

describe('HR events (issue 13)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let world: LeaverWorld;
  let secret: string;
  let n = 0;

  before(async function () {
    stack = await startStack();
  });
  beforeEach(async function () {
    world = await wireWorld(stack, { limited: [], local: ['wiki'], entitlements: { wiki: ['reader'] } });
    secret = (await stack.stores.hr.newSecret(world.directoryId, 0)).secret;
  });
  afterEach(async function () {
    await world?.stop();
  });
  after(async function () {
    await stack?.stop();
  });

  const hire = async (userName: string, employeeNumber: string) => {
    const id = await world.createUser(userName, {
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      ],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber },
    });
    await eventually(
      async () =>
        (await world.localAccount('wiki', userName))?.active === true &&
        (await world.localAccount('wiki', userName))!.entitlements.includes('reader'),
    );
    return id;
  };
  const active = async (userName: string) => (await world.localAccount('wiki', userName))?.active === true;
  const revoked = async (id: string, userName: string) =>
    (await world.localAccount('wiki', userName))?.active === false &&
    (await world.applied(id, 'wiki'))?.revocationVerified === true;
  const terminate = (employeeNumber: string, extra: Record<string, unknown> = {}) =>
    deliverHr(world, secret, { id: `t-${++n}`, type: 'termination', person: { employeeNumber }, ...extra });

  it('applies a signed termination now; a retry is a duplicate, another body under the same id a conflict', async function () {
    const id = await hire('ann@hr.test', 'E1');
    const first = await deliverHr(world, secret, {
      id: 'term-1',
      type: 'termination',
      person: { employeeNumber: 'e1' },
      reason: 'resigned',
    });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({ id: 'term-1', identityId: id, status: 'applied' });
    await eventually(() => revoked(id, 'ann@hr.test'));
    const again = await deliverHr(world, secret, {
      id: 'term-1',
      type: 'termination',
      person: { employeeNumber: 'e1' },
      reason: 'resigned',
    });
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ duplicate: true, id: 'term-1', identityId: id });
    const other = await deliverHr(world, secret, {
      id: 'term-1',
      type: 'termination',
      person: { employeeNumber: 'E2' },
    });
    expect(other.status).to.equal(409);
    expect(other.body.scimType).to.equal('uniqueness');
    const record = await eventually(async () => (await stack.stores.applied.revocationsOf(world.directoryId, id))[0]);
    expect(Date.parse(record.verifiedAt)).to.be.at.least(Date.parse(first.body.effectiveAt));
  });

  it('rejects forged, stale, replayed-elsewhere and malformed deliveries with nothing changed', async function () {
    const id = await hire('bob@hr.test', 'E2');
    const event = { id: 'forged-1', type: 'termination', person: { employeeNumber: 'E2' } };
    const forged = await deliverHr(world, 'whsec_' + Buffer.alloc(24, 7).toString('base64'), event);
    expect(forged.status).to.equal(401);
    expect(forged.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const stale = await deliverHr(
      world,
      secret,
      { ...event, id: 'stale-1' },
      { at: new Date(Date.now() - 6 * 60_000) },
    );
    expect(stale.status).to.equal(401);
    const future = await deliverHr(
      world,
      secret,
      { ...event, id: 'future-1' },
      { at: new Date(Date.now() + 6 * 60_000) },
    );
    expect(future.status).to.equal(401);
    // A valid delivery for this directory replayed against another directory (its own secret) is refused.
    const other = await wireWorld(stack, { limited: [], local: [] });
    await stack.stores.hr.newSecret(other.directoryId, 0);
    const elsewhere = await deliverHr(world, secret, { ...event, id: 'x-1' }, { directoryId: other.directoryId });
    expect(elsewhere.status).to.equal(401);
    await other.stop();
    const tampered = await deliverHr(world, secret, event, {
      raw: JSON.stringify({ ...event, person: { employeeNumber: 'E2' }, reason: 'x' }),
      signature: (await import('standardwebhooks')).Webhook.prototype.sign.call(
        new (await import('standardwebhooks')).Webhook(secret),
        'forged-1',
        new Date(),
        JSON.stringify(event),
      ),
    });
    expect(tampered.status).to.equal(401);
    const bad = await deliverHr(world, secret, {
      id: 'bad-1',
      type: 'termination',
      person: {},
      effectiveAt: 'tomorrow',
    });
    expect(bad.status, JSON.stringify(bad.body)).to.equal(400);
    expect(bad.body.scimType).to.equal('invalidValue');
    const huge = await deliverHr(world, secret, { id: 'big-1', type: 'termination', reason: 'x'.repeat(70_000) });
    expect(huge.status).to.equal(413);
    expect(huge.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const deep = await deliverHr(world, secret, {}, { id: 'deep-1', raw: '['.repeat(100) + ']'.repeat(100) });
    expect(deep.status).to.equal(400);
    expect(deep.body.scimType).to.equal('invalidSyntax');
    const notJson = await deliverHr(world, secret, {}, { id: 'raw-1', raw: '{"type": ' });
    expect(notJson.status).to.equal(400);
    expect(notJson.body.scimType).to.equal('invalidSyntax');
    await sleep(1_000);
    expect(await active('bob@hr.test')).to.equal(true);
    expect(await stack.stores.hr.list(world.directoryId)).to.have.length(0);
    expect((await stack.stores.events.list(world.directoryId, { identityId: id })).map((e) => e.kind)).to.not.include(
      'hr.leaver',
    );
  });

  it('refuses an event that matches several people, and keeps one that matches nobody until they appear', async function () {
    await hire('c1@hr.test', 'DUP');
    await hire('c2@hr.test', 'dup');
    const several = await terminate('Dup');
    expect(several.status).to.equal(409);
    expect(several.body.detail).to.match(/Several users match employeeNumber/);
    expect(await stack.stores.hr.list(world.directoryId)).to.have.length(0);

    const early = await terminate('E404');
    expect(early.body).to.include({ status: 'awaiting-identity', identityId: null });
    // The IdP pushes the new hire after HR terminated them: no access is ever given.
    const late = await world.createUser('late@hr.test', {
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: 'E404' },
    });
    await eventually(async () => (await stack.stores.hr.get(world.directoryId, early.body.id))?.identityId === late);
    await eventually(async () => (await stack.stores.applied.progress(world.directoryId, late))?.processedSeq);
    expect(await active('late@hr.test')).to.equal(false);
  });

  it('fires a future-dated termination on time and not before, as a timer in the identity workflow', async function () {
    const id = await hire('dee@hr.test', 'E3');
    const effectiveAt = inMs(5_000);
    const res = await terminate('E3', { effectiveAt });
    expect(res.body).to.include({ status: 'scheduled', effectiveAt });
    await sleep(Date.parse(effectiveAt) - Date.now() - 1_500);
    expect(await active('dee@hr.test')).to.equal(true);
    await eventually(() => revoked(id, 'dee@hr.test'), 20_000);
    const record = await eventually(async () => (await stack.stores.applied.revocationsOf(world.directoryId, id))[0]);
    expect(record.requestedAt).to.equal(effectiveAt);
    expect(record.verifiedAt >= effectiveAt).to.equal(true);
    const history = await stack.client.workflow.getHandle(identityWorkflowId(world.directoryId, id)).fetchHistory();
    expect(history.events!.some((e) => e.timerStartedEventAttributes)).to.equal(true);
  });

  it('cancels the timer when the termination is rescinded, and refuses to rescind one that took effect', async function () {
    await hire('eve@hr.test', 'E4');
    const res = await terminate('E4', { effectiveAt: inMs(3_000) });
    const rescind = await deliverHr(world, secret, { id: 'r-1', type: 'termination.rescinded', rescinds: res.body.id });
    expect(rescind.status, JSON.stringify(rescind.body)).to.equal(201);
    expect(rescind.body.status).to.equal('rescinded');
    await sleep(5_000);
    expect(await active('eve@hr.test')).to.equal(true);

    const now = await terminate('E4');
    await eventually(async () => !(await active('eve@hr.test')));
    const late = await deliverHr(world, secret, { id: 'r-2', type: 'termination.rescinded', rescinds: now.body.id });
    expect(late.status).to.equal(409);
    expect(late.body.detail).to.match(/took effect at .*; use rehire/);
  });

  it('moves the timer when HR moves the date', async function () {
    const id = await hire('fay@hr.test', 'E5');
    await terminate('E5', { effectiveAt: inMs(3_000) });
    const moved = inMs(7_000);
    await terminate('E5', { effectiveAt: moved });
    await sleep(5_000);
    expect(await active('fay@hr.test')).to.equal(true);
    await eventually(() => revoked(id, 'fay@hr.test'), 20_000);
    expect((await stack.stores.applied.revocationsOf(world.directoryId, id))[0]?.requestedAt ?? moved).to.equal(moved);
  });

  it('keeps a terminated person out when the IdP still says active=true, until a rehire', async function () {
    const id = await hire('gus@hr.test', 'E6');
    await terminate('E6');
    await eventually(() => revoked(id, 'gus@hr.test'));
    const base = `/scim/v2/${world.directoryId}/Users/${id}`;
    const patch = await scim(stack.baseUrl, world.token, 'PATCH', base, {
      schemas: [PATCH_URN],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Gus again' },
        { op: 'replace', path: 'active', value: true },
      ],
    });
    expect(patch.status).to.equal(200);
    await eventually(
      async () =>
        (await stack.stores.applied.progress(world.directoryId, id))?.processedSeq ===
        (await stack.stores.events.latestSeqFor(world.directoryId, id)),
    );
    await sleep(1_000);
    expect(await active('gus@hr.test')).to.equal(false);
    const rehire = await deliverHr(world, secret, { id: 'h-1', type: 'rehire', person: { employeeNumber: 'E6' } });
    expect(rehire.status).to.equal(201);
    await eventually(
      async () =>
        (await active('gus@hr.test')) &&
        (await world.localAccount('wiki', 'gus@hr.test'))!.entitlements.includes('reader'),
    );
  });

  it('suspends access during a leave of absence and restores it on return; the NHIs they own stay theirs', async function () {
    const id = await hire('hal@hr.test', 'E7');
    const bot = await scim(stack.baseUrl, ADMIN_TOKEN, 'POST', `/admin/directories/${world.directoryId}/nhis`, {
      name: 'hal-bot',
      owner: id,
      apps: { wiki: [] },
    });
    await eventually(() => active('hal-bot'));
    await deliverHr(world, secret, { id: 'l-1', type: 'leave.started', person: { employeeNumber: 'E7' } });
    await eventually(() => revoked(id, 'hal@hr.test'));
    expect((await world.localAccount('wiki', 'hal@hr.test'))!.entitlements).to.deep.equal([]);
    const nhi = (await stack.stores.nhis.get(world.directoryId, bot.body.id))!;
    expect(nhi).to.include({ ownerId: id, status: 'active', exception: null }); // a leave is not a departure
    expect(await active('hal-bot')).to.equal(true);
    const back = inMs(2_000);
    await deliverHr(world, secret, {
      id: 'l-2',
      type: 'leave.ended',
      person: { employeeNumber: 'E7' },
      effectiveAt: back,
    });
    await eventually(
      async () =>
        (await active('hal@hr.test')) &&
        (await world.localAccount('wiki', 'hal@hr.test'))!.entitlements.includes('reader'),
      20_000,
    );
    expect(new Date().toISOString() >= back).to.equal(true);
  });

  it('manages NHIs through the admin API, and maps a service account the IdP pushes to an NHI record', async function () {
    const owner = await hire('ivy@hr.test', 'E8');
    const admin = (method: string, path: string, body?: unknown) =>
      scim(stack.baseUrl, ADMIN_TOKEN, method, `/admin/directories/${world.directoryId}${path}`, body);
    const bad = await admin('POST', '/nhis', { name: 'x', owner: 'ivy@hr.test', apps: { nope: [] } });
    expect(bad.status).to.equal(400);
    expect(bad.body.scimType).to.equal('invalidValue');
    const noOwner = await admin('POST', '/nhis', { name: 'x', owner: 'ghost@hr.test' });
    expect(noOwner.status).to.equal(404);
    const added = await admin('POST', '/nhis', { name: 'ci-bot', owner: 'ivy@hr.test', apps: { wiki: ['reader'] } });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body).to.include({ ownerId: owner, status: 'active', source: 'admin' });
    await eventually(() => active('ci-bot'));
    const revoked = await admin('POST', `/nhis/ci-bot/revoke`, { reason: 'leaked' });
    expect(revoked.body).to.include({ status: 'revoked', revokedReason: 'leaked' });
    await eventually(
      async () =>
        !(await active('ci-bot')) &&
        (await stack.stores.applied.revocationsOf(world.directoryId, added.body.id)).length > 0,
    );

    const svc = await world.createUser('build-svc', {
      userType: 'Service',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: owner } },
    });
    await eventually(() => stack.stores.nhis.get(world.directoryId, svc));
    expect(await stack.stores.nhis.get(world.directoryId, svc)).to.include({
      source: 'scim',
      ownerId: owner,
      kind: 'service-account',
    });
    await eventually(() => active('build-svc')); // the policy gives it its accounts, like any user
    const listed = await admin('GET', '/nhis');
    expect(listed.body.nhis.map((n: { name: string }) => n.name)).to.include.members(['ci-bot', 'build-svc']);
  });

  it('applies a mover: HR’s department and manager replace the IdP’s for the policy', async function () {
    await stack.stores.policies.put(world.directoryId, {
      baseline: 'all',
      rules: [
        { name: 'everyone', grant: [{ app: 'wiki', entitlements: ['reader'] }] },
        { name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'wiki', entitlements: ['pipeline'] }] },
      ],
    });
    const boss = await hire('max@hr.test', 'B1');
    const id = await hire('ned@hr.test', 'E9');
    const moved = await deliverHr(world, secret, {
      id: 'm-1',
      type: 'mover',
      person: { employeeNumber: 'E9' },
      changes: { department: 'Sales', manager: 'B1' },
    });
    expect(moved.status, JSON.stringify(moved.body)).to.equal(201);
    await eventually(async () => (await world.localAccount('wiki', 'ned@hr.test'))!.entitlements.includes('pipeline'));
    // The manager was named by employee number and is kept as the manager's SCIM id.
    expect((await stack.stores.hr.get(world.directoryId, 'm-1'))!.body.changes).to.deep.equal({
      department: 'Sales',
      manager: boss,
    });
    expect((await stack.stores.hr.get(world.directoryId, 'm-1'))!.identityId).to.equal(id);
  });
});
