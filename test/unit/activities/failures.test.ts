// test/unit/activities/failures.test.ts: an app's Retry-After becomes the activity's next retry delay.
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'chai';
import { asActivityFailure, RETRY_AFTER_CAP_MS } from '../../../activities/failures';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../../../connectors/connector';

describe('activity failures', function () {
  it('turns a transient failure with Retry-After into a retryable failure of the same type with that delay', function () {
    const failure = asActivityFailure(new DownstreamUnavailableError('crm: HTTP 429', 429, 2_000));
    expect(failure).to.be.an.instanceOf(ApplicationFailure);
    const app = failure as ApplicationFailure;
    expect(app.type).to.equal('DownstreamUnavailableError');
    expect(app.nonRetryable).to.equal(false);
    expect(app.nextRetryDelay).to.equal(2_000);
    expect(app.message).to.equal('crm: HTTP 429');
    expect(app.details).to.deep.equal([{ status: 429, retryAfterMs: 2_000 }]);
  });

  it('leaves the delay to the workflow for a local activity (details only: it is never retried itself)', function () {
    const failure = asActivityFailure(new DownstreamUnavailableError('crm: HTTP 429', 429, 2_000), true);
    expect((failure as ApplicationFailure).nextRetryDelay).to.equal(undefined);
    expect((failure as ApplicationFailure).details).to.deep.equal([{ status: 429, retryAfterMs: 2_000 }]);
  });

  it('caps a Retry-After far in the future', function () {
    const failure = asActivityFailure(new DownstreamUnavailableError('crm: HTTP 503', 503, 86_400_000));
    expect((failure as ApplicationFailure).nextRetryDelay).to.equal(RETRY_AFTER_CAP_MS);
    expect((failure as ApplicationFailure).details).to.deep.equal([{ status: 503, retryAfterMs: RETRY_AFTER_CAP_MS }]);
  });

  it('passes every other error unchanged', function () {
    const plain = new DownstreamUnavailableError('crm: HTTP 502', 502);
    const refused = new DownstreamRejectedError('crm: HTTP 403', 403);
    const other = new Error('boom');
    expect(asActivityFailure(plain)).to.equal(plain);
    expect(asActivityFailure(refused)).to.equal(refused);
    expect(asActivityFailure(other)).to.equal(other);
  });
});
