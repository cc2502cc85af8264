// test/integration/runtime/local-gate-replay.test.ts: the local-activity gate's decisions replay when a local activity
// outlives its workflow task (heartbeated), on the real dev server.
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { SILENT_LOGGER } from '../../helpers/stack';
import { getTestTemporal } from '../../helpers/temporal';
import { dispatchSickSignal, gateReplayHarness, SICK_APP, SLOW_APP } from '../../workflows/lane-harness';

/** What a local activity's marker says it ran (the SDK core's marker data, JSON). */
function markerActivityType(event: {
  markerRecordedEventAttributes?: {
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
}): string | undefined {
  const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
}

describe('the local-activity gate (workflows/local-gate.ts)', function () {
  // The SCIM property's replay nondeterminism after a worker restart (CI, seed 1506826764): "No command scheduled for
  // event ActivityTaskScheduled".
  it('replays a sick lane that started a step while a local activity outlived its workflow task', async function () {
    this.timeout(60_000);
    const temporal = getTestTemporal();
    const connection = await NativeConnection.connect({ address: temporal.address });
    const clientConnection = await Connection.connect({ address: temporal.address });
    try {
      const taskQueue = `gate-replay-${Date.now()}`;
      const workflowBundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows/lane-harness'),
        logger: SILENT_LOGGER,
      });
      const activities = {
        async grantEntitlements(input: { appId: string; seq: number }) {
          if (input.appId === SLOW_APP) await new Promise((resolve) => setTimeout(resolve, 4_000));
          if (input.appId === SICK_APP && input.seq === 1 && Context.current().info.isLocal)
            throw ApplicationFailure.create({
              type: 'DownstreamUnavailableError',
              message: '503 Service Unavailable',
              details: [{ retryAfterMs: 60_000 }],
            });
          return { outcome: 'done', accountCreated: false };
        },
        async recordAppBlock() {},
      };
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle,
        activities,
      });
      const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
      const workflowId = `${taskQueue}-gate`;
      const result = await worker.runUntil(async () => {
        // A workflow task heartbeats at 80% of its timeout: 1.6 s, while the slow first attempt lasts 4 s.
        const handle = await client.workflow.start(gateReplayHarness, {
          taskQueue,
          workflowId,
          workflowTaskTimeout: '2s',
        });
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await handle.signal(dispatchSickSignal);
        return handle.result();
      });
      expect(result).to.deep.equal({ settled: true });

      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      // The precondition: the slow first attempt's result was recorded after the signal (it outlived its workflow task).
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signalled).to.be.greaterThan(0);
      expect(events.slice(signalled).some((e) => markerActivityType(e) === 'grantEntitlements')).to.equal(true);
      await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  });
});
