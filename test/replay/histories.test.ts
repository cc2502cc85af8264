// test/replay/histories.test.ts: recorded identity-workflow histories still replay on today's workflow code.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJson } from '../helpers/history-json';
import { workflowBundle } from '../helpers/stack';

// Recorded from a live run by scripts/record-histories.ts; a change that breaks these breaks running workflows.
const FIXTURES = path.resolve(__dirname, '../fixtures/histories');

function loadHistory(name: string): History {
  return historyFromJson(JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')));
}

async function replay(histories: { workflowId: string; history: History }[]): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories))
    results.push(result);
  return results;
}

const scheduledActivities = (history: History) =>
  (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes?.activityType?.name
      ? [e.activityTaskScheduledEventAttributes.activityType.name]
      : [],
  );

/** Every step a history ran, scheduled or local (a local activity's type is in its marker's data), in order. */
const steps = (history: History) =>
  (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [scheduled];
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type] : [];
  });

/** The patch ids a history recorded, in order. */
const patches = (history: History) =>
  (history.events ?? []).flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });

const LANES = 'per-app-lanes-2026-12';

describe('replaying recorded identity-workflow histories', function () {
  this.timeout(120_000);
  const files = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has a joiner, a mover with entitlement changes and a verified leaver on record', function () {
    expect(files).to.include.members(['joiner.json', 'mover.json', 'leaver.json']);
    const mover = scheduledActivities(loadHistory('mover.json'));
    expect(mover).to.include.members(['createAccount', 'grantEntitlement', 'revokeEntitlement', 'verifyRevoked']);
    const leaver = scheduledActivities(loadHistory('leaver.json'));
    expect(leaver).to.include.members(['revokeEntitlement', 'disableAccount', 'verifyRevoked', 'recordRevocation']);
  });

  it('has per-app-lanes runs on record: leaver to deletion, rollback and update, continue-as-new, an upgrade', function () {
    const lanes = ['joiner', 'mover', 'leaver-delete', 'rollback-update', 'continue-as-new'].map(
      (n) => `lanes-${n}.json`,
    );
    expect(files).to.include.members([...lanes, 'span-v1-to-lanes.json']);
    for (const file of lanes) expect(patches(loadHistory(file)), file).to.deep.equal([LANES]);

    expect(steps(loadHistory('lanes-joiner.json'))).to.include.members(['provisionAccount', 'grantEntitlements']);
    const mover = steps(loadHistory('lanes-mover.json'));
    expect(mover).to.include.members(['revokeEntitlements', 'grantEntitlements']);

    const leaver = loadHistory('lanes-leaver-delete.json');
    expect(steps(leaver)).to.include.members(['revokeAccount', 'revokeEntitlements', 'recordRevocation']);
    expect(leaver.events?.at(-1)?.workflowExecutionCompletedEventAttributes, 'ends completed').to.not.equal(undefined);

    const rollback = loadHistory('lanes-rollback-update.json');
    expect(steps(rollback)).to.include.members(['compensateApp', 'recordAppBlock']);
    expect(rollback.events?.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).to.equal(true);

    const continued = loadHistory('lanes-continue-as-new.json');
    expect(continued.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).to.not.equal(undefined);

    // Recorded on the previous release's code, then finished on today's: the lanes patch appears mid-history.
    const span = loadHistory('span-v1-to-lanes.json');
    expect(patches(span)).to.deep.equal(['local-bookkeeping-2026-11', LANES]);
    expect(steps(span)).to.include.members(['createAccount', 'grantEntitlements', 'revokeAccount']);
  });

  it('replays every recorded history without a determinism violation', async function () {
    const results = await replay(files.map((f) => ({ workflowId: `fixture/${f}`, history: loadHistory(f) })));
    expect(results.map((r) => r.workflowId)).to.deep.equal(files.map((f) => `fixture/${f}`));
    expect(results.map((r) => ({ workflowId: r.workflowId, error: r.error?.message }))).to.deep.equal(
      files.map((f) => ({ workflowId: `fixture/${f}`, error: undefined })),
    );
  });

  it('fails the replay of a history whose scheduled activity the code no longer schedules', async function () {
    const history = loadHistory('joiner.json');
    const scheduled = (history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createAccount',
    );
    expect(scheduled, 'joiner.json schedules createAccount').to.not.equal(undefined);
    scheduled!.activityTaskScheduledEventAttributes!.activityType!.name = 'createAccountRenamed';
    const [result] = await replay([{ workflowId: 'fixture/joiner-tampered', history }]);
    expect(result?.error).to.be.an.instanceOf(DeterminismViolationError);
    expect(result?.error?.message).to.match(/createAccount|nondetermin/i);
  });

  it('fails the replay of a lanes history whose patch marker names another patch (it would take the old code)', async function () {
    const history = loadHistory('lanes-leaver-delete.json');
    const payload = (history.events ?? []).find((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      ?.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
    expect(payload?.data, 'lanes-leaver-delete.json records the lanes patch').to.not.equal(undefined);
    payload!.data = Buffer.from(JSON.stringify({ id: 'some-other-patch', deprecated: false }));
    const [result] = await replay([{ workflowId: 'fixture/lanes-unpatched', history }]);
    expect(result?.error).to.be.an.instanceOf(DeterminismViolationError);
  });
});
