// test/unit/runtime/stall-reason.test.ts: which runs the watchdog reports, and what it tells the operator.
import { expect } from 'chai';
import { FAILING_TASK_ATTEMPTS, stallReason } from '../../../runtime/stall-reason';

describe('stallReason', function () {
  it('leaves a running workflow alone, even with a task retried once or twice (a deploy, a restart)', function () {
    expect(stallReason({ status: 'RUNNING' })).to.equal(null);
    expect(stallReason({ status: 'RUNNING', pendingTaskAttempt: FAILING_TASK_ATTEMPTS - 1 })).to.equal(null);
  });

  it('reports a running workflow whose task keeps failing', function () {
    expect(stallReason({ status: 'RUNNING', pendingTaskAttempt: 7 })).to.match(
      /^workflow task failing \(attempt 7\).*`scimflow retry`/,
    );
  });

  it('reports a closed run with why it closed', function () {
    expect(stallReason({ status: 'FAILED', closeMessage: 'payload too large' })).to.equal(
      'workflow failed: payload too large; run `scimflow retry` once the cause is fixed',
    );
    expect(stallReason({ status: 'TIMED_OUT' })).to.equal(
      'workflow timed out; run `scimflow retry` once the cause is fixed',
    );
    expect(stallReason({ status: 'TERMINATED', closeMessage: 'by hand' })).to.match(/^workflow terminated: by hand;/);
    expect(stallReason({ status: 'COMPLETED' })).to.match(/^workflow completed;/);
  });

  it('reports an identity with no run at all', function () {
    expect(stallReason({ status: 'NOT_FOUND' })).to.match(/^no workflow run for this identity/);
  });
});
