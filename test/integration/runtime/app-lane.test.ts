// test/integration/runtime/app-lane.test.ts: AppLane interleavings played on purpose, on the real dev server.
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { SILENT_LOGGER } from '../../helpers/stack';
import { getTestTemporal } from '../../helpers/temporal';
import { replanRaceHarness, stalePlanHarness } from '../../workflows/lane-harness';

describe('an app lane (workflows/app-lane.ts)', function () {
  // Found by the SCIM property test (seeds -1017661478 and -2103735215): the identity waited for ever for a settlement.
  it('settles the newest generation when it was dispatched while a superseded step was being replanned', async function () {
    this.timeout(60_000);
    const temporal = getTestTemporal();
    const connection = await NativeConnection.connect({ address: temporal.address });
    const clientConnection = await Connection.connect({ address: temporal.address });
    try {
      const taskQueue = `lane-harness-${Date.now()}`;
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle: await bundleWorkflowCode({
          workflowsPath: require.resolve('../../workflows/lane-harness'),
          logger: SILENT_LOGGER,
        }),
      });
      const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
      const result = await worker.runUntil(
        client.workflow.execute(replanRaceHarness, { taskQueue, workflowId: `${taskQueue}-replan` }),
      );
      expect(result).to.deep.equal({ settledNewest: true });
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  });

  // The property test's lost grant (CI, seed -823878747: "beta/user2@prop.test (active): holds [deploy], expected [ci,
  // deploy]" after deactivate, reactivate and join in quick succession).
  it('plans again when a scheduled call of an older round ended after its plan was read', async function () {
    this.timeout(60_000);
    const temporal = getTestTemporal();
    const connection = await NativeConnection.connect({ address: temporal.address });
    const clientConnection = await Connection.connect({ address: temporal.address });
    try {
      const taskQueue = `lane-harness-${Date.now()}`;
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle: await bundleWorkflowCode({
          workflowsPath: require.resolve('../../workflows/lane-harness'),
          logger: SILENT_LOGGER,
        }),
      });
      const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
      const result = await worker.runUntil(
        client.workflow.execute(stalePlanHarness, { taskQueue, workflowId: `${taskQueue}-stale-plan` }),
      );
      expect(result).to.deep.equal({ held: ['ci'], settled: true });
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  });
});
