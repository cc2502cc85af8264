// test/unit/worker/config.test.ts: the Temporal keys every process reads, and the worker's task slots by core count.
import { expect } from 'chai';
import { defaultWorkflowTaskSlots, loadTemporalConfig } from '../../../worker/config';

describe('Temporal and worker configuration', () => {
  it('runs 10 workflow tasks per core at once, between 10 and 100', () => {
    expect([1, 2, 4, 8, 16, 64].map((cores) => defaultWorkflowTaskSlots(cores))).to.deep.equal([
      10, 20, 40, 80, 100, 100,
    ]);
    expect(loadTemporalConfig({}).worker.maxConcurrentWorkflowTasks).to.equal(defaultWorkflowTaskSlots());
  });

  it('takes WORKER_MAX_CONCURRENT_WORKFLOW_TASKS over the default and refuses nonsense', () => {
    expect(
      loadTemporalConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '7' }).worker.maxConcurrentWorkflowTasks,
    ).to.equal(7);
    expect(() => loadTemporalConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '0' })).to.throw(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
    );
  });
});
