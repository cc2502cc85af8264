// bench/lifecycle-ceiling-worker.ts: child process running the ceiling workflows' worker on its own task queue.
import { parseArgs } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      'task-queue': { type: 'string' },
      // Experiments only: the default (no flag) measures the SDK's poller defaults, which worker/create-worker.ts keeps.
      'wft-polls': { type: 'string' },
      'activity-polls': { type: 'string' },
    },
  });
  if (!values.address || !values['task-queue'])
    throw new Error('usage: lifecycle-ceiling-worker.ts --address host:port --task-queue q');
  const connection = await NativeConnection.connect({ address: values.address });
  // Same slot limits and cache as worker/create-worker.ts, so the ceiling is measured under the worker settings we ship.
  const worker = await Worker.create({
    connection,
    taskQueue: values['task-queue'],
    workflowsPath: require.resolve('./lifecycle-empty-workflow'),
    activities: { noop: async () => undefined },
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2000,
    ...(values['wft-polls'] ? { maxConcurrentWorkflowTaskPolls: Number(values['wft-polls']) } : {}),
    ...(values['activity-polls'] ? { maxConcurrentActivityTaskPolls: Number(values['activity-polls']) } : {}),
  });
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const running = worker.run();
  process.stdout.write('ceiling worker ready\n');
  await running;
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
