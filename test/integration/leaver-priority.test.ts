// test/integration/leaver-priority.test.ts: a leaver passes a sync's backlog (poker order + Temporal task priority),
// and its workflow's priority is raised for the revocation and put back when the identity rejoins.
import { expect } from 'chai';
import { identityWorkflowId } from '../../workflows/contracts';
import { DEFAULT_PRIORITY, LEAVER_PRIORITY } from '../../runtime/identity-client';
import type { LeaverWorld } from '../helpers/leaver-world';
import { USER_URN, wireWorld } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

describe('leavers go first (issue 10)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let world: LeaverWorld | undefined;

  before(async function () {
    stack = await startStack();
  });
  after(async function () {
    await world?.stop();
    await stack?.stop();
  });

  const priorityOf = async (identityId: string) => {
    const handle = stack.client.workflow.getHandle(identityWorkflowId(world!.directoryId, identityId));
    return (await handle.describe()).raw.workflowExecutionInfo?.priority?.priorityKey ?? 0;
  };

  it('revokes a leaver while a sync of hundreds of joiners is still converging', async function () {
    world = await wireWorld(stack, { limited: [{ name: 'crm', latencyMs: 20 }], local: ['wiki'] });
    const leaver = await world.createUser('leaver@acme.test');
    await eventually(async () => (await world!.applied(leaver, 'crm'))?.state === 'active', 30_000);
    expect(await priorityOf(leaver)).to.equal(DEFAULT_PRIORITY);

    const syncSize = 400;
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < syncSize; i += 1)
      posts.push(
        scim(stack.baseUrl, world.token, 'POST', `/scim/v2/${world.directoryId}/Users`, {
          schemas: [USER_URN],
          userName: `joiner${i}@acme.test`,
        }),
      );
    await Promise.all(posts);
    await world.deactivate(leaver);
    await eventually(() => world!.revocationsRecorded([leaver]), 120_000);
    // The ordering is the claim: the leaver's revocation was verified with most of the sync still waiting. Counted at
    // the moment the revocation was verified (the app's creation times), not when this test looked: on a
    // loaded host the poll above can notice it seconds later, while joiners go on being provisioned.
    const verifiedAt = Date.parse(
      (await stack.stores.applied.revocations(world.directoryId)).find((r) => r.identityId === leaver)!.verifiedAt,
    );
    const active = world
      .limited('crm')
      .app.users()
      .filter((u) => u.userName.startsWith('joiner') && Date.parse(u.meta.created) <= verifiedAt).length;
    expect(active, 'joiners already provisioned when the leaver was revoked').to.be.below(syncSize / 2);
    expect(world.limited('crm').app.findUser('leaver@acme.test')?.active).to.equal(false);
    expect(await priorityOf(leaver)).to.equal(LEAVER_PRIORITY);

    // Back in line when the identity rejoins.
    const res = await scim(stack.baseUrl, world.token, 'PATCH', `/scim/v2/${world.directoryId}/Users/${leaver}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    expect(res.status).to.equal(200);
    await eventually(async () => (await priorityOf(leaver)) === DEFAULT_PRIORITY, 30_000);
    await eventually(() => world!.limited('crm').app.findUser('leaver@acme.test')?.active === true, 120_000);
  });
});
