// scripts/record-histories.ts: records real identity-workflow histories (joiner, mover, leaver) as replay fixtures.
//
// Run it after a deliberate, compatible change to the workflow (or to add a scenario), from the project root:
//
//   npx tsx scripts/record-histories.ts [outDir]        (default outDir: test/fixtures/histories)
//
// It starts a Temporal dev server through the test helpers (or uses TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE when set), a full
// scimflow stack on a temporary SQLite file with one local app, drives three users through the real SCIM API, waits until each
// workflow has converged and its last workflow task completed, and writes each history in Temporal's JSON history format (test/helpers/history-json.ts). Re-record only when
// a change is meant to be compatible with running workflows: test/replay/histories.test.ts exists to catch the other kind.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJson } from '../test/helpers/history-json';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { identityWorkflowId } from '../workflows/contracts';
import type { Stack } from '../test/helpers/stack';
import { eventually, scim, startStack } from '../test/helpers/stack';
import { startTestTemporal, stopTestTemporal } from '../test/helpers/temporal';

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
  ],
};

const replace = (path: string, value: unknown) => ({ schemas: [PATCH], Operations: [{ op: 'replace', path, value }] });

async function main(outDir: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await startTestTemporal(process.env);
  const stack = await startStack();
  try {
    const { directory, token } = stack.stores.directories.create({ name: 'histories', dialect: 'generic' });
    stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'demo',
      type: 'local',
      config: { deprovision: 'disable' },
    });
    stack.stores.policies.put(directory.id, POLICY);
    const base = `/scim/v2/${directory.id}`;
    const call = async (method: string, pathname: string, body?: unknown) => {
      const res = await scim(stack.baseUrl, token, method, `${base}${pathname}`, body);
      if (res.status >= 300)
        throw new Error(`${method} ${pathname} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    const group = await call('POST', '/Groups', { schemas: [GROUP], displayName: 'eng' });
    const createUser = (userName: string, department: string) =>
      call('POST', '/Users', {
        schemas: [USER, ENTERPRISE],
        userName,
        name: { givenName: userName.split('@')[0] },
        [ENTERPRISE]: { department },
      });
    const settled = (id: string, lifecycle: string) => converged(stack, directory.id, id, lifecycle);

    // Joiner: an account and the department's entitlement.
    const joiner = await createUser('joiner@histories.test', 'Sales');
    await settled(joiner.id, 'active');

    // Mover: a department change revokes (and verifies) the stale entitlement, grants the new ones; a group adds another.
    const mover = await createUser('mover@histories.test', 'Sales');
    await settled(mover.id, 'active');
    await call('PATCH', `/Users/${mover.id}`, replace(`${ENTERPRISE}:department`, 'Engineering'));
    await call('PATCH', `/Groups/${group.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: mover.id }] }],
    });
    await settled(mover.id, 'active');

    // Leaver: deactivation revokes, disables and verifies; the DELETE that follows ends the workflow.
    const leaver = await createUser('leaver@histories.test', 'Sales');
    await settled(leaver.id, 'active');
    await call('PATCH', `/Users/${leaver.id}`, replace('active', false));
    await settled(leaver.id, 'suspended');
    await call('DELETE', `/Users/${leaver.id}`);
    await settled(leaver.id, 'deprovisioned');

    fs.mkdirSync(outDir, { recursive: true });
    for (const [name, id] of [
      ['joiner', joiner.id],
      ['mover', mover.id],
      ['leaver', leaver.id],
    ] as const) {
      const history = await quietHistory(stack.client, identityWorkflowId(directory.id, id));
      fs.writeFileSync(path.join(outDir, `${name}.json`), `${historyToJson(history)}\n`);
      process.stdout.write(`${name}: ${history.events?.length ?? 0} events → ${path.join(outDir, `${name}.json`)}\n`);
    }
  } finally {
    await stack.stop();
    await stopTestTemporal();
  }
}

async function converged(stack: Stack, directoryId: string, identityId: string, lifecycle: string): Promise<void> {
  await eventually(() => {
    const progress = stack.stores.applied.progress(directoryId, identityId);
    const latest = stack.stores.events.latestSeqFor(directoryId, identityId);
    return progress !== undefined && progress.processedSeq >= latest && progress.lifecycle === lifecycle;
  }, 60_000);
}

/**
 * The history once the workflow is idle: nothing after its last completed workflow task but that task's own commands
 * (search-attribute upserts, local-activity and patch markers, the completion), so the fixture ends at a clean boundary.
 */
async function quietHistory(client: Client, workflowId: string) {
  return eventually(
    async () => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const lastTask = events.map((e) => Boolean(e.workflowTaskCompletedEventAttributes)).lastIndexOf(true);
      const after = events.slice(lastTask + 1);
      const idle =
        lastTask >= 0 &&
        after.every(
          (e) =>
            e.upsertWorkflowSearchAttributesEventAttributes ||
            e.markerRecordedEventAttributes || // local activities and patches record markers
            e.workflowExecutionCompletedEventAttributes,
        );
      return idle ? history : undefined;
    },
    30_000,
    200,
  );
}

main(path.resolve(process.argv[2] ?? path.join(__dirname, '../test/fixtures/histories'))).catch((err) => {
  process.stderr.write(`record-histories: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
