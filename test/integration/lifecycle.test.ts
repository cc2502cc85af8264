// test/integration/lifecycle.test.ts: joiner → provisioned, leaver → revoked, in a local app and a real scim2-server.
import { expect } from 'chai';
import { createScimConnector } from '../../connectors/scim-outbound';
import { accountNamed } from '../helpers/accounts';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';
import { startScim2Server } from '../helpers/scim2-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('identity lifecycle on a real Temporal server', function () {
  let stack: Stack;
  let downstream: Awaited<ReturnType<typeof startScim2Server>>;
  let directoryId: string;
  let token: string;
  let localAppId: string;

  before(async function () {
    downstream = await startScim2Server();
    stack = await startStack();
    const created = await stack.stores.directories.create({ name: 'acme', dialect: 'generic' });
    directoryId = created.directory.id;
    token = created.token;
    localAppId = (
      await stack.stores.directories.addApp({
        directoryId,
        name: 'demo',
        type: 'local',
        config: { deprovision: 'disable' },
      })
    ).id;
    await stack.stores.directories.addApp({
      directoryId,
      name: 'crm',
      type: 'scim',
      config: { deprovision: 'disable', url: downstream.baseUrl, token: downstream.token },
    });
  });

  after(async function () {
    await stack?.stop();
    await downstream?.stop();
  });

  const base = () => `/scim/v2/${directoryId}`;
  const crm = () => createScimConnector({ url: downstream.baseUrl, token: downstream.token });
  const localAccount = async (userName: string) =>
    (await stack.stores.localAccounts.list(localAppId)).find((a) => a.userName === userName);

  async function createUser(userName: string, extra: Record<string, unknown> = {}) {
    const res = await scim(stack.baseUrl, token, 'POST', `${base()}/Users`, {
      schemas: [USER],
      userName,
      active: true,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string };
  }

  it('provisions a joiner into the local app and the SCIM app', async function () {
    const user = await createUser('ada@acme.test', {
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      externalId: 'emp-1',
    });
    const local = await eventually(() => localAccount('ada@acme.test'));
    expect(local.active).to.equal(true);
    const remote = await eventually(() => accountNamed(crm(), 'ada@acme.test'));
    expect(remote.active).to.equal(true);
    const events = await stack.stores.events.list(directoryId, { identityId: user.id });
    expect(events.map((e) => e.kind)).to.deep.equal(['created']);
    await eventually(async () => (await stack.stores.applied.progress(directoryId, user.id))?.lifecycle === 'active');
  });

  it('revokes a leaver in both apps, verifies it, and records the time to revoke', async function () {
    const user = await createUser('grace@acme.test');
    await eventually(() => accountNamed(crm(), 'grace@acme.test'));
    await eventually(() => localAccount('grace@acme.test'));
    const res = await scim(stack.baseUrl, token, 'PATCH', `${base()}/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(res.status).to.equal(200);
    expect(res.body.active).to.equal(false);
    const revocation = await eventually(async () =>
      (await stack.stores.applied.revocations(directoryId)).find((r) => r.identityId === user.id),
    );
    expect(revocation.latencyMs).to.be.at.least(0);
    expect((await localAccount('grace@acme.test'))?.active).to.equal(false);
    expect((await accountNamed(crm(), 'grace@acme.test'))?.active).to.equal(false);
    const actions = (await stack.stores.applied.auditTrail(directoryId, user.id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'revocation.verified')).to.have.length(2);
  });

  it('revokes on DELETE and keeps answering 404 for the deleted user', async function () {
    const user = await createUser('hedy@acme.test');
    // Both accounts first: a DELETE that overtakes a joiner (leavers go first) leaves no account to revoke at all.
    await eventually(() => accountNamed(crm(), 'hedy@acme.test'));
    await eventually(() => localAccount('hedy@acme.test'));
    expect((await scim(stack.baseUrl, token, 'DELETE', `${base()}/Users/${user.id}`)).status).to.equal(204);
    expect((await scim(stack.baseUrl, token, 'GET', `${base()}/Users/${user.id}`)).status).to.equal(404);
    await eventually(async () =>
      (await stack.stores.applied.revocations(directoryId)).find((r) => r.identityId === user.id),
    );
    expect((await accountNamed(crm(), 'hedy@acme.test'))?.active).to.equal(false);
    expect((await localAccount('hedy@acme.test'))?.active).to.equal(false);
  });

  it('ends in the right state when the IdP repeats and reorders its pushes', async function () {
    const user = await createUser('alan@acme.test');
    await eventually(() => accountNamed(crm(), 'alan@acme.test'));
    await eventually(() => localAccount('alan@acme.test'));
    const deactivate = { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] };
    const rename = { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Alan T.' }] };
    // The IdP retries the deactivation (duplicate) and a stale rename arrives after it (reordered).
    for (const body of [deactivate, deactivate, rename, deactivate]) {
      const res = await scim(stack.baseUrl, token, 'PATCH', `${base()}/Users/${user.id}`, body);
      expect(res.status).to.equal(200);
    }
    await eventually(
      async () =>
        (await accountNamed(crm(), 'alan@acme.test'))?.active === false &&
        (await localAccount('alan@acme.test'))?.active === false,
    );
    await eventually(
      async () => (await stack.stores.applied.progress(directoryId, user.id))?.lifecycle === 'suspended',
    );
    // Duplicates are recorded, but converge to the same end: one account per app, disabled, nothing re-provisioned.
    const all = await fetch(
      `${downstream.baseUrl}/Users?filter=${encodeURIComponent('userName eq "alan@acme.test"')}`,
      {
        headers: { authorization: `Bearer ${downstream.token}` },
      },
    ).then((r) => r.json() as Promise<{ totalResults: number }>);
    expect(all.totalResults).to.equal(1);
    expect((await stack.stores.events.list(directoryId, { identityId: user.id })).map((e) => e.kind)).to.deep.equal([
      'created',
      'deactivated',
      'updated',
    ]);
    const created = (await stack.stores.applied.auditTrail(directoryId, user.id)).filter(
      (a) => a.action === 'account.created',
    );
    expect(created).to.have.length(2);
  });

  it('never provisions a user the IdP deactivated before the first convergence', async function () {
    const user = await createUser('ghost@acme.test');
    await scim(stack.baseUrl, token, 'PATCH', `${base()}/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    await eventually(
      async () => (await stack.stores.applied.progress(directoryId, user.id))?.lifecycle === 'suspended',
    );
    expect(await localAccount('ghost@acme.test')).to.equal(undefined);
    expect(await accountNamed(crm(), 'ghost@acme.test')).to.equal(undefined);
  });

  it('re-enables a reactivated user in every app', async function () {
    const user = await createUser('linus@acme.test', { active: false });
    expect(await localAccount('linus@acme.test')).to.equal(undefined);
    await scim(stack.baseUrl, token, 'PATCH', `${base()}/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    await eventually(async () => (await localAccount('linus@acme.test'))?.active === true);
    await eventually(async () => (await accountNamed(crm(), 'linus@acme.test'))?.active === true);
  });

  it('keeps accepting SCIM writes while no worker runs, and converges once one is back', async function () {
    await stack.stopWorker();
    const user = await createUser('barbara@acme.test');
    await new Promise((r) => setTimeout(r, 500));
    expect(await localAccount('barbara@acme.test')).to.equal(undefined);
    await stack.startWorker();
    await eventually(() => localAccount('barbara@acme.test'));
    expect(await stack.stores.events.list(directoryId, { identityId: user.id })).to.have.length(1);
  });
});
