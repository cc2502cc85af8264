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
    scheduled!.activityTaskScheduledEventAttributes!.activityType!.name = 'provisionAccount';
    const [result] = await replay([{ workflowId: 'fixture/joiner-tampered', history }]);
    expect(result?.error).to.be.an.instanceOf(DeterminismViolationError);
    expect(result?.error?.message).to.match(/provisionAccount|createAccount|nondetermin/i);
  });
});
