// test/integration/stack-teardown.test.ts: a stopped test stack leaves no workflow running on the shared dev server
// (they would retry against its deleted database on every later stack's worker and load the rest of the suite).
import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/contracts';
import { scimUsers } from '../helpers/scim-users';
import { eventually, startStack } from '../helpers/stack';
import { getTestTemporal } from '../helpers/temporal';

describe('test stack teardown', function () {
  it("terminates the stopped stack's identity workflows, even those still retrying against a dead app", async function () {
    this.timeout(60_000);
    const stack = await startStack();
    const { directory, token } = await stack.stores.directories.create({ name: 'teardown', dialect: 'generic' });
    await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'dead',
      type: 'webhook',
      config: { url: 'http://127.0.0.1:9/never', webhook: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
    });
    await stack.stores.policies.put(directory.id, { baseline: 'all', rules: [] });
    await scimUsers(stack, directory.id, token).create('stuck@acme.test');
    const temporal = getTestTemporal();
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const query = `${SEARCH_ATTRIBUTES.directory.name} = '${directory.id}' AND ExecutionStatus = 'Running'`;
    const running = async () => {
      let n = 0;
      for await (const _ of client.workflow.list({ query })) n += 1;
      return n;
    };
    try {
      await eventually(async () => (await running()) === 1, 20_000);
      await stack.stop();
      await eventually(async () => (await running()) === 0, 20_000);
      expect(await running()).to.equal(0);
    } finally {
      await connection.close();
    }
  });
});
