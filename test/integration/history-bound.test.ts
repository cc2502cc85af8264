// test/integration/history-bound.test.ts: an identity with a steady stream of changes still continues as new, so its
// history stays bounded whatever keeps arriving (issue 10: 10,939 events were seen in one run before).
import { expect } from 'chai';
import { identityWorkflowId } from '../../workflows/contracts';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BUDGET = 60;

describe('history bound under a steady stream of changes', function () {
  this.timeout(120_000);
  let stack: Stack;
  before(async function () {
    stack = await startStack({ historyBudget: BUDGET });
  });
  after(async () => stack?.stop());

  it('continues as new past its budget while changes keep arriving, and ends on the latest state', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'busy', dialect: 'generic' });
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: {},
    });
    const base = `/scim/v2/${directory.id}/Users`;
    const created = await scim(stack.baseUrl, token, 'POST', base, { schemas: [USER], userName: 'busy@acme.test' });
    const id = created.body.id as string;
    const handle = stack.client.workflow.getHandle(identityWorkflowId(directory.id, id));

    // 150 changes, a few at a time without waiting for convergence: the workflow is never idle for long.
    for (let i = 0; i < 150; i += 1) {
      const res = await scim(stack.baseUrl, token, 'PATCH', `${base}/${id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'title', value: `title ${i}` }],
      });
      expect(res.status).to.equal(200);
    }
    const latest = await stack.stores.events.latestSeqFor(directory.id, id);
    await eventually(
      async () => ((await stack.stores.applied.progress(directory.id, id))?.processedSeq ?? 0) >= latest,
      60_000,
    );

    // Every closed run of this identity continued as new, and none grew far past the budget.
    const runs = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
      runs.push(run);
    expect(runs.length, 'runs of the identity').to.be.at.least(2);
    for (const run of runs.filter((r) => r.status.name !== 'RUNNING')) {
      expect(run.status.name).to.equal('CONTINUED_AS_NEW');
      const history = await stack.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory();
      // The budget is checked between convergences: one convergence and the signals that came meanwhile may pass it.
      expect(history.events?.length ?? 0, run.runId).to.be.below(BUDGET * 4);
    }
    expect((await stack.stores.applied.get(directory.id, id, app.id))?.state).to.equal('active');
  });
});
