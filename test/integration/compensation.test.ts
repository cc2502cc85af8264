// test/integration/compensation.test.ts: a grant the app refuses rolls back that run's grants and raises an operator-visible exception.
import { expect } from 'chai';
import { identityQuery, identityWorkflowId, retryExceptionUpdate, SEARCH_ATTRIBUTES } from '../../workflows/contracts';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('compensation and exceptions', function () {
  let stack: Stack;
  before(async function () {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('rolls back a joiner whose grant is refused, flags the exception, and converges after an operator retry', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'comp', dialect: 'generic' });
    const wiki = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'wiki',
      type: 'local',
      config: {},
    });
    const vault = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'vault',
      type: 'local',
      config: { chaos: { rejectEntitlements: ['admin'] } },
    });
    await stack.stores.policies.put(directory.id, {
      rules: [
        {
          name: 'finance',
          when: { department: 'Finance' },
          grant: [
            { app: 'wiki', entitlements: ['editor'] },
            { app: 'vault', entitlements: ['admin'] },
          ],
        },
      ],
    });
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER, ENT],
      userName: 'fin@acme.test',
      [ENT]: { department: 'Finance' },
    });
    expect(res.status).to.equal(201);
    const id = res.body.id as string;

    const progress = await eventually(async () =>
      (await stack.stores.applied.progress(directory.id, id))?.exception
        ? await stack.stores.applied.progress(directory.id, id)
        : undefined,
    );
    expect(progress.lifecycle).to.equal('exception');
    expect(progress.exception).to.match(
      new RegExp(`app ${vault.id}: grantEntitlements admin: .*refuses.*admin.*rolled back`),
    );
    // Rolled back in the refusing app only: what this run created or granted in the vault is disabled again and holds
    // nothing. The wiki converges on its own lane: one app's refusal costs the other app nothing.
    const [inVault, ...moreInVault] = await stack.stores.localAccounts.list(vault.id);
    expect(moreInVault).to.deep.equal([]);
    expect(inVault).to.include({ active: false }).and.to.have.deep.property('entitlements', []);
    const inWiki = await eventually(async () => (await stack.stores.localAccounts.list(wiki.id))[0]);
    expect(inWiki).to.include({ active: true }).and.to.have.deep.property('entitlements', ['editor']);
    const [stuck] = await stack.stores.applied.exceptions(directory.id);
    expect(stuck).to.include({ identityId: id });
    expect(stuck!.apps.map((a) => [a.appId, a.kind])).to.deep.equal([[vault.id, 'exception']]);
    const actions = (await stack.stores.applied.auditTrail(directory.id, id)).map((a) => a.action);
    expect(actions).to.include.members(['account.intent', 'account.created', 'compensation.account', 'exception']);

    const handle = stack.client.workflow.getHandle(identityWorkflowId(directory.id, id));
    const view = await handle.query(identityQuery);
    expect(view.exception).to.match(/admin/);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.exception)).to.equal(true);
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.lifecycle)).to.equal('exception');

    // The operator fixes the app (it now accepts the grant) and retries with one update.
    await stack.stores.directories.updateAppConfig(vault.id, {});
    expect(await handle.executeUpdate(retryExceptionUpdate)).to.deep.equal({ retried: true });
    await eventually(async () => (await stack.stores.applied.progress(directory.id, id))?.lifecycle === 'active');
    expect((await stack.stores.localAccounts.list(vault.id))[0])
      .to.include({ active: true })
      .and.to.have.deep.property('entitlements', ['admin']);
    expect((await stack.stores.localAccounts.list(wiki.id))[0])
      .to.include({ active: true })
      .and.to.have.deep.property('entitlements', ['editor']);
    // The search attribute is upserted in the workflow task after the progress row, so poll for it.
    await eventually(
      async () => (await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.exception) === false,
    );
  });

  it('grants the new entitlements and revokes the stale ones when a user moves department', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'mover', dialect: 'generic' });
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'erp',
      type: 'local',
      config: {},
    });
    await stack.stores.policies.put(directory.id, {
      baseline: 'all',
      rules: [
        { name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'erp', entitlements: ['quotes'] }] },
        { name: 'support', when: { department: 'Support' }, grant: [{ app: 'erp', entitlements: ['tickets'] }] },
      ],
    });
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, {
      schemas: [USER, ENT],
      userName: 'mo@acme.test',
      [ENT]: { department: 'Sales' },
    });
    await eventually(async () => (await stack.stores.localAccounts.list(app.id))[0]?.entitlements.includes('quotes'));
    await scim(stack.baseUrl, token, 'PATCH', `/scim/v2/${directory.id}/Users/${res.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: `${ENT}:department`, value: 'Support' }],
    });
    await eventually(
      async () => JSON.stringify((await stack.stores.localAccounts.list(app.id))[0]?.entitlements) === '["tickets"]',
    );
    const actions = (await stack.stores.applied.auditTrail(directory.id, res.body.id)).map((a) => a.action);
    expect(actions).to.include.members(['entitlement.revoked', 'revocation.verified', 'entitlement.granted']);
  });
});
