// scripts/record-histories.ts: records real identity-workflow histories as replay fixtures (test/replay/).
//
// Run it after a deliberate, compatible change to the workflow (or to add a scenario), from the project root:
//
//   npx tsx scripts/record-histories.ts [outDir]        (default outDir: test/fixtures/histories)
//
// It starts a Temporal dev server through the test helpers (or uses TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE when set), a
// full scimflow stack on a temporary SQLite file, drives users through the real SCIM API, waits until each workflow has
// converged and its last workflow task completed, and writes each history in Temporal's JSON history format
// (test/helpers/history-json.ts). Scenarios, all on today's code (per-app lanes):
//
//   lanes-joiner, lanes-mover, lanes-leaver-delete (deactivation, then DELETE ends the workflow),
//   lanes-rollback-update (a refused grant rolls back, the operator's retryException update converges it),
//   lanes-continue-as-new (the first run of an identity whose history passed its budget),
//   span-v1-to-lanes (a run that converged on the code before per-app lanes, then on today's: the version change).
//
// The span scenario bundles the workflows of SPAN_FROM (a commit before the `per-app-lanes-2026-12` patch) from a
// temporary git worktree. The histories recorded by that older code (joiner.json, mover.json, leaver.json and their
// -local-bookkeeping variants) cannot be recorded again and are kept as they are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../worker/create-worker';
import { historyToJson } from '../test/helpers/history-json';
import { identityWorkflowId, retryExceptionUpdate } from '../workflows/contracts';
import type { Stack } from '../test/helpers/stack';
import { eventually, scim, startStack } from '../test/helpers/stack';
import { getTestTemporal, startTestTemporal, stopTestTemporal } from '../test/helpers/temporal';

/** The last commit whose identity workflow converged with one plan per run (before per-app lanes). */
const SPAN_FROM = '11aaa891622a142df110c56c18d493c66b4e6715';
const ROOT = path.resolve(__dirname, '..');

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const POLICY = {
  baseline: ['demo'],
  rules: [
    { name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'demo', entitlements: ['crm'] }] },
    { name: 'engineering', when: { department: 'Engineering' }, grant: [{ app: 'demo', entitlements: ['ci'] }] },
    { name: 'engineers', when: { group: 'eng' }, grant: [{ app: 'demo', entitlements: ['repo:write'] }] },
    { name: 'finance', when: { department: 'Finance' }, grant: [{ app: 'vault', entitlements: ['admin'] }] },
  ],
};

const replace = (attribute: string, value: unknown) => ({
  schemas: [PATCH],
  Operations: [{ op: 'replace', path: attribute, value }],
});

/** A directory on a stack with the apps and policy every scenario uses, and SCIM calls against it. */
async function directoryOn(stack: Stack, name: string) {
  const { directory, token } = await stack.stores.directories.create({ name, dialect: 'generic' });
  await stack.stores.directories.addApp({ directoryId: directory.id, name: 'demo', type: 'local', config: {} });
  const vault = await stack.stores.directories.addApp({
    directoryId: directory.id,
    name: 'vault',
    type: 'local',
    config: { chaos: { rejectEntitlements: ['admin'] } },
  });
  await stack.stores.policies.put(directory.id, POLICY);
  const call = async (method: string, pathname: string, body?: unknown) => {
    const res = await scim(stack.baseUrl, token, method, `/scim/v2/${directory.id}${pathname}`, body);
    if (res.status >= 300) throw new Error(`${method} ${pathname} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const createUser = (userName: string, department: string) =>
    call('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      userName,
      name: { givenName: userName.split('@')[0] },
      [ENTERPRISE]: { department },
    });
  const settled = (id: string, lifecycle: string) => converged(stack, directory.id, id, lifecycle);
  const workflowId = (id: string) => identityWorkflowId(directory.id, id);
  return { directory, vault, call, createUser, settled, workflowId };
}

type Recorded = [name: string, workflowId: string, runId?: string];

async function laneScenarios(stack: Stack): Promise<Recorded[]> {
  const d = await directoryOn(stack, 'histories');
  const group = await d.call('POST', '/Groups', { schemas: [GROUP], displayName: 'eng' });

  // Joiner: an account and the department's entitlement.
  const joiner = await d.createUser('joiner@histories.test', 'Sales');
  await d.settled(joiner.id, 'active');

  // Mover: a department change revokes (and verifies) the stale entitlement, grants the new ones; a group adds another.
  const mover = await d.createUser('mover@histories.test', 'Sales');
  await d.settled(mover.id, 'active');
  await d.call('PATCH', `/Users/${mover.id}`, replace(`${ENTERPRISE}:department`, 'Engineering'));
  await d.call('PATCH', `/Groups/${group.id}`, {
    schemas: [PATCH],
    Operations: [{ op: 'add', path: 'members', value: [{ value: mover.id }] }],
  });
  await d.settled(mover.id, 'active');

  // Leaver: deactivation revokes, disables and verifies; the DELETE that follows ends the workflow.
  const leaver = await d.createUser('leaver@histories.test', 'Sales');
  await d.settled(leaver.id, 'active');
  await d.call('PATCH', `/Users/${leaver.id}`, replace('active', false));
  await d.settled(leaver.id, 'suspended');
  await d.call('DELETE', `/Users/${leaver.id}`);
  await d.settled(leaver.id, 'deprovisioned');

  // Rollback and update: the vault refuses `admin`, its grants roll back, the identity holds an exception; the
  // operator fixes the app and retries through the workflow's update.
  const refused = await d.createUser('refused@histories.test', 'Finance');
  await d.settled(refused.id, 'exception');
  await stack.stores.directories.updateAppConfig(d.vault.id, {});
  await stack.client.workflow.getHandle(d.workflowId(refused.id)).executeUpdate(retryExceptionUpdate);
  await d.settled(refused.id, 'active');

  return [
    ['lanes-joiner', d.workflowId(joiner.id)],
    ['lanes-mover', d.workflowId(mover.id)],
    ['lanes-leaver-delete', d.workflowId(leaver.id)],
    ['lanes-rollback-update', d.workflowId(refused.id)],
  ];
}

/** A small history budget: the identity continues as new between changes; the first run is recorded. */
async function continueAsNewScenario(stack: Stack): Promise<Recorded[]> {
  const d = await directoryOn(stack, 'histories-can');
  const user = await d.createUser('busy@histories.test', 'Sales');
  await d.settled(user.id, 'active');
  const handle = stack.client.workflow.getHandle(d.workflowId(user.id));
  const firstRunId = (await handle.describe()).runId;
  for (const department of ['Engineering', 'Sales', 'Engineering', 'Sales']) {
    await d.call('PATCH', `/Users/${user.id}`, replace(`${ENTERPRISE}:department`, department));
    await d.settled(user.id, 'active');
    if ((await handle.describe()).runId !== firstRunId)
      return [['lanes-continue-as-new', d.workflowId(user.id), firstRunId]];
  }
  throw new Error('the identity never continued as new: lower the history budget of this scenario');
}

/** A run that converged on the code before per-app lanes (SPAN_FROM), then converges a newer change on today's. */
async function spanScenario(stack: Stack): Promise<Recorded[]> {
  const worktree = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-span-'));
  execFileSync('git', ['worktree', 'add', '--detach', worktree, SPAN_FROM], { cwd: ROOT, stdio: 'ignore' });
  try {
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(worktree, 'node_modules'));
    const oldBundle = await bundleWorkflowCode({
      workflowsPath: path.join(worktree, 'workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const d = await directoryOn(stack, 'histories-span');
    await stack.stopWorker();
    const connection = await NativeConnection.connect({ address: getTestTemporal().address });
    const oldWorker = await createWorker({
      stores: stack.stores,
      connection,
      namespace: getTestTemporal().namespace,
      workflowBundle: oldBundle,
    });
    const running = oldWorker.run();
    const user = await d.createUser('upgraded@histories.test', 'Sales');
    await d.settled(user.id, 'active');
    await quietHistory(stack.client, d.workflowId(user.id));
    oldWorker.shutdown();
    await running;
    await connection.close();

    await stack.startWorker();
    await d.call('PATCH', `/Users/${user.id}`, replace(`${ENTERPRISE}:department`, 'Engineering'));
    await d.settled(user.id, 'active');
    await d.call('PATCH', `/Users/${user.id}`, replace('active', false));
    await d.settled(user.id, 'suspended');
    return [['span-v1-to-lanes', d.workflowId(user.id)]];
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: ROOT, stdio: 'ignore' });
  }
}

async function main(outDir: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await startTestTemporal(process.env);
  fs.mkdirSync(outDir, { recursive: true });
  const write = async (stack: Stack, recorded: Recorded[]) => {
    for (const [name, workflowId, runId] of recorded) {
      const history = await quietHistory(stack.client, workflowId, runId);
      const file = path.join(outDir, `${name}.json`);
      fs.writeFileSync(file, `${historyToJson(history)}\n`);
      process.stdout.write(`${name}: ${history.events?.length ?? 0} events → ${file}\n`);
    }
  };
  try {
    for (const [scenario, options] of [
      [laneScenarios, {}],
      [continueAsNewScenario, { historyBudget: 40 }],
      [spanScenario, {}],
    ] as const) {
      const stack = await startStack(options);
      try {
        await write(stack, await scenario(stack));
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await stopTestTemporal();
  }
}

async function converged(stack: Stack, directoryId: string, identityId: string, lifecycle: string): Promise<void> {
  await eventually(async () => {
    const progress = await stack.stores.applied.progress(directoryId, identityId);
    const latest = await stack.stores.events.latestSeqFor(directoryId, identityId);
    const processed = lifecycle === 'exception' || (progress?.processedSeq ?? 0) >= latest;
    return progress !== undefined && processed && progress.lifecycle === lifecycle;
  }, 60_000);
}

/**
 * The history once the workflow is idle: nothing after its last completed workflow task but that task's own commands
 * (search-attribute upserts, local-activity and patch markers, updates it handled, the completion or continue-as-new), so the fixture ends
 * at a clean boundary.
 */
async function quietHistory(client: Client, workflowId: string, runId?: string) {
  return eventually(
    async () => {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      const lastTask = events.map((e) => Boolean(e.workflowTaskCompletedEventAttributes)).lastIndexOf(true);
      const after = events.slice(lastTask + 1);
      const idle =
        lastTask >= 0 &&
        after.every(
          (e) =>
            e.upsertWorkflowSearchAttributesEventAttributes ||
            e.markerRecordedEventAttributes || // local activities and patches record markers
            e.workflowExecutionUpdateAcceptedEventAttributes || // an update handled in that task
            e.workflowExecutionUpdateCompletedEventAttributes ||
            e.workflowExecutionCompletedEventAttributes ||
            e.workflowExecutionContinuedAsNewEventAttributes,
        );
      if (idle) return history;
      const kinds = after.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '?');
      throw new Error(`${workflowId} not idle: after its last completed task come ${kinds.join(', ') || 'no events'}`);
    },
    30_000,
    200,
  );
}

main(path.resolve(process.argv[2] ?? path.join(__dirname, '../test/fixtures/histories'))).catch((err) => {
  process.stderr.write(`record-histories: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
